"""Sources: one record per normalised URL, shared by profiles, and each profile's list of them."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from profiles.models.choices import EvidenceKind, Reliability, ReviewStatus, Visibility
from profiles.models.fields import choices_check
from profiles.models.profile import Profile


class EvidenceRecord(models.Model):
    """A source. Shared across profiles: one record per normalised URL."""

    title = models.CharField(max_length=500)
    url = models.URLField(max_length=1000, blank=True)
    normalized_url = models.CharField(max_length=1000, blank=True, editable=False)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    reliability = models.CharField(max_length=1, choices=Reliability.choices, default=Reliability.F)
    excerpt = models.TextField(blank=True)
    language = models.CharField(max_length=20, blank=True)
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING, db_index=True
    )
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["published_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["normalized_url"],
                condition=~Q(normalized_url=""),
                name="evidence_normalized_url_unique",
            ),
            choices_check("kind", EvidenceKind, "evidence_kind_valid"),
            choices_check("reliability", Reliability, "evidence_reliability_valid"),
            choices_check("review_status", ReviewStatus, "evidence_review_status_valid"),
            choices_check("visibility", Visibility, "evidence_visibility_valid"),
        ]

    def __str__(self):
        return self.title


class ProfileEvidence(models.Model):
    """A profile's list of sources, with the key its interchange document uses."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="evidence_links")
    evidence = models.ForeignKey(EvidenceRecord, on_delete=models.CASCADE, related_name="profile_links")
    key = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "key"], name="profile_evidence_key_unique"),
            models.UniqueConstraint(fields=["profile", "evidence"], name="profile_evidence_unique"),
        ]

    def __str__(self):
        return f"{self.profile.slug}:{self.key}"
