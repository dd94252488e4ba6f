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
from registry.infra.generation import watch

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
