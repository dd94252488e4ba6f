"""What the registry keeps about accounts: memberships, API tokens and the security-event log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.models.fields import choices_check


class Membership(models.Model):
    """A paying member's access; expired means treated as anonymous."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    tier = models.CharField(max_length=50, default="standard")
    valid_until = models.DateTimeField()

    def __str__(self):
        return f"{self.user} ({self.tier}, until {self.valid_until:%Y-%m-%d})"

    def is_active_at(self, when):
        return self.valid_until > when


class ApiToken(models.Model):
    """A key for the API. Only its SHA-256 is stored; the key is shown once, on creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self):
        return self.revoked_at is None


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOGOUT = "logout", _("Signed out")
    LOCKOUT = "lockout", _("Locked out")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    ROLE_CHANGED = "role_changed", _("Role changed")
    MEMBERSHIP_CHANGED = "membership_changed", _("Membership changed")
    PUBLICATION = "publication", _("Publication")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")


class SecurityEvent(models.Model):
    """An entry of the audit log: who did what to whose account, from where. Never holds secrets."""

    kind = models.CharField(_("event"), max_length=30, choices=SecurityEventKind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="security_events",
    )  # fmt: skip
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-id"]
        constraints = [choices_check("kind", SecurityEventKind, "security_event_kind_valid")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.user or self.detail.get('username', '')}"
