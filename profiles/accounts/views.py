"""Login and logout in the language of the page the reader came from."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme


class _SpeaksLanguageOfNext:
    """`/accounts/…` has no language prefix: take the one of the page to return to."""

    def dispatch(self, request, *args, **kwargs):
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        language = None
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            language = translation.get_language_from_path(next_url)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return super().dispatch(request, *args, **kwargs)


class LoginView(_SpeaksLanguageOfNext, auth_views.LoginView):
    pass


class LogoutView(_SpeaksLanguageOfNext, auth_views.LogoutView):
    pass


def locked_out(request, original_response=None, credentials=None):
    """The page for a sign-in refused because of too many failures (django-axes' lock-out response)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else None
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
