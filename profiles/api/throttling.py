"""Rate limits for anonymous callers (by address) and signed-in callers (by user).

The rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"|"user"]`, set from the
environment in settings (API_THROTTLE_ANON, API_THROTTLE_USER). They are read on
each request rather than once at import, so a changed setting takes effect at once.
A throttled call is a 429 with Retry-After.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _CurrentRate:
    def get_rate(self):
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope)


class AnonymousThrottle(_CurrentRate, AnonRateThrottle):
    scope = "anon"


class UserThrottle(_CurrentRate, UserRateThrottle):
    scope = "user"
