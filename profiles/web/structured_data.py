"""What a profile page tells search engines and link previews: public text only.

The `<meta name="description">`, canonical URL, OpenGraph tags and JSON-LD of a
profile page are built here from a fixed list of public, profile-level fields
(`PUBLIC_FIELDS`). Nothing here reads claims, evidence, the timeline, the
briefing or any other gated part, so a member's or an analyst's page carries the
same meta as a reader's. Whether the page may be indexed is asked of the
visibility policy: only a profile anonymous readers may open is indexable.

Schema.org types: an institution is an `Organization`. A topic (a trend, an
event, a debate) is not an organisation, a place or a glossary entry, so its page
is described as what it is: an `Article` — a dated, revised, analytical write-up
— whose `about` names the topic as a `Thing`. (`DefinedTerm` would claim a
vocabulary definition and has no publication dates.)
"""

import json
from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from profiles.models import ProfileKind
from profiles.rules.visibility import is_public

# The only profile attributes read here. All are profile-level and public:
# visibility gates a profile's parts, never these.
PUBLIC_FIELDS = ("slug", "kind", "name", "aliases", "summary", "region", "published_at", "updated_at")

DESCRIPTION_LENGTH = 160  # what search result snippets show, give or take
HEADLINE_LENGTH = 110  # schema.org Article headlines longer than this are cut by consumers

# OpenGraph wants language_TERRITORY locales.
OG_LOCALES = {"en": "en_GB", "zh-hans": "zh_CN"}

# Inside <script>, "</script>" or "<!--" in a string would end or confuse the element:
# escape the characters that can start markup, as django's json_script does.
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


@dataclass(frozen=True)
class PageMeta:
    """Everything `_profile_meta.html` prints, already reduced to public text."""

    title: str
    description: str
    canonical_url: str
    site_name: str
    og_type: str
    og_locale: str
    og_locale_alternates: tuple = field(default=())
    published_time: str = ""
    modified_time: str = ""
    noindex: bool = False
    json_ld: SafeString = mark_safe("")


def _squash(text):
    return " ".join((text or "").split())


def describe(text, limit=DESCRIPTION_LENGTH):
    """`text` on one line, cut to at most `limit` characters with an ellipsis.

    Cuts at a word boundary when there is one near the end (English), otherwise
    between characters (Chinese has no spaces between words).
    """
    text = _squash(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:—–-·、，；：") + "…"


def serialise_json_ld(data):
    """JSON safe to place between <script> and </script> as it is."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=False)
    return mark_safe(text.translate(_SCRIPT_ESCAPES))  # noqa: S308 - markup characters escaped above


def _iso(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


def _aliases(profile):
    return [alias for alias in (_squash(a) for a in (profile.aliases or []) if isinstance(a, str)) if alias]


def json_ld(profile, *, url, language, site_name, site_url):
    """The schema.org description of a profile page (see the module docstring for the types)."""
    name = _squash(profile.name)
    summary = _squash(profile.summary)
    aliases = _aliases(profile)
    published, modified = _iso(profile.published_at), _iso(profile.updated_at)
    publisher = {"@type": "Organization", "name": site_name, "url": site_url}

    if profile.kind == ProfileKind.INSTITUTION:
        page = {
            "@type": "ProfilePage", "@id": url, "url": url, "inLanguage": language, "publisher": publisher,
        }  # fmt: skip
        if published:
            page["datePublished"] = published
        if modified:
            page["dateModified"] = modified
        data = {
            "@context": "https://schema.org",
            "@type": "Organization",
            "@id": f"{url}#organization",
            "name": name,
            "url": url,
            "mainEntityOfPage": page,
        }
        if aliases:
            data["alternateName"] = aliases
        if summary:
            data["description"] = summary
        if profile.region:
            data["areaServed"] = _squash(profile.region)
        return data

    subject = {"@type": "Thing", "name": name}
    if aliases:
        subject["alternateName"] = aliases
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": describe(name, HEADLINE_LENGTH),
        "name": name,
        "inLanguage": language,
        "about": subject,
        "publisher": publisher,
    }
    if summary:
        data["description"] = summary
    if published:
        data["datePublished"] = published
    if modified:
        data["dateModified"] = modified
    return data


def profile_meta(profile, request):
    """The meta of this profile's page in the active language, from public fields only."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    url = request.build_absolute_uri(profile.get_absolute_url())
    site_name = gettext("Infrastructure Intelligence Registry")
    site_url = request.build_absolute_uri(reverse("profiles:home"))
    is_topic = profile.kind == ProfileKind.TOPIC
    data = json_ld(profile, url=url, language=language, site_name=site_name, site_url=site_url)
    description = describe(profile.summary) or describe(
        gettext("%(name)s: an evidence-graded profile in the Infrastructure Intelligence Registry.")
        % {"name": _squash(profile.name)}
    )
    return PageMeta(
        title=_squash(profile.name),
        description=description,
        canonical_url=url,
        site_name=site_name,
        og_type="article" if is_topic else "website",
        og_locale=OG_LOCALES.get(language, translation.to_locale(language)),
        og_locale_alternates=tuple(
            OG_LOCALES.get(code, translation.to_locale(code))
            for code, _name in settings.LANGUAGES
            if code != language
        ),
        published_time=_iso(profile.published_at) if is_topic else "",
        modified_time=_iso(profile.updated_at) if is_topic else "",
        noindex=not is_public(profile),  # only pages anonymous readers may open are indexed
        json_ld=serialise_json_ld(data),
    )
