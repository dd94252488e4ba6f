import json
import os
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from registry.infra.generation import watch
from tests.api_support import token_client
from tests.factories import ClaimFactory, MembershipFactory, ProfileFactory, user_with_role

# The Redis the Redis tests use: the suite's own (REDIS_URL) or a local one, database 15.
# Each test keeps its keys under a prefix of its own.
TEST_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
# Set by .ci/run (and on CI=true): a Redis test fails rather than skips without Redis.
REDIS_REQUIRED = bool(os.environ.get("REQUIRE_REDIS")) or os.environ.get("CI", "").lower() == "true"

SEED_FILE = Path(__file__).resolve().parent.parent / "profiles" / "demo" / "ai-data-exhaustion-model-collapse.json"
SEED_SLUG = "ai-data-exhaustion-model-collapse"


@pytest.fixture
def seed_document():
    """The seed profile in the interchange format, as a fresh dict."""
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def seed_profile(seed_document, band_table):
    """The seed profile imported (with the default band table), as stored."""
    from profiles.interchange.service import import_text
    from profiles.models import Profile

    import_text(json.dumps(seed_document))
    return Profile.objects.get(slug=SEED_SLUG)


@pytest.fixture
def band_table(db):
    """The default confidence band table, as a fresh installation has it."""
    from profiles.services.band_table import ensure_band_table

    ensure_band_table()


@pytest.fixture
def draft_profile(db):
    """A draft with one public claim."""
    from profiles.models import ProfileStatus

    profile = ProfileFactory(status=ProfileStatus.DRAFT, summary_en="First summary.")
    ClaimFactory(profile=profile, text_en="A public claim.")
    return profile


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a commit runs (the page cache's invalidation) for the writes inside the block.

    Test data is written the same way: a transaction invalidates once, so writes left
    uncommitted before a block would swallow the block's own invalidation.
    """
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def planted_registry(db):
    """Markers in every gated field (tests/planted.py); returns the public profile."""
    from tests.planted import plant_registry

    return plant_registry()


# People and clients, one for each audience ----------------------------------------------
# Desk (admin) users and Django test clients logged in as them: *_user, *_client.
# API clients: *_api (anonymous, a member's session, an analyst's or editor's token).


@pytest.fixture
def analyst_user(db):
    return user_with_role("analyst", username="ana")


@pytest.fixture
def editor_user(db):
    return user_with_role("editor", username="eve")


@pytest.fixture
def analyst_client(client, analyst_user):
    """The test `client`, logged in to the desk as `analyst_user`."""
    client.force_login(analyst_user)
    return client


@pytest.fixture
def editor_client(client, editor_user):
    """The test `client`, logged in to the desk as `editor_user`."""
    client.force_login(editor_user)
    return client


@pytest.fixture
def no_rate_limits(settings):
    """No API rate limits unless a test sets some; they count in the cache, so it starts empty."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture
def member_api(db):
    client = APIClient()
    client.force_login(MembershipFactory().user)
    return client


@pytest.fixture
def analyst_api(db):
    """An API client with an analyst's token."""
    return token_client("analyst")[0]


@pytest.fixture
def editor_api(db):
    """An API client with an editor's token."""
    return token_client("editor")[0]


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the database rolls back between tests, the cache does not."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in English, whatever language an earlier request activated."""
    with translation.override("en"):
        yield


def redis_reachable(url=TEST_REDIS_URL):
    where = urlsplit(url)
    try:
        socket.create_connection((where.hostname or "127.0.0.1", where.port or 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_url():
    """The Redis location for a test that needs one; skips without Redis, fails when it is required."""
    if not redis_reachable():
        message = f"no Redis at {TEST_REDIS_URL}"
        if REDIS_REQUIRED:
            pytest.fail(f"{message}, and REQUIRE_REDIS (or CI) says the Redis tests must run")
        pytest.skip(message)
    return TEST_REDIS_URL


@pytest.fixture
def resilient_redis(redis_url):
    """The deployed cache backend on the real Redis, under a key prefix of this test's own.

    This process follows the page cache's generation as a server does (`watch`,
    started by registry/wsgi.py in production); the fixture returns once it does.
    """

    config = {
        "default": {
            "BACKEND": "registry.infra.cache.ResilientRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=config):
        try:
            assert watch.start(), "the watch runs on Redis"
            assert watch.wait_following(10), "the watch did not subscribe within 10 s"
            yield config["default"]
        finally:
            watch.stop()
            caches["default"].clear()  # this test's prefix only (registry/cache.py)
