"""A profile's way through the workflow, and the changes feed that outlives deleted profiles."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.models.choices import ProfileStatus
from profiles.models.fields import choices_check
from profiles.models.profile import Profile


class ProfileTransition(models.Model):
    """One move of a profile through the workflow: who moved it, from where to where, when."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=ProfileStatus.choices)
    to_status = models.CharField(max_length=20, choices=ProfileStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    public_snapshot = models.JSONField(
        null=True, blank=True, help_text=_("On publication: the public sections as published, to compare the next with.")
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.profile_id}: {self.from_status} → {self.to_status}"


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")


class ProfileChange(models.Model):
    """An entry of the changes feed; outlives its profile as a tombstone.

    `public_before`/`public_after` say whether anonymous readers could see the
    profile before and after the change, so a reader's feed can show a profile
    leaving the public set as a deletion without revealing drafts.
    """

    profile = models.ForeignKey(Profile, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes")
    slug = models.CharField(max_length=100, db_index=True)
    action = models.CharField(max_length=20, choices=ChangeAction.choices)
    public_before = models.BooleanField(default=False)
    public_after = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [choices_check("action", ChangeAction, "profile_change_action_valid")]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.slug}"
