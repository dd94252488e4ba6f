"""Who is calling: an API token (`Authorization: Token <key>`) or the site's session."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from profiles.accounts import tokens


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; a wrong, revoked or inactive user's key is a 401."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as: Authorization: Token <key>."))
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = tokens.token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """The site's login session; writes need the CSRF token as on the pages."""
