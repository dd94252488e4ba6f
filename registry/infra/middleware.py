"""Middleware for running on several app servers: health checks, database outages, replica pinning.

- `HealthCheckMiddleware` answers `/healthz` first of all, before HTTPS redirects,
  sessions or users, for the hosts in ALLOWED_HOSTS only (a load balancer polling by
  address needs that address there: docs/deploy.md).
- `DatabaseUnavailableMiddleware` turns a lost database into a 503 in the request's
  language (JSON in the API's error shape under /api/), with Retry-After, and logs one
  line, not a traceback: an outage is an operational event, not a bug.
- `PrimaryPinMiddleware` sends a request's reads to the primary when it writes, and for
  a few seconds after (a cookie), so a reader sees their own writes despite replica lag
  (registry.infra.routers).
"""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.urls import get_resolver

from registry.infra import health, routers

logger = logging.getLogger("registry.availability")

HEALTH_PATH = "/healthz"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class HealthCheckMiddleware:
    """`GET /healthz`: 200 {"status": "ok", …} when the database answers, else 503; never cached.

    Each dependency is 'ok' or 'unavailable'; why is in the server log (registry.health).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") != HEALTH_PATH:
            return self.get_response(request)
        # Any other Host is Django's 400 (DisallowedHost), before a single check runs.
        request.get_host()
        healthy, details = health.health()
        response = JsonResponse({"status": "ok" if healthy else "unavailable", **details}, status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response


class DatabaseUnavailableMiddleware:
    """A view that lost the database answers 503, not a 500 with a traceback in the log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error(
            "database unavailable: %s %s answered 503 (%s)",
            request.method,
            request.path,
            health.one_line(exception),
        )
        # The page is the site's, named beside handler500 in the URLconf (`handler503`).
        response = get_resolver(getattr(request, "urlconf", None)).resolve_error_handler(503)(request)
        response._has_been_logged = True  # the line above is the log entry; django.request adds none
        return response


class PrimaryPinMiddleware:
    """Read from the primary in a request that writes, and for `DATABASE_REPLICA_PIN_SECONDS` after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = request.method in UNSAFE_METHODS
        pinned = writes or routers.PIN_COOKIE in request.COOKIES
        with routers.primary_pinned(pinned):
            response = self.get_response(request)
        if writes:
            seconds = settings.DATABASE_REPLICA_PIN_SECONDS
            response.set_cookie(routers.PIN_COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax",
                                secure=request.is_secure())  # fmt: skip
        return response
