"""Fuzzing every address: odd path segments and query strings never make a page or the API fail.

Hypothesis generates Unicode, NUL bytes, huge and negative numbers, repeated parameters,
bad page numbers, sort orders, filters, cursors and languages, and sends them as an
anonymous reader and as an editor. Any answer is fine except a 5xx (the test client
re-raises an unhandled exception, so a crash fails the test too). Derandomised: CI sees the
same examples every run.
"""

import json
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from profiles.accounts.roles import assign_role
from profiles.interchange.service import import_text
from profiles.models import Profile
from profiles.services.band_table import ensure_band_table
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]  # no rate limit while fuzzing

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Strings a careless parser trips on, mixed with whatever Hypothesis makes up.
NASTY = [
    "", " ", "0", "-1", "1e999", "NaN", "999999999999999999999999999999", str(2**63), str(-(2**63) - 1),
    "\x00", "%00", "a\x00b", "..", "../..", "%2e%2e%2f", "'", '"', "<script>", "*", "%", "\\", "\ufeff",
    "\u202e", "😀", "中文", "ä" * 300, "x" * 5000, "true", "null", "[]", "{}", "2026-13-45", "2026-02-30T25:61",
    "eyJ4IjoxfQ", "cD0xMjM=", "?", "#", "&", "=",
]  # fmt: skip
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
value = st.one_of(st.sampled_from(NASTY), text, st.integers(min_value=-(2**70), max_value=2**70).map(str))

SITE_PARAMS = ["q", "page", "sort", "kind", "category", "region", "grade", "criticality", "primary_domain",
               "signal_focus", "content_type", "topic", "status", "lang", "next", "from", "to"]  # fmt: skip
API_PARAMS = ["q", "cursor", "page_size", "ordering", "kind", "category", "region", "grade", "status",
              "updated_since", "since", "lang", "format", "dry_run", "limit", "offset"]  # fmt: skip
ADMIN_PARAMS = ["q", "o", "p", "e", "all", "status__exact", "kind__exact", "grade", "stale", "from", "to",
                "_changelist_filters", "_to_field", "_popup", "created_at__gte", "kind"]  # fmt: skip


def query(names):
    pair = st.tuples(st.one_of(st.sampled_from(names), text), value)
    return st.lists(pair, max_size=6).map(lambda pairs: urlencode(pairs))


segment = value.map(lambda v: quote(v, safe=""))


@pytest.fixture
def registry(seed_document):
    ensure_band_table()
    import_text(json.dumps(seed_document))
    profile = Profile.objects.get()
    editor = Client()
    editor.force_login(assign_role(UserFactory(username="fuzz-editor"), "editor"))
    return {"profile": profile, "clients": {"anonymous": Client(), "staff": editor}}


def fetch(registry, audience, url):
    response = registry["clients"][audience].get(url)
    assert response.status_code < 500, (audience, url, response.status_code)
    return response


AUDIENCE = st.sampled_from(["anonymous", "staff"])
LANGUAGE = st.one_of(st.sampled_from(["en", "zh-hans", "zh-hant", "EN", "fr", "xx"]), segment)


@FUZZ
@given(audience=AUDIENCE, language=LANGUAGE, first=segment, second=segment, qs=query(SITE_PARAMS))
def test_site_pages_with_odd_paths_and_queries_never_fail(registry, audience, language, first, second, qs):
    slug = registry["profile"].slug
    for path in [
        f"/{language}/",
        f"/{language}/profiles/",
        f"/{language}/profiles/{first}/",
        f"/{language}/profiles/{slug}/",
        f"/{language}/facets/{first}/{second}/",
        f"/{language}/facets/region/{first}/",
        f"/{language}/facets/topic/{first}/",
        f"/{language}/methodology/",
        f"/{language}/feeds/updates.atom",
        f"/{first}/{second}/",
    ]:
        fetch(registry, audience, f"{path}?{qs}")


@FUZZ
@given(audience=AUDIENCE, qs=query(SITE_PARAMS), language=st.sampled_from(["en", "zh-hans"]))
def test_browse_search_and_facet_queries_never_fail(registry, audience, qs, language):
    for path in [f"/{language}/profiles/", f"/{language}/", f"/{language}/facets/region/Global/",
                 "/sitemap.xml", "/robots.txt", "/accounts/login/", "/accounts/logout/", "/accounts/password_reset/"]:  # fmt: skip
        fetch(registry, audience, f"{path}?{qs}")


@FUZZ
@given(audience=AUDIENCE, first=segment, second=segment, qs=query(API_PARAMS))
def test_api_paths_and_queries_never_fail(registry, audience, first, second, qs):
    slug = registry["profile"].slug
    paths = [
        "/api/v1/", "/api/v1/profiles/", f"/api/v1/profiles/{first}/", f"/api/v1/profiles/{slug}/",
        "/api/v1/confidence-bands/", "/api/v1/changes/", f"/api/v1/{first}/{second}/",
        f"/api/v1/profiles/{slug}/{first}/", f"/api/v1/profiles/{slug}/claims/{first}/",
    ]  # fmt: skip
    for part in ("claims", "evidence", "timeline", "watchpoints", "relationships", "faq"):
        paths += [f"/api/v1/profiles/{slug}/{part}/", f"/api/v1/profiles/{slug}/{part}/{second}/"]
    for path in paths:
        fetch(registry, audience, f"{path}?{qs}")


@FUZZ
@given(cursor=value, since=value, size=value, ordering=value, lang=value)
@example(cursor=str(2**70), since=str(2**70), size=str(2**70), ordering="-score", lang="all")
@example(cursor="\x00", since="-1", size="0", ordering="\x00", lang="\x00")
def test_api_cursors_orderings_and_languages_never_fail(registry, cursor, since, size, ordering, lang):
    for audience in ("anonymous", "staff"):
        qs = urlencode({"cursor": cursor, "page_size": size, "ordering": ordering, "lang": lang})
        fetch(registry, audience, f"/api/v1/profiles/?{qs}")
        fetch(registry, audience, f"/api/v1/changes/?{urlencode({'since': since, 'lang': lang})}")
        fetch(registry, audience, f"/api/v1/profiles/{registry['profile'].slug}/?{urlencode({'lang': lang})}")


@FUZZ
@given(first=segment, qs=query(ADMIN_PARAMS))
@example(first="1", qs=f"from={2**70}&to={2**70}&p={2**70}&o=99")
@example(first=str(2**64), qs="from=-1&to=current&o=-0.1&p=-5")
def test_admin_lists_and_history_with_odd_queries_never_fail(registry, first, qs):
    pk = registry["profile"].pk
    for path in [
        "/admin/profiles/profile/", "/admin/profiles/claim/", "/admin/profiles/evidencerecord/",
        "/admin/profiles/watchpoint/", "/admin/profiles/securityevent/", f"/admin/profiles/profile/{first}/change/",
        f"/admin/profiles/profile/{pk}/history/", f"/admin/profiles/profile/{pk}/history/compare/",
        f"/admin/profiles/profile/{pk}/preview/{first}/", f"/admin/profiles/profile/{pk}/preview/anonymous/",
    ]:  # fmt: skip
        fetch(registry, "staff", f"{path}?{qs}")
