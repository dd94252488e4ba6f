"""Sign-in lock-out: django-axes' backend, for sign-ins made through a web request.

`authenticate()` called without a request (a management command, the shell, a script)
is not a sign-in from an address, so there is nothing to throttle: it goes on to the
next backend instead of failing as axes' own backend does.

A lock-out is for a username from one address: `client_address()`, the address the
API's rate limits count too (settings.AXES_CLIENT_IP_CALLABLE).
"""

from axes.backends import AxesStandaloneBackend
from rest_framework.throttling import BaseThrottle


def client_address(request):
    """The address a request comes from, by the one rule the API's rate limits use.

    The peer address (REMOTE_ADDR) unless `REST_FRAMEWORK["NUM_PROXIES"]` trusted proxies
    are in front, whose X-Forwarded-For entries then name the client (DRF's `get_ident`).
    """
    return BaseThrottle().get_ident(request)


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
