"""The page cache: anonymous pages served without the database, never to the wrong audience, never stale.

Writes in a test never commit (each test is one rolled-back transaction), so the
tests that change data run the commit callbacks with `django_capture_on_commit_callbacks`:
that is what a committed change does.
"""

import os
import uuid
from decimal import Decimal

import pytest
from django.core.cache import cache, caches
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from profiles.models import ConfidenceBand, ProfileStatus, ReviewStatus
from profiles.rules.confidence import DEFAULT_BAND_ROWS
from profiles.selectors.bands import current_bands
from profiles.services import editing, scoring
from profiles.services.band_table import replace_band_table
from profiles.services.history import review_evidence
from registry.infra import generation, page_cache
from registry.infra.generation import (
    GENERATION_CHANNEL,
    GENERATION_KEY,
    _generation_token,
    current_generation,
    is_settled,
    replica_lag_seconds,
    watch,
)

from .factories import (
    ClaimFactory,
    EvidenceFactory,
    MembershipFactory,
    ProfileEvidenceFactory,
    ProfileFactory,
    StaffFactory,
)
from .planted import INTERNAL, MEMBERS, everything_of

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/{lang}/", "/{lang}/profiles/", "/{lang}/profiles/public-exchange/", "/{lang}/methodology/",
                "/{lang}/profiles/?q=exchange", "/{lang}/facets/region/Asia/"]  # fmt: skip
LANGUAGES = ["en", "zh-hans"]
# The harbour page (a profile without claims or parts) rendered for an anonymous reader: the
# profile and its lists. The band table costs one query more when the cache does not hold it.
HARBOUR_PAGE_QUERIES = 8
BAND_TABLE_QUERIES = 1


@pytest.fixture
def profile(committed):
    with committed():
        profile = ProfileFactory(slug="harbour", name_en="Harbour exchange", name_zh_hans="港口交换中心", region="Europe")
        scoring.recompute_scores()
    return profile


def text(response):
    return response.content.decode()


# Hits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_cached_anonymous_page_is_served_without_any_query(client, profile, lang, django_assert_num_queries):
    url = f"/{lang}/profiles/harbour/"
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Language"] == lang
    for header in ("Content-Security-Policy", "X-Frame-Options", "Vary", "Cache-Control"):
        assert second[header] == first[header], header


def test_every_reader_page_is_cached(client, planted_registry, django_assert_num_queries):
    planted_registry.region = "Asia"
    planted_registry.save()
    for lang in LANGUAGES:
        for template in PUBLIC_PAGES:
            url = template.format(lang=lang)
            assert client.get(url).status_code == 200, url
            with django_assert_num_queries(0):
                assert client.get(url).status_code == 200, url


def test_the_languages_are_cached_apart(client, profile):
    client.get("/en/profiles/harbour/")
    chinese = client.get("/zh-hans/profiles/harbour/")
    assert '<html lang="zh-hans">' in text(chinese)
    assert "港口交换中心" in text(chinese)
    assert '<html lang="en">' in text(client.get("/en/profiles/harbour/"))


def test_the_query_string_is_part_of_the_key(client, planted_registry):
    found = 'href="/en/profiles/public-exchange/"'
    assert found in text(client.get("/en/profiles/?q=exchange"))
    client.get("/en/profiles/?q=nothing-matches-this")
    assert found in text(client.get("/en/profiles/?q=exchange"))
    assert found not in text(client.get("/en/profiles/?q=nothing-matches-this"))


def test_a_query_parameter_the_page_does_not_read_is_rendered_and_not_stored(client, profile,
                                                                             django_assert_num_queries):  # fmt: skip
    # The first render also reads the band table into the cache; the page itself is never stored.
    for expected in (HARBOUR_PAGE_QUERIES + BAND_TABLE_QUERIES, HARBOUR_PAGE_QUERIES):
        with django_assert_num_queries(expected):
            assert client.get("/en/profiles/harbour/?utm_source=mail").status_code == 200


def test_a_missing_profile_is_not_cached(client, profile, committed):
    assert client.get("/en/profiles/not-yet/").status_code == 404
    with committed():
        ProfileFactory(slug="not-yet")
    assert client.get("/en/profiles/not-yet/").status_code == 200


# Audiences ----------------------------------------------------------------------------


def test_a_members_page_is_never_served_to_an_anonymous_reader(client, planted_registry):
    member = MembershipFactory().user
    client.force_login(member)
    for lang in LANGUAGES:
        for template in PUBLIC_PAGES:
            client.get(template.format(lang=lang))  # warm every page as a member first
    assert MEMBERS in everything_of(client.get("/en/profiles/public-exchange/"))
    client.logout()
    for lang in LANGUAGES:
        for template in PUBLIC_PAGES:
            url = template.format(lang=lang)
            page = everything_of(client.get(url))
            assert MEMBERS not in page, url
            assert INTERNAL not in page, url
            assert member.username.lower() not in page, url


def test_an_anonymous_page_is_never_served_to_a_member_or_analyst(client, planted_registry):
    for lang in LANGUAGES:
        for template in PUBLIC_PAGES:
            client.get(template.format(lang=lang))  # warm every page anonymously first
    client.force_login(MembershipFactory().user)
    page = everything_of(client.get("/en/profiles/public-exchange/"))
    assert MEMBERS in page
    assert INTERNAL not in page
    client.force_login(StaffFactory())
    assert INTERNAL in everything_of(client.get("/en/profiles/?q=marker"))


def test_any_session_cookie_bypasses_the_cache_and_is_private(client, profile, django_assert_num_queries):
    client.get("/en/profiles/harbour/")
    client.cookies["sessionid"] = "not-a-session"
    with django_assert_num_queries(1 + HARBOUR_PAGE_QUERIES):  # the session looked up (none), the page rendered
        response = client.get("/en/profiles/harbour/")
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_a_member_page_is_private_and_an_anonymous_one_revalidated(client, profile):
    anonymous = client.get("/en/profiles/harbour/")
    assert "private" not in anonymous["Cache-Control"]
    assert "max-age=0" in anonymous["Cache-Control"]
    assert "Cookie" in anonymous["Vary"]
    client.force_login(MembershipFactory().user)
    member = client.get("/en/profiles/harbour/")
    assert "private" in member["Cache-Control"]
    assert "Cookie" in member["Vary"]


def test_a_cached_page_carries_no_csrf_token_or_cookie(client, profile):
    for _ in range(2):  # the miss and the hit
        response = client.get("/en/profiles/harbour/")
        assert "csrfmiddlewaretoken" not in text(response)
        assert not response.cookies
    # The language switch and the login are plain links: any visitor may use the cached page.
    assert 'href="/zh-hans/profiles/harbour/"' in text(response)
    assert 'href="/accounts/login/?next=' in text(response)


# Conditional GET ----------------------------------------------------------------------


@pytest.mark.parametrize("warm", [False, True])
def test_if_none_match_answers_304(client, profile, warm):
    if warm:
        client.get("/en/profiles/harbour/")
    etag = client.get("/en/profiles/harbour/")["ETag"]
    response = client.get("/en/profiles/harbour/", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get("/en/profiles/harbour/", headers={"if-none-match": '"stale"'}).status_code == 200


def test_the_etag_differs_per_language_and_audience(client, profile):
    english = client.get("/en/profiles/harbour/")["ETag"]
    chinese = client.get("/zh-hans/profiles/harbour/")["ETag"]
    assert english != chinese
    client.force_login(MembershipFactory().user)
    member = client.get("/en/profiles/harbour/", headers={"if-none-match": english})
    assert member.status_code == 200
    assert member["ETag"] != english


def test_the_etag_is_keyed_by_language_and_audience_even_for_equal_bytes():
    body = b"<p>same</p>"
    assert page_cache.page_etag(body, language="en", audience="anonymous") != page_cache.page_etag(
        body, language="zh-hans", audience="anonymous"
    )
    assert page_cache.page_etag(body, language="en", audience="anonymous") != page_cache.page_etag(
        body, language="en", audience="member"
    )


# Invalidation -------------------------------------------------------------------------


def _warm(client, url="/{lang}/profiles/harbour/"):
    for lang in LANGUAGES:
        client.get(url.format(lang=lang))


def test_an_edit_is_visible_at_once_in_both_languages(client, profile, committed):
    _warm(client)
    with committed():
        editing.update_profile(
            profile, fields={"name": {"en": "Harbour exchange renamed", "zh-hans": "港口交换中心更名"}},
            actor=StaffFactory(is_superuser=True),
        )  # fmt: skip
    assert "Harbour exchange renamed" in text(client.get("/en/profiles/harbour/"))
    assert "港口交换中心更名" in text(client.get("/zh-hans/profiles/harbour/"))


def test_publication_and_unpublication_are_visible_at_once(client, profile, committed):
    with committed():
        draft = ProfileFactory(slug="draft-one", status=ProfileStatus.DRAFT, name_en="Draft registry")
    _warm(client, "/{lang}/profiles/")
    _warm(client, "/{lang}/profiles/draft-one/")
    with committed():
        draft.status = ProfileStatus.PUBLISHED
        draft.save()
    assert client.get("/en/profiles/draft-one/").status_code == 200
    assert "Draft registry" in text(client.get("/zh-hans/profiles/"))
    _warm(client)
    with committed():
        profile.status = ProfileStatus.ARCHIVED
        profile.save()
    for lang in LANGUAGES:
        assert client.get(f"/{lang}/profiles/harbour/").status_code == 404
        assert "Harbour exchange" not in text(client.get(f"/{lang}/profiles/"))


def test_a_new_claim_is_visible_at_once(client, profile, committed):
    _warm(client)
    with committed():
        ClaimFactory(profile=profile, text_en="A freshly verified claim")
    assert "A freshly verified claim" in text(client.get("/en/profiles/harbour/"))


def test_an_evidence_review_is_visible_at_once(client, profile, committed):
    with committed():
        record = EvidenceFactory(title_en="Pending source title", review_status=ReviewStatus.PENDING)
        ProfileEvidenceFactory(profile=profile, evidence=record, key="pending")
    _warm(client)
    assert "Pending source title" not in text(client.get("/en/profiles/harbour/"))
    with committed():
        review_evidence([record], ReviewStatus.REVIEWED, actor=StaffFactory())
    assert "Pending source title" in text(client.get("/en/profiles/harbour/"))


def test_a_band_table_change_is_visible_at_once(client, profile, committed):
    _warm(client, "/{lang}/methodology/")
    rows = [
        {"lower": lower, "upper": upper, "grade": grade, "label_en": label_en, "label_zh_hans": label_zh}
        for lower, upper, grade, label_en, label_zh, *_descriptions in DEFAULT_BAND_ROWS
    ]
    rows[0]["label_en"], rows[0]["label_zh_hans"] = "Top of the table", "表格顶端"
    with committed():
        replace_band_table(rows)
    assert "Top of the table" in text(client.get("/en/methodology/"))
    assert "表格顶端" in text(client.get("/zh-hans/methodology/"))


def test_a_rolled_back_change_invalidates_nothing(client, profile, committed, django_assert_num_queries):
    _warm(client)
    with committed():
        try:
            with transaction.atomic():
                profile.name_en = "Never committed"
                profile.save()
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    with django_assert_num_queries(0):
        page = client.get("/en/profiles/harbour/")
    assert "Never committed" not in text(page)


def test_a_transaction_of_many_writes_invalidates_once(profile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        for n in range(20):
            ClaimFactory(profile=profile, text_en=f"claim {n}")
    assert len(callbacks) == 1


def test_another_process_invalidating_makes_this_one_miss(client, profile, django_assert_num_queries):
    client.get("/en/profiles/harbour/")
    publish = getattr(caches["default"], "set_and_publish", None)
    if publish is None:  # local memory: the generation is read from the cache on every request
        cache.set(GENERATION_KEY, "set-by-another-server", None)
    else:  # Redis: as another server invalidates, stored and published
        publish(GENERATION_KEY, "set-by-another-server", GENERATION_CHANNEL)
        if watch.wait_following(0):  # a watch runs (not under the test client alone)
            _watched("set-by-another-server")
    # Rendered again; the band table, cached under the old generation, is read again too.
    with django_assert_num_queries(HARBOUR_PAGE_QUERIES + BAND_TABLE_QUERIES):
        client.get("/en/profiles/harbour/")


def test_a_hit_reads_only_the_generation_from_the_shared_cache(client, profile, monkeypatch):
    first = client.get("/en/profiles/harbour/")
    read = []
    shared_get, shared_get_many = page_cache.cache.get, page_cache.cache.get_many
    monkeypatch.setattr(page_cache.cache, "get", lambda key, *a, **k: read.append(key) or shared_get(key, *a, **k))
    monkeypatch.setattr(page_cache.cache, "get_many", lambda keys, *a, **k: read.extend(keys) or shared_get_many(keys, *a, **k))
    second = client.get("/en/profiles/harbour/")
    assert second.content == first.content
    # the page's bytes come from this process's copy; on Redis even the generation does
    assert read in ([GENERATION_KEY], []), "the page's bytes come from this process's copy"


def test_this_process_keeps_a_bounded_number_of_pages(client, planted_registry, monkeypatch):
    monkeypatch.setattr(page_cache, "LOCAL_PAGES", 2)
    for url in ("/en/", "/zh-hans/", "/en/profiles/", "/zh-hans/profiles/"):
        client.get(url)
    assert len(page_cache._local_pages) == 2


# Switched off (several processes without a shared cache) ------------------------------


def test_without_a_shared_cache_every_page_is_rendered_fresh_with_its_etag(client, profile, settings,
                                                                          django_assert_num_queries):  # fmt: skip
    settings.PAGE_CACHE = False
    first = client.get("/en/profiles/harbour/")
    with django_assert_num_queries(HARBOUR_PAGE_QUERIES + BAND_TABLE_QUERIES):  # rendered again, bands read again
        assert client.get("/en/profiles/harbour/").status_code == 200
    assert "private" not in first["Cache-Control"]
    response = client.get("/en/profiles/harbour/", headers={"if-none-match": first["ETag"]})
    assert response.status_code == 304


def test_without_a_shared_cache_the_band_table_is_read_each_time(settings, django_assert_num_queries):
    settings.PAGE_CACHE = False
    current_bands(cached=True)
    with django_assert_num_queries(1):
        current_bands(cached=True)


# The band table -----------------------------------------------------------------------


def test_the_band_table_is_read_once_then_from_the_cache(django_assert_num_queries):
    with django_assert_num_queries(1):
        english = current_bands(cached=True)
    with django_assert_num_queries(0), translation.override("zh-hans"):
        chinese = current_bands(cached=True)
    assert [band.label for band in english][:2] == ["High", "Strong"]
    assert [band.label for band in chinese][:2] == ["高", "强"]
    assert english[0].lower == Decimal("0.90")


# Redis ----------------------------------------------------------------------------------
# `resilient_redis` (tests/conftest.py): the deployed backend on a real Redis, this process
# following the generation as a server does. Waits are bounded polls for a condition, never
# sleeps in the hope that something has happened.


def test_the_page_cache_works_on_redis(client, profile, committed, django_assert_num_queries, redis_url):
    """Django's own RedisCache: no publish/subscribe, so the generation is read on every request."""
    from registry.infra.cache import ResilientRedisCache

    redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=redis):
        try:
            client.get("/en/profiles/harbour/")
            with django_assert_num_queries(0):
                assert "Harbour exchange" in text(client.get("/en/profiles/harbour/"))
            with committed():
                profile.name_en = "Harbour exchange on Redis"
                profile.save()
            assert "Harbour exchange on Redis" in text(client.get("/en/profiles/harbour/"))
        finally:  # RedisCache.clear() would empty the whole database: this prefix only
            ResilientRedisCache(redis_url, {"KEY_PREFIX": redis["default"]["KEY_PREFIX"]}).clear()


def _watched(expected=None, seconds=10.0):
    """Wait until this process's watch follows the stored generation (or the expected one)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen = watch.generation()
        if seen is not None and seen == (expected or cache.get(GENERATION_KEY)):
            return seen
        time.sleep(0.01)
    raise AssertionError(f"the watch did not follow the stored generation in {seconds} s")


def _other_server(resilient_redis):
    """The cache as another app server sees it: the same Redis and prefix, another backend object."""
    from registry.infra.cache import ResilientRedisCache

    return ResilientRedisCache(resilient_redis["LOCATION"], {"KEY_PREFIX": resilient_redis["KEY_PREFIX"]})


def test_on_redis_a_hit_makes_no_round_trip_at_all(client, profile, resilient_redis, monkeypatch):
    first = client.get("/en/profiles/harbour/")
    _watched()
    client.get("/en/profiles/harbour/")  # stored in this process's copies under the watched generation
    reads = []
    backend = caches["default"]  # this backend object, not the proxy: the fixture swaps caches
    shared_get, shared_get_many = backend.get, backend.get_many
    monkeypatch.setattr(backend, "get", lambda key, *a, **k: reads.append(key) or shared_get(key, *a, **k))
    monkeypatch.setattr(backend, "get_many", lambda keys, *a, **k: reads.extend(keys) or shared_get_many(keys, *a, **k))
    second = client.get("/en/profiles/harbour/")
    assert second.content == first.content
    assert reads == []


def test_on_redis_the_first_generation_is_published_as_it_is_created(resilient_redis):
    """No generation yet: whoever creates it publishes it, and the watch follows it at once."""
    assert cache.get(GENERATION_KEY) is None
    assert watch.generation() is None
    created = current_generation()
    assert cache.get(GENERATION_KEY) == created
    assert _watched(created) == created


def test_on_redis_a_process_that_loses_the_race_to_create_the_generation_follows_the_stored_one(resilient_redis):
    _other_server(resilient_redis).add_and_publish(GENERATION_KEY, "created-elsewhere", GENERATION_CHANNEL)
    assert page_cache.read_page("pages:page:any")[0] == "created-elsewhere"
    assert current_generation() == "created-elsewhere"
    stored = caches["default"].add_and_publish(GENERATION_KEY, "too-late", GENERATION_CHANNEL)
    assert stored == "created-elsewhere"
    assert _watched("created-elsewhere") == cache.get(GENERATION_KEY)


def test_on_redis_another_servers_invalidation_reaches_this_process_by_its_publication(
    client, profile, resilient_redis, settings, django_assert_num_queries
):
    # The stored generation is never re-read meanwhile: only the publication can tell the watch.
    settings.PAGE_CACHE_RECHECK_SECONDS = 3600
    watch.start()
    assert watch.wait_following(10)
    client.get("/en/profiles/harbour/")
    _watched()
    _other_server(resilient_redis).set_and_publish(GENERATION_KEY, "from-another-server",
                                                   GENERATION_CHANNEL)  # fmt: skip
    _watched("from-another-server")
    # Rendered again (the page of the old generation is not served), the band table read again.
    with django_assert_num_queries(HARBOUR_PAGE_QUERIES + BAND_TABLE_QUERIES):
        assert client.get("/en/profiles/harbour/").status_code == 200


def test_on_redis_a_forked_worker_follows_invalidations_on_its_own_subscription(resilient_redis):
    """gunicorn --preload: a worker forked from a process that watches follows on its own, both ways."""
    import multiprocessing
    import warnings

    parent_end, child_end = multiprocessing.Pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking while the watch's thread runs
        pid = os.fork()
    if pid == 0:  # the worker: report each step, then leave without running the parent's cleanup
        status = 1
        try:
            child_end.send(watch.wait_following(10))
            if child_end.poll(10):
                child_end.send(_watched(child_end.recv()))
            caches["default"].set_and_publish(GENERATION_KEY, "from-the-worker",
                                                      GENERATION_CHANNEL)  # fmt: skip
            child_end.send("published")
            status = 0
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
            child_end.send(f"failed: {exc!r}")
        finally:
            os._exit(status)
    try:
        assert parent_end.poll(15) and parent_end.recv() is True, "the worker did not follow on its own"
        _other_server(resilient_redis).set_and_publish(GENERATION_KEY, "from-the-parent",
                                                       GENERATION_CHANNEL)  # fmt: skip
        parent_end.send("from-the-parent")
        assert parent_end.poll(15) and parent_end.recv() == "from-the-parent", "the worker missed a publication"
        assert parent_end.poll(15) and parent_end.recv() == "published"
        _watched("from-the-worker")
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_with_redis_unreachable_pages_are_rendered_and_nothing_waits_on_the_watch(client, profile,
                                                                                 django_assert_num_queries):  # fmt: skip
    config = {"default": {"BACKEND": "registry.infra.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:9/0",
                          "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}}}  # fmt: skip
    with override_settings(CACHES=config):
        try:
            assert watch.start()  # as a server starts it
            for _ in range(2):  # rendered each time, the band table read each time: nothing is stored
                with django_assert_num_queries(HARBOUR_PAGE_QUERIES + BAND_TABLE_QUERIES):
                    assert client.get("/en/profiles/harbour/").status_code == 200
            assert not watch.wait_following(0.2)
            assert watch.generation() is None
        finally:
            watch.stop()


def test_the_watch_starts_only_where_it_can_follow_invalidations(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not watch.start(), "local memory: nothing to subscribe to"
    assert watch.generation() is None
    settings.PAGE_CACHE = False
    assert not watch.start()


def test_scoring_reads_the_band_table_itself_not_the_cached_copy():
    current_bands(cached=True)
    ConfidenceBand.objects.filter(grade="A").update(label_en="Edited in the database")
    assert current_bands()[0].label == "Edited in the database"
    assert current_bands(cached=True)[0].label == "High"  # pages: until the next invalidation


def test_with_a_replica_pages_are_stored_only_once_its_lag_has_passed(monkeypatch):
    monkeypatch.setattr(generation, "replica_lag_seconds", lambda: 10)
    token = _generation_token()
    began = float(token.split("-")[0])
    assert not is_settled(token, now=began + 2)
    assert is_settled(token, now=began + 10)
    assert not is_settled("not-a-token")


def test_without_a_replica_every_generation_is_settled():
    assert replica_lag_seconds() == 0
    assert is_settled(_generation_token())
