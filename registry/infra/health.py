"""Quick checks of what every request needs: the database and the shared cache.

Used by `/healthz` (registry.infra.middleware.HealthCheckMiddleware), which load balancers
poll to take an app server out of rotation. Each check is one round trip and never
raises: it answers 'ok' or 'unavailable', and writes why not to the server log
(logger "registry.health"). The reason stays there: a driver's message names hosts,
ports and roles, and /healthz answers whoever asks.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

logger = logging.getLogger("registry.health")

CACHE_PROBE_KEY = "registry:healthz"


def one_line(exc):
    """An exception as one short line: its class and the first line of its message."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}"[:300] if message else type(exc).__name__


def database_status(alias="default"):
    """'ok', or 'unavailable' (with the reason logged) when the database cannot answer a trivial query."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("health check: database %r unavailable (%s)", alias, one_line(exc))
        return "unavailable"
    return "ok"


def cache_status():
    """'ok', or 'unavailable' when a value written to the cache cannot be read back.

    The cache degrades to misses when Redis is down (registry.infra.cache, which logs why),
    so the site still works; the check reports it so that operators notice.
    """
    try:
        cache.set(CACHE_PROBE_KEY, "1", 10)
        return "ok" if cache.get(CACHE_PROBE_KEY) == "1" else "unavailable"
    except Exception as exc:  # a broken cache must not break the health check itself
        logger.warning("health check: cache unavailable (%s)", one_line(exc))
        return "unavailable"


def database_aliases():
    """The databases requests read from: the primary, and the replica when reads are routed there."""
    routed = "registry.infra.routers.PrimaryReplicaRouter" in settings.DATABASE_ROUTERS
    return ["default", "replica"] if routed else ["default"]


def health():
    """(healthy, details): healthy when the database (and its replica, if any) answers.

    The cache is reported, not required: without Redis the site still works, uncached.
    """
    details = {("database" if alias == "default" else alias): database_status(alias) for alias in database_aliases()}
    healthy = all(status == "ok" for status in details.values())
    details["cache"] = cache_status()
    return healthy, details
