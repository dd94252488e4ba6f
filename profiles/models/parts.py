"""The other sections of a profile: timeline, watchpoints, the members' briefing, relationships, FAQ.

Each belongs to a profile and is deleted with it, and each has its own visibility (the
briefing's never public), applied by `profiles.rules.visibility`.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from profiles.models.choices import (
    BRIEFING_VISIBILITIES,
    RelationshipKind,
    TimelineKind,
    Visibility,
    WatchpointKind,
    WatchpointStatus,
)
from profiles.models.evidence import EvidenceRecord
from profiles.models.fields import choices_check
from profiles.models.profile import Profile


class TimelineEvent(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="timeline_events")
    date = models.DateField()
    kind = models.CharField(max_length=30, choices=TimelineKind.choices, default=TimelineKind.OTHER)
    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    evidence = models.ManyToManyField(EvidenceRecord, blank=True, related_name="timeline_events")
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["date", "position", "id"]
        constraints = [
            choices_check("kind", TimelineKind, "timeline_kind_valid"),
            choices_check("visibility", Visibility, "timeline_visibility_valid"),
        ]

    def __str__(self):
        return f"{self.date} {self.title}"


class Watchpoint(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="watchpoints")
    text = models.TextField()
    kind = models.CharField(max_length=30, choices=WatchpointKind.choices, default=WatchpointKind.OTHER)
    status = models.CharField(
        max_length=20, choices=WatchpointStatus.choices, default=WatchpointStatus.OPEN
    )
    review_by = models.DateField(null=True, blank=True)
    triggered_by = models.ManyToManyField(EvidenceRecord, blank=True, related_name="triggered_watchpoints")
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            choices_check("kind", WatchpointKind, "watchpoint_kind_valid"),
            choices_check("status", WatchpointStatus, "watchpoint_status_valid"),
            choices_check("visibility", Visibility, "watchpoint_visibility_valid"),
        ]

    def __str__(self):
        return self.text[:80]


class Briefing(models.Model):
    """The members-only deep background of a profile."""

    profile = models.OneToOneField(Profile, on_delete=models.CASCADE, related_name="briefing")
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, help_text=_("Markdown; sanitised when shown."))
    source_notes = models.TextField(blank=True)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.MEMBERS)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=BRIEFING_VISIBILITIES),
                name="briefing_visibility_gated",
            ),
        ]

    def __str__(self):
        return self.title or f"Briefing for {self.profile_id}"


class Relationship(models.Model):
    source = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="relationships")
    target = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="inbound_relationships")
    kind = models.CharField(max_length=30, choices=RelationshipKind.choices, default=RelationshipKind.SEE_ALSO)
    note = models.TextField(blank=True)
    evidence = models.ManyToManyField(EvidenceRecord, blank=True, related_name="relationships")
    verified = models.BooleanField(default=False)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="relationship_not_to_self"),
            models.UniqueConstraint(fields=["source", "target", "kind"], name="relationship_unique"),
            choices_check("kind", RelationshipKind, "relationship_kind_valid"),
            choices_check("visibility", Visibility, "relationship_visibility_valid"),
        ]

    def __str__(self):
        return f"{self.source_id} {self.kind} {self.target_id}"


class FaqEntry(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="faq_entries")
    question = models.CharField(max_length=500)
    answer = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"
        constraints = [choices_check("visibility", Visibility, "faq_visibility_valid")]

    def __str__(self):
        return self.question
