"""API tokens: created with a random key shown once, stored only as its SHA-256.

A key looks like ``rk_<43 url-safe characters>``. Its first characters are kept
as `prefix` so people can tell their tokens apart in the admin; the key itself
cannot be recovered from what is stored. A revoked token, or one whose user is
inactive, authenticates nobody.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from profiles.accounts import audit
from profiles.models import ApiToken

KEY_PREFIX = "rk_"
PREFIX_LENGTH = 10  # "rk_" and seven characters of the random part
# Recording every use would write on every request; once a minute is plenty to see activity.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def create_token(*, user, name="", actor=None):
    """Create a token for `user`; return (token, key). The key is never stored: show it now."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key))
    audit.token_created(token, actor=actor)
    return token, key


def revoke_token(*, token, now=None, actor=None):
    """Revoke a token (idempotent: a revoked token keeps its first revocation time)."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.token_revoked(token, actor=actor)
    return token


def token_for_key(key, *, now=None):
    """The active token with this key, with its user, or None; notes when it was used."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
