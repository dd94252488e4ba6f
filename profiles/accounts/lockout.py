"""Sign-in lock-out: django-axes' backend, for sign-ins made through a web request.

`authenticate()` called without a request (a management command, the shell, a script)
is not a sign-in from an address, so there is nothing to throttle: it goes on to the
next backend instead of failing as axes' own backend does.
"""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
