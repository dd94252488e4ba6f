"""Faults: a lost database answers a localised 503, a lost Redis leaves the site uncached, /healthz.

The real outages — a PostgreSQL cluster stopped under a running server, an import killed
with SIGKILL — are in tests/test_fault_drills.py (PostgreSQL only).
"""

import logging
import socket
import time
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection

from profiles.services.band_table import ensure_band_table
from registry.infra import cache as registry_cache
from registry.infra import health
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db

REFUSED = "connection failed: connection to server at \"127.0.0.1\", port 5432 failed: Connection refused\n\tIs the server running?"


@pytest.fixture
def database_down():
    """Every new query fails as it does when PostgreSQL is stopped."""
    with mock.patch.object(connection, "cursor", side_effect=OperationalError(REFUSED)):
        yield


@pytest.fixture
def profile():
    ensure_band_table()
    return ProfileFactory(name_en="Root zone operator", name_zh_hans="根区运营者")


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


# --- database down: 503 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, title, text",
    [
        ("/en/", "Temporarily unavailable", "The registry is temporarily unavailable"),
        ("/en/profiles/?q=dns", "Temporarily unavailable", "The registry is temporarily unavailable"),
        ("/zh-hans/", "暂时无法访问", "档案库暂时无法访问"),
        ("/zh-hans/methodology/", "暂时无法访问", "档案库暂时无法访问"),
    ],
)
def test_pages_answer_a_localised_503_while_the_database_is_down(client, profile, database_down, path, title, text):
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert f"<title>{title}" in body and text in body
    assert "Traceback" not in body and "OperationalError" not in body and "5432" not in body


def test_a_logged_in_reader_gets_the_503_too(client, profile, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="x"))
    with mock.patch.object(connection, "cursor", side_effect=OperationalError(REFUSED)):
        response = client.get(f"/en/profiles/{profile.slug}/")
    assert response.status_code == 503
    assert "The registry is temporarily unavailable" in response.content.decode()


def test_the_api_answers_503_in_its_error_shape_and_language(client, profile, database_down):
    response = client.get("/api/v1/profiles/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {
        "error": {"code": "service_unavailable", "message": "The registry's database is unavailable; try again shortly."}
    }
    chinese = client.get(f"/api/v1/profiles/{profile.slug}/?lang=zh-hans")
    assert chinese.status_code == 503
    assert chinese.json()["error"]["message"] == "档案库的数据库暂时不可用，请稍后再试。"
    by_header = client.get("/api/v1/profiles/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert by_header.json()["error"]["message"] == "档案库的数据库暂时不可用，请稍后再试。"


def test_an_outage_is_logged_as_one_line_without_a_traceback(client, profile, database_down, caplog):
    with caplog.at_level(logging.WARNING):
        client.get("/en/profiles/")
    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(records) == 1, [record.getMessage() for record in records]
    record = records[0]
    assert record.name == "registry.availability" and record.exc_info is None
    message = record.getMessage()
    assert "\n" not in message
    assert message.startswith("database unavailable: GET /en/profiles/ answered 503 (OperationalError: connection failed")


def test_other_errors_are_still_500s(client, profile):
    client.raise_request_exception = False
    with mock.patch("profiles.web.views.site.current_bands", side_effect=ValueError("a bug")):
        response = client.get("/en/methodology/")
    assert response.status_code == 500


def test_a_database_lost_in_a_middleware_after_the_view_is_a_503_too(client, profile):
    """The session middleware saves the session after the view: losing the database there is the same outage."""
    from django.contrib.sessions.middleware import SessionMiddleware

    client.raise_request_exception = False
    with mock.patch.object(SessionMiddleware, "process_response", side_effect=OperationalError(REFUSED)):
        response = client.get("/zh-hans/methodology/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "档案库暂时无法访问" in body and "Traceback" not in body


def test_the_site_answers_normally_once_the_database_is_back(client, profile):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError(REFUSED)):
        assert client.get(f"/en/profiles/{profile.slug}/").status_code == 503
    response = client.get(f"/en/profiles/{profile.slug}/")
    assert response.status_code == 200 and "Root zone operator" in response.content.decode()


# --- /healthz ---------------------------------------------------------------------------------------


def test_healthz_reports_database_and_cache_in_one_query(client, settings, django_assert_num_queries):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "10.0.0.7"]  # the address the load balancer probes (docs/deploy.md)
    with django_assert_num_queries(1):
        response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_is_503_while_the_database_is_down_and_says_why_only_in_the_log(client, database_down, caplog):
    with caplog.at_level(logging.WARNING, logger="registry.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}
    body = response.content.decode()
    for driver_text in ("OperationalError", "connection failed", "127.0.0.1", "5432", "server"):
        assert driver_text not in body
    [record] = [record for record in caplog.records if record.name == "registry.health"]
    assert record.levelno == logging.ERROR and record.exc_info is None
    assert "OperationalError: connection failed" in record.getMessage() and "\n" not in record.getMessage()


def test_healthz_answers_only_for_the_allowed_hosts(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert "database" not in response.content.decode()
    assert client.get("/healthz", HTTP_HOST="localhost").status_code == 200


# --- Redis down: uncached -----------------------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    """The cache is Redis on a port where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "registry.infra.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "KEY_PREFIX": "registry",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    yield caches["default"]


def test_pages_and_api_work_uncached_while_redis_is_down(client, profile, redis_down):
    assert isinstance(redis_down, registry_cache.ResilientRedisCache)
    for path in ["/en/", f"/en/profiles/{profile.slug}/", "/zh-hans/profiles/", "/api/v1/profiles/",
                 f"/api/v1/profiles/{profile.slug}/"]:  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["cache"] == "unavailable"


def test_a_lost_redis_is_a_miss_or_a_no_op_and_costs_no_waiting(redis_down, caplog):
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="registry.cache"):
        redis_down.set("k", "v")
        assert redis_down.get("k") is None
        assert redis_down.get("k", "fallback") == "fallback"
        assert redis_down.add("k", "v") is False
        assert redis_down.get_many(["a", "b"]) == {}
        assert redis_down.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert redis_down.get_or_set("computed", lambda: 42) == 42
        assert redis_down.has_key("k") is False
        assert redis_down.delete("k") is False
        with pytest.raises(ValueError):
            redis_down.incr("counter")
    assert time.monotonic() - started < 1
    warnings = [record for record in caplog.records if record.name == "registry.cache"]
    assert len(warnings) == 1 and warnings[0].exc_info is None  # once per outage window, not per call
    assert "cache unavailable, serving uncached" in warnings[0].getMessage()


def test_the_cache_is_tried_again_after_the_breaker_window(redis_down, monkeypatch):
    calls = []
    monkeypatch.setattr(registry_cache, "BREAKER_SECONDS", 0.05)
    original = registry_cache.RedisCache.get

    def counting_get(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(registry_cache.RedisCache, "get", counting_get)
    redis_down.get("k")
    redis_down.get("k")  # inside the window: not tried
    assert len(calls) == 1
    time.sleep(0.06)
    redis_down.get("k")
    assert len(calls) == 2


def test_with_redis_up_the_resilient_cache_is_a_normal_cache(settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "registry.infra.cache.ResilientRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"registry-test-{time.monotonic_ns()}",
        }
    }
    redis_cache = caches["default"]
    neighbour = registry_cache.ResilientRedisCache(redis_url, {"KEY_PREFIX": f"registry-other-{time.monotonic_ns()}"})
    try:
        redis_cache.set("k", {"v": 1})
        assert redis_cache.get("k") == {"v": 1}
        assert redis_cache.add("k", 2) is False
        redis_cache.set("n", 1)
        assert redis_cache.incr("n") == 2
        assert redis_cache.delete("k") is True and redis_cache.get("k") is None
        neighbour.set("k", "kept")
        assert redis_cache.clear() is True and redis_cache.get("n") is None
        assert neighbour.get("k") == "kept", "clear() empties its own prefix, not the database"
    finally:
        redis_cache.delete_many(["k", "n"])
        neighbour.clear()


def test_healthz_checks_the_replica_too_when_there_is_one(client, monkeypatch):
    monkeypatch.setattr("registry.infra.health.database_aliases", lambda: ["default", "replica"])
    statuses = {"default": "ok", "replica": "unavailable"}
    monkeypatch.setattr("registry.infra.health.database_status", lambda alias="default": statuses[alias])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "replica": "unavailable", "cache": "ok"}


def test_healthz_asks_the_replica_only_when_reads_are_routed_there(settings):
    assert health.database_aliases() == ["default"]
    settings.DATABASE_ROUTERS = ["registry.infra.routers.PrimaryReplicaRouter"]
    assert health.database_aliases() == ["default", "replica"]
