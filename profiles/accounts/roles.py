"""The registry's roles: member, analyst and editor, as groups and permissions.

* member  — a reader with a membership that unlocks gated sections until it expires;
* analyst — staff who research and edit profiles but cannot publish or edit bands;
* editor  — staff who also approve and publish profiles and edit the band table.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from profiles.models import EvidenceRecord, Membership
from profiles.parts import GRAPH_MODELS

ROLES = ("member", "analyst", "editor")
ANALYSTS = "Analysts"
EDITORS = "Editors"

# Models analysts edit day to day: a profile graph's (the profile and every part) and sources.
_EDITED_MODELS = [model._meta.model_name for model in (*GRAPH_MODELS, EvidenceRecord)]


def _codenames_for(role):
    codenames = {f"{action}_{model}" for model in _EDITED_MODELS for action in ("add", "change", "view")}
    codenames |= {f"delete_{model}" for model in _EDITED_MODELS if model != "profile"}
    codenames.add("view_confidenceband")
    if role == "editor":
        codenames |= {"delete_profile", "publish_profile"}
        codenames |= {f"{action}_confidenceband" for action in ("add", "change", "delete")}
        codenames |= {f"{action}_membership" for action in ("add", "change", "view", "delete")}
        codenames.add("view_securityevent")  # the audit log, read-only for everyone
    return codenames


def ensure_role_groups():
    """Create or refresh the Analysts and Editors groups with their permissions."""
    groups = {}
    for role, name in (("analyst", ANALYSTS), ("editor", EDITORS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="profiles", codename__in=_codenames_for(role))
        )
        groups[role] = group
    return groups


@transaction.atomic
def assign_role(user, role, *, days=365, now=None):
    """Give a user exactly one role; members get a membership of `days` days."""
    if role not in ROLES:
        raise ValueError(f'unknown role "{role}" (use one of: {", ".join(ROLES)})')
    groups = ensure_role_groups()
    user.is_staff = role in ("analyst", "editor")
    user.save(update_fields=["is_staff"])
    user.groups.remove(*groups.values())
    if role in groups:
        user.groups.add(groups[role])
    if role == "member":
        valid_until = (now or timezone.now()) + timedelta(days=days)
        Membership.objects.update_or_create(user=user, defaults={"valid_until": valid_until})
    return user


@transaction.atomic
def create_or_update_user(username, *, role, password, days=365, email=""):
    """Create the user (or update an existing one) with this password and role."""
    user, created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    if email:
        user.email = email
    user.save()
    assign_role(user, role, days=days)
    return user, created
