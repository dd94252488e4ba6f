"""The profile page, rendered for the request's audience."""

from django.http import Http404
from django.shortcuts import render

from profiles.rules.visibility import Audience
from profiles.selectors import profile_page
from registry.infra.page_cache import cached_page


@cached_page()
def profile_detail(request, slug):
    audience = Audience.for_request(request)
    page = profile_page.profile_page(audience, slug)
    if page is None:
        raise Http404("No such profile.")
    return render(request, "profiles/profile_detail.html", {"page": page, "profile": page.profile, "audience": audience})
