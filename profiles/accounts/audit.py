"""The audit log of security events: sign-ins, lock-outs, role, membership and password
changes, publications, API tokens.

`record()` writes one SecurityEvent. Services call it where they act (publishing,
tokens); Django's authentication signals, django-axes' lock-out signal and the user
and membership models have no service to call it from, so `connect()` hooks them here.
The request being served (set by `AuditContextMiddleware`) supplies the actor and the
IP address when the caller does not.

Nothing secret is ever written: no password, hash or token key; a failed sign-in keeps
only the username that was tried.
"""

import contextvars
import ipaddress

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from profiles.accounts.lockout import client_address
from profiles.models import Membership, SecurityEvent, SecurityEventKind

Kind = SecurityEventKind

_current_request = contextvars.ContextVar("audit_request", default=None)
# The longest username kept from a failed sign-in: enough to tell, not a place to store a pasted password.
USERNAME_LIMIT = 150


def client_ip(request):
    """The address the request came from, as the lock-out sees it (`lockout.client_address`), or None."""
    if request is None:
        return None
    address = client_address(request) or ""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def _request_user(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def record(kind, *, user=None, actor=None, request=None, **detail):
    """Write one security event; the actor and IP default to those of the request being served."""
    request = request or _current_request.get()
    if actor is None:
        actor = _request_user(request)
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        actor=actor,
        ip=client_ip(request),
        detail=detail,
    )


class AuditContextMiddleware:
    """Makes the request being served known to `record()` (actor and IP of model changes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


# --- sign-in, sign-out, lock-out -------------------------------------------------------------


def _logged_in(sender, request, user, **kwargs):
    record(Kind.LOGIN, user=user, actor=user, request=request)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(Kind.LOGOUT, user=user, actor=user, request=request)


def _login_failed(sender, credentials, request=None, **kwargs):
    # `credentials` has the password already masked by Django; keep the username only.
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")
    user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    record(Kind.LOGIN_FAILED, user=user, actor=None, request=request, username=username[:USERNAME_LIMIT])


def _locked_out(sender, request, username, ip_address, **kwargs):
    username = str(username or "")
    user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    record(Kind.LOCKOUT, user=user, actor=None, request=request, username=username[:USERNAME_LIMIT])


# --- roles, staff flags, passwords -------------------------------------------------------------

_FLAGS = ("is_staff", "is_superuser", "is_active")


def _remember_flags(sender, instance, **kwargs):
    # Only what was loaded: reading a deferred field here would cost a query per user.
    instance._audit_flags = {name: instance.__dict__[name] for name in _FLAGS if name in instance.__dict__}


def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    before = getattr(instance, "_audit_flags", {})
    if created:
        granted = {name: [False, True] for name in ("is_staff", "is_superuser") if getattr(instance, name)}
        if granted:
            record(Kind.ROLE_CHANGED, user=instance, created=True, **granted)
    else:
        changed = {
            name: [before[name], getattr(instance, name)]
            for name in _FLAGS
            if name in before and before[name] != getattr(instance, name)
            and (update_fields is None or name in update_fields)
        }
        if changed:
            record(Kind.ROLE_CHANGED, user=instance, **changed)
        # `_password` holds the new raw password only between set_password() and save(); Django's
        # own re-hashing on sign-in clears it first, so this is a real change of password.
        if getattr(instance, "_password", None) is not None:
            record(Kind.PASSWORD_CHANGED, user=instance)
    _remember_flags(sender, instance)


def _groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action == "pre_clear" and not reverse:
        instance._audit_cleared = sorted(group.name for group in instance.groups.all())
        return
    if action == "pre_remove" and not reverse:
        # Django reports every group asked to be removed; keep those the user really had.
        instance._audit_removed = sorted(instance.groups.filter(pk__in=pk_set).values_list("name", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    User = get_user_model()
    if reverse:  # users added to or removed from a group, from the group's side
        group = instance
        users = User._default_manager.filter(pk__in=pk_set or ())
        for user in users:
            key = "added" if action == "post_add" else "removed"
            record(Kind.ROLE_CHANGED, user=user, **{key: [group.name]})
        return
    if action == "post_clear":
        names = getattr(instance, "_audit_cleared", [])
        if names:
            record(Kind.ROLE_CHANGED, user=instance, removed=names)
        return
    if action == "post_remove":
        names = getattr(instance, "_audit_removed", [])
        if names:
            record(Kind.ROLE_CHANGED, user=instance, removed=names)
        return
    if pk_set:  # post_add: Django reports only the groups that were newly added
        names = sorted(model._default_manager.filter(pk__in=pk_set).values_list("name", flat=True))
        record(Kind.ROLE_CHANGED, user=instance, added=names)


# --- memberships ----------------------------------------------------------------------------


def _membership_detail(membership):
    return {"tier": membership.tier, "valid_until": membership.valid_until.isoformat() if membership.valid_until else None}


def _membership_saved(sender, instance, created, **kwargs):
    record(
        Kind.MEMBERSHIP_CHANGED,
        user=instance.user,
        change="created" if created else "changed",
        **_membership_detail(instance),
    )


def _membership_deleted(sender, instance, **kwargs):
    user = get_user_model()._default_manager.filter(pk=instance.user_id).first()
    record(Kind.MEMBERSHIP_CHANGED, user=user, change="deleted", **_membership_detail(instance))


# --- services ----------------------------------------------------------------------------


def publication(profile, from_status, to_status, *, actor):
    """A profile moved into or out of the published set (called by publishing.transition)."""
    return record(
        Kind.PUBLICATION, user=None, actor=actor, slug=profile.slug, profile=profile.pk,
        from_status=str(from_status), to_status=str(to_status),
    )  # fmt: skip


def publications(moves, *, actor):
    """`publication` for many (profile, from, to) at once: one INSERT (an operator's import)."""
    request = _current_request.get()
    actor = actor if actor is not None else _request_user(request)
    SecurityEvent.objects.bulk_create(
        SecurityEvent(
            kind=Kind.PUBLICATION, actor=actor, ip=client_ip(request),
            detail={"slug": profile.slug, "profile": profile.pk, "from_status": str(before), "to_status": str(after)},
        )  # fmt: skip
        for profile, before, after in moves
    )


def token_created(token, *, actor=None):
    """An API token was created; its prefix is recorded, never the key."""
    return record(Kind.TOKEN_CREATED, user=token.user, actor=actor, token=token.pk, prefix=token.prefix, name=token.name)


def token_revoked(token, *, actor=None):
    return record(Kind.TOKEN_REVOKED, user=token.user, actor=actor, token=token.pk, prefix=token.prefix, name=token.name)


def connect():
    """Hook the audit log to the signals that have no service to call it (ProfilesConfig.ready)."""
    from axes.signals import user_locked_out

    User = get_user_model()
    user_logged_in.connect(_logged_in, dispatch_uid="audit_logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="audit_logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="audit_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="audit_locked_out")
    post_init.connect(_remember_flags, sender=User, dispatch_uid="audit_user_init")
    post_save.connect(_user_saved, sender=User, dispatch_uid="audit_user_saved")
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="audit_groups")
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid="audit_membership_saved")
    post_delete.connect(_membership_deleted, sender=Membership, dispatch_uid="audit_membership_deleted")
