"""Staff preview: a profile in any status as an anonymous reader or a member would see it published.

The page is the real profile template, given the audience's profile graph built
`as_if_published` (only the status rule is lifted: every part is still filtered for the
audience by the visibility policy). It carries a visible "Preview" banner, is never indexed
and never cached. The admin wires it (ProfileAdmin.get_urls) behind its staff login.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from profiles.rules import confidence
from profiles.rules.visibility import ANONYMOUS, MEMBER, profile_graph
from profiles.selectors import profile_page, timeline
from profiles.selectors.bands import current_bands

AUDIENCES = {"anonymous": ANONYMOUS, "member": MEMBER}
AUDIENCE_LABELS = {"anonymous": _("an anonymous reader"), "member": _("a member")}


def preview_page(audience, slug):
    """The profile page for `audience` as if the profile were published, or None."""
    profile = profile_graph(audience, slug, as_if_published=True)
    if profile is None:
        return None
    bands = current_bands()
    return profile_page.ProfilePage(
        profile=profile,
        bands=bands,
        band=confidence.band_for(profile.score, bands),
        claims=[profile_page._claim_view(claim, bands) for claim in profile.visible_claims],  # the page's own claim rows
        sources=[link.evidence for link in profile.visible_sources],
        timeline=timeline.layout(profile.visible_timeline),
    )


@never_cache
def profile_preview(request, slug, audience_name, *, admin_url=""):
    """Render the profile page for the chosen audience (`?lang=` picks the language)."""
    if not (request.user.is_active and request.user.is_staff):
        raise Http404("No such page.")
    audience = AUDIENCES.get(audience_name)
    if audience is None:
        raise Http404("No such audience.")
    languages = dict(settings.LANGUAGES)
    language = request.GET.get("lang")
    language = language if language in languages else translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        page = preview_page(audience, slug)
        if page is None:
            raise Http404("No such profile.")
        response = render(
            request,
            "profiles/preview.html",
            {
                "page": page,
                "profile": page.profile,
                "audience": audience,
                "audience_name": audience_name,
                "audience_label": AUDIENCE_LABELS[audience_name],
                "other_audiences": [(name, AUDIENCE_LABELS[name]) for name in AUDIENCES if name != audience_name],
                "admin_url": admin_url,
                "language_alternates": [
                    (code, name, f"{request.path}?{urlencode({'lang': code})}") for code, name in settings.LANGUAGES
                ],
            },
        )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
