"""Browsing: the home page, the profile list with filters and search, facet pages.

Thin: parse the request, ask `browsing` (which asks `visibility` and `search`), render.
"""

from django.http import Http404
from django.shortcuts import render

from profiles.rules.visibility import Audience
from profiles.selectors import browsing
from profiles.selectors.bands import current_bands
from registry.infra.page_cache import cached_page

# The query parameters the list reads for readers (staff-only filters are not among them).
LIST_PARAMS = ("q", "sort", "page", *(d.name for d in browsing.DIMENSIONS if not d.staff_only))


@cached_page()
def home(request):
    audience = Audience.for_request(request)
    overview = browsing.home_overview(audience, bands=current_bands(cached=True))
    return render(request, "profiles/home.html", {"overview": overview})


@cached_page(params=LIST_PARAMS)
def profile_list(request):
    audience = Audience.for_request(request)
    bands = current_bands(cached=True)
    browse = browsing.read_browse_request(request.GET, audience=audience, bands=bands)
    result = browsing.browse_profiles(audience, browse, bands=bands)
    return render(
        request,
        "profiles/profile_list.html",
        {"browse": browse, "result": result, "page_obj": result.page},
    )


@cached_page(params=("page",))
def facet(request, facet, value):
    if facet not in browsing.FACETS:
        raise Http404("No such facet.")
    audience = Audience.for_request(request)
    page = browsing.facet_page(audience, facet, value, page=request.GET.get("page"), bands=current_bands(cached=True))
    if page is None:
        raise Http404("No visible profile has this value.")
    return render(
        request,
        "profiles/facet.html",
        {
            "facet": facet,
            "facet_label": browsing.facet_label(facet),
            "value": value,
            "page_obj": page,
            "list_url": browsing.list_url(**{facet: value}),
        },
    )
