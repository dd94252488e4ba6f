"""The API's anonymous read cache: no query on a hit, never another audience's body, never stale.

Anonymous reads are stored under the page cache's generation (profiles/page_cache.py), so
the writes that make pages stale make API responses stale too. Writes in a test never
commit: the tests that change data run the commit callbacks (`committed()`), as a
committed change does.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from profiles.models import ChangeAction, Profile, ProfileStatus
from profiles.rules.confidence import DEFAULT_BAND_ROWS
from profiles.services import editing, scoring
from profiles.services.band_table import ensure_band_table, replace_band_table
from profiles.services.changes import change_entry, record_changes
from registry.infra import page_cache
from registry.infra.generation import GENERATION_KEY, watch
from tests.api_support import API, client_with_token, error_of, token_client
from tests.factories import ClaimFactory, MembershipFactory, ProfileFactory, StaffFactory
from tests.planted import INTERNAL, MEMBERS, api_crawl, everything_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]

# SQL queries of a read rendered for an anonymous caller, the band table cached: the harbour
# detail (a profile with one claim and no other part: the profile, then its topics, sources,
# claims, their citations, timeline, watchpoints, relationships and FAQ), and reads of the
# planted registry (tests/planted.py), whose public profile has every part.
HARBOUR_DETAIL_QUERIES = 9
PLANTED_QUERIES = {"/profiles/public-exchange/": 10, "/profiles/public-exchange/claims/": 10, "/changes/": 12}
# Each read and its SQL queries the first time, the band table read into the cache included.
READS = {
    "/": 0,  # the root reads nothing from the database
    "/profiles/": 3,  # bands, the page, its topics
    "/profiles/?page_size=1&ordering=slug": 3,
    "/profiles/harbour/": 1 + HARBOUR_DETAIL_QUERIES,
    "/profiles/harbour/?lang=all": 1 + HARBOUR_DETAIL_QUERIES,
    "/profiles/harbour/claims/": 1 + HARBOUR_DETAIL_QUERIES,  # a part reads the profile's graph as the detail does
    "/profiles/harbour/faq/": 1 + HARBOUR_DETAIL_QUERIES,
    "/confidence-bands/": 2,  # the cached band table, and the table the endpoint lists
    "/changes/?limit=5": 2 + HARBOUR_DETAIL_QUERIES,  # bands, the change rows, the graphs of their profiles
}


@pytest.fixture
def profile(committed):
    with committed():
        ensure_band_table()
        profile = ProfileFactory(slug="harbour", name_en="Harbour exchange", name_zh_hans="港口交换中心")
        ClaimFactory(profile=profile, text_en="The harbour exchange peers openly.")
        record_changes([change_entry(profile, ChangeAction.CREATED, public_before=False)])
        scoring.recompute_scores()
    return profile


@pytest.fixture
def registry(request, committed):
    """The planted registry (tests/planted.py), committed, every profile in the changes feed."""
    with committed():
        public = request.getfixturevalue("planted_registry")
        record_changes(
            change_entry(profile, ChangeAction.CREATED, public_before=False) for profile in Profile.objects.all()
        )
    return public


def get(client, url, **headers):
    """(response, number of SQL queries it ran)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}{url}", **headers)
    return response, len(queries)


# Hits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", READS)
def test_a_repeated_anonymous_read_runs_no_query_and_answers_the_same(profile, url):
    client = client_with_token()
    first, cold = get(client, url)
    again, warm = get(client, url)
    assert first.status_code == again.status_code == 200
    assert (cold, warm) == (READS[url], 0)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Vary"] == first["Vary"]


def test_a_head_request_is_served_from_the_stored_read(profile):
    client = client_with_token()
    etag = get(client, "/profiles/harbour/")[0]["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.head(f"{API}/profiles/harbour/")
    assert response.status_code == 200 and response["ETag"] == etag and len(queries) == 0


def test_if_none_match_answers_304_on_a_hit(profile):
    client = client_with_token()
    first, _ = get(client, "/profiles/harbour/?lang=zh-hans")
    response, queries = get(client, "/profiles/harbour/?lang=zh-hans", HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304 and queries == 0
    assert response["ETag"] == first["ETag"] and response["Content-Language"] == "zh-hans"
    assert "Accept-Language" in response["Vary"]
    other, _ = get(client, "/profiles/harbour/?lang=zh-hans", HTTP_IF_NONE_MATCH='"p1v1-0000"')
    assert other.status_code == 200 and other.content == first.content


def test_the_languages_are_cached_apart(profile):
    client = client_with_token()
    ways = {
        "default": ({}, "/profiles/harbour/", "en", "Harbour exchange"),
        "accept-language": ({"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}, "/profiles/harbour/", "zh-hans", "港口交换中心"),
        "query": ({"HTTP_ACCEPT_LANGUAGE": "en"}, "/profiles/harbour/?lang=zh-hans", "zh-hans", "港口交换中心"),
        "query-en": ({"HTTP_ACCEPT_LANGUAGE": "zh-CN"}, "/profiles/harbour/?lang=en", "en", "Harbour exchange"),
    }
    for _round in range(2):
        for way, (headers, url, language, name) in ways.items():
            response, _queries = get(client, url, **headers)
            assert response.json()["name"] == name, way
            assert response["Content-Language"] == language, way
    _response, queries = get(client, "/profiles/harbour/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert queries == 0
    both = get(client, "/profiles/harbour/?lang=all")[0].json()["name"]
    assert both == {"en": "Harbour exchange", "zh-hans": "港口交换中心"}


def test_a_requested_indent_is_cached_apart(profile):
    client = client_with_token()
    plain, _ = get(client, "/profiles/harbour/")
    indented, queries = get(client, "/profiles/harbour/", HTTP_ACCEPT="application/json; indent=4")
    assert queries == HARBOUR_DETAIL_QUERIES  # rendered, not the stored plain body
    assert indented.content != plain.content and b'\n    "slug"' in indented.content
    assert get(client, "/profiles/harbour/")[0].content == plain.content


# What is never stored ------------------------------------------------------------------


def test_errors_are_not_stored(profile):
    client = client_with_token()
    # A 404 is looked up again (one query); a 400 on a parameter is refused before any query.
    for url, status, expected in [("/profiles/missing/", 404, 1), ("/profiles/?page_size=0", 400, 0),
                                  ("/profiles/harbour/?lang=fr", 400, 0)]:  # fmt: skip
        first, _ = get(client, url)
        again, queries = get(client, url)
        assert first.status_code == again.status_code == status, url
        assert error_of(again)
        assert queries == expected, url


def test_a_query_parameter_the_endpoint_does_not_read_is_answered_and_not_stored(profile):
    client = client_with_token()
    first, _ = get(client, "/profiles/harbour/?utm_source=mail")
    again, queries = get(client, "/profiles/harbour/?utm_source=mail")
    assert first.status_code == again.status_code == 200 and queries == HARBOUR_DETAIL_QUERIES  # rendered again


def test_a_staff_tokens_read_is_never_served_to_anonymous_callers(registry):
    staff, _user = token_client("analyst")
    for url in ("/profiles/public-exchange/", "/profiles/public-exchange/claims/", "/changes/"):
        staff_text = everything_of(get(staff, url)[0])
        assert INTERNAL in staff_text, url  # the markers reach the staff response
        response, queries = get(client_with_token(), url)
        assert queries == PLANTED_QUERIES[url], f"{url}: not rendered for the anonymous caller"
        assert INTERNAL not in everything_of(response) and MEMBERS not in everything_of(response), url


def test_a_member_sessions_read_is_never_served_to_anonymous_callers(registry):
    member = APIClient()
    member.force_login(MembershipFactory().user)
    assert MEMBERS in everything_of(get(member, "/profiles/public-exchange/")[0])
    response, queries = get(client_with_token(), "/profiles/public-exchange/")
    assert queries == PLANTED_QUERIES["/profiles/public-exchange/"]  # rendered for the anonymous caller
    assert MEMBERS not in everything_of(response)


def test_anonymous_crawls_from_the_cache_show_no_gated_text_after_staff_and_members_read(registry):
    staff, _user = token_client("analyst")
    member, _user = token_client("member")
    for client in (staff, member):
        for _url, _response in api_crawl(client):
            pass
    anonymous = client_with_token()
    for _round in range(2):  # the second crawl is served from the cache
        for url, response in api_crawl(anonymous):
            text = everything_of(response)
            assert MEMBERS not in text and INTERNAL not in text, url


def test_token_and_session_callers_are_never_served_the_anonymous_body(registry):
    anonymous = client_with_token()
    for _round in range(2):
        for _url, _response in api_crawl(anonymous):
            pass
    member, _user = token_client("member")
    session = APIClient()
    session.force_login(MembershipFactory().user)
    for client in (member, session):
        texts = " ".join(everything_of(response) for _url, response in api_crawl(client))
        assert MEMBERS in texts and INTERNAL not in texts
    staff, _user = token_client("analyst")
    assert INTERNAL in " ".join(everything_of(response) for _url, response in api_crawl(staff))


def test_a_bad_token_is_refused_even_when_the_read_is_stored(profile):
    get(client_with_token(), "/profiles/harbour/")
    response, _ = get(client_with_token("rk_not-a-real-key"), "/profiles/harbour/")
    assert response.status_code == 401


# Freshness -------------------------------------------------------------------------------


def warm(*urls):
    client = client_with_token()
    for url in urls:
        for suffix in ("", "?lang=zh-hans", "?lang=all"):
            assert get(client, f"{url}{suffix}")[0].status_code in (200, 404)
    return client


def test_an_edit_is_visible_at_once_in_every_language(profile, committed):
    client = warm("/profiles/harbour/", "/profiles/", "/changes/")
    with committed():
        editing.update_profile(
            profile, fields={"name": {"en": "Harbour renamed", "zh-hans": "港口更名"}}, actor=StaffFactory(is_superuser=True)
        )
    assert get(client, "/profiles/harbour/")[0].json()["name"] == "Harbour renamed"
    assert get(client, "/profiles/harbour/?lang=zh-hans")[0].json()["name"] == "港口更名"
    assert get(client, "/profiles/harbour/?lang=all")[0].json()["name"]["en"] == "Harbour renamed"
    assert "Harbour renamed" in get(client, "/profiles/")[0].content.decode()
    assert "Harbour renamed" in get(client, "/changes/")[0].content.decode()


def test_publication_and_unpublication_are_visible_at_once(profile, committed):
    with committed():
        draft = ProfileFactory(slug="draft-one", status=ProfileStatus.DRAFT, name_en="Draft registry")
    client = warm("/profiles/draft-one/", "/profiles/", "/profiles/harbour/", "/profiles/harbour/claims/")
    assert get(client, "/profiles/draft-one/")[0].status_code == 404
    with committed():
        draft.status = ProfileStatus.PUBLISHED
        draft.save()
    assert get(client, "/profiles/draft-one/")[0].status_code == 200
    assert "Draft registry" in get(client, "/profiles/?lang=zh-hans")[0].content.decode()
    with committed():
        profile.status = ProfileStatus.ARCHIVED
        profile.save()
    for suffix in ("", "claims/"):
        assert get(client, f"/profiles/harbour/{suffix}")[0].status_code == 404
    assert "harbour" not in get(client, "/profiles/")[0].content.decode()


def test_a_new_claim_is_visible_at_once(profile, committed):
    client = warm("/profiles/harbour/claims/")
    with committed():
        ClaimFactory(profile=profile, text_en="A freshly verified claim")
    assert "A freshly verified claim" in get(client, "/profiles/harbour/claims/")[0].content.decode()


def test_a_band_table_change_is_visible_at_once(profile, committed):
    client = warm("/confidence-bands/", "/profiles/harbour/")
    rows = [
        {"lower": lower, "upper": upper, "grade": grade, "label_en": f"{label_en} (renamed)", "label_zh_hans": f"{label_zh}（新）"}
        for lower, upper, grade, label_en, label_zh, *_descriptions in DEFAULT_BAND_ROWS
    ]
    with committed():
        replace_band_table(rows)
    labels = [band["label"] for band in get(client, "/confidence-bands/")[0].json()["results"]]
    assert labels and all(label.endswith("(renamed)") for label in labels)
    assert get(client, "/profiles/harbour/?lang=zh-hans")[0].json()["confidence"]["label"].endswith("（新）")


# Who may keep a response ----------------------------------------------------------------------


def member_client():
    client = APIClient()
    client.force_login(MembershipFactory().user)
    return client


CALLERS = {
    "member session": member_client,
    "analyst token": lambda: token_client("analyst")[0],
    "editor token": lambda: token_client("editor")[0],
}


@pytest.mark.parametrize("url", ["/profiles/harbour/", "/profiles/"])
@pytest.mark.parametrize("caller", CALLERS)
def test_a_signed_in_callers_reads_are_private_so_no_shared_cache_keeps_them(profile, caller, url):
    client = CALLERS[caller]()
    response, _queries = get(client, url)
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}  # as pages say it
    not_modified, _queries = get(client, url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert not_modified.status_code == 304 and "private" in not_modified["Cache-Control"]


@pytest.mark.parametrize("caller", CALLERS)
def test_a_signed_in_callers_errors_are_private_too(profile, caller, settings):
    client = CALLERS[caller]()
    assert "private" in get(client, "/profiles/no-such-profile/")[0]["Cache-Control"]
    assert "private" in get(client, "/profiles/?ordering=nonsense")[0]["Cache-Control"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": "1/min"}}
    get(client, "/profiles/")
    throttled, _queries = get(client, "/profiles/")
    assert throttled.status_code == 429 and "private" in throttled["Cache-Control"]


def test_a_wrong_token_is_answered_privately():
    response, _queries = get(client_with_token("rk_not-a-key"), "/profiles/")
    assert response.status_code == 401 and "private" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/profiles/harbour/", "/profiles/"])
def test_anonymous_reads_stay_as_they_were_with_no_cache_control(profile, url):
    client = client_with_token()
    for _round in range(2):  # rendered, then from the stored read
        response, _queries = get(client, url)
        assert response.status_code == 200 and not response.has_header("Cache-Control")


# Limits and settings ----------------------------------------------------------------------


def test_rate_limits_still_count_and_answer_429_on_hits(profile, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": None}}
    client = client_with_token()
    assert get(client, "/profiles/harbour/")[0].status_code == 200
    for _hit in range(2):
        response, queries = get(client, "/profiles/harbour/")
        assert response.status_code == 200 and queries == 0
    response, queries = get(client, "/profiles/harbour/")
    assert response.status_code == 429 and queries == 0
    assert error_of(response)["code"] == "throttled" and int(response["Retry-After"]) > 0


def test_without_a_shared_cache_every_read_is_rendered(profile, settings):
    settings.PAGE_CACHE = False
    client = client_with_token()
    first, _ = get(client, "/profiles/harbour/")
    again, queries = get(client, "/profiles/harbour/")
    assert queries == HARBOUR_DETAIL_QUERIES + 1  # rendered again, the band table read again
    assert again.content == first.content and again["ETag"] == first["ETag"]


# On Redis, as deployed -------------------------------------------------------------------


def test_on_redis_a_repeated_read_makes_no_round_trip_and_an_edit_is_visible_at_once(profile, committed,
                                                                                        resilient_redis, monkeypatch):  # fmt: skip
    """The deployed backend, this process following the generation (`resilient_redis`, tests/conftest.py)."""

    client = client_with_token()
    first, cold = get(client, "/profiles/harbour/")
    assert watch.generation() == caches["default"].get(GENERATION_KEY)  # created and seen
    reads = []
    backend = caches["default"]
    shared_get, shared_get_many = backend.get, backend.get_many
    monkeypatch.setattr(backend, "get", lambda key, *a, **k: reads.append(key) or shared_get(key, *a, **k))
    monkeypatch.setattr(backend, "get_many", lambda keys, *a, **k: reads.extend(keys) or shared_get_many(keys, *a, **k))
    again, warm = get(client, "/profiles/harbour/")
    assert cold > 0 and warm == 0 and again.content == first.content
    assert GENERATION_KEY not in reads and not any(key.startswith(page_cache.API_KEY_PREFIX) for key in reads)
    with committed():
        editing.update_profile(profile, fields={"name": {"en": "Harbour on Redis"}}, actor=StaffFactory(is_superuser=True))
    assert get(client, "/profiles/harbour/")[0].json()["name"] == "Harbour on Redis"
