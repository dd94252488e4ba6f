"""A profile's claims and the sources each rests on (or that contradict it)."""

from django.db import models
from django.db.models import Q

from profiles.models.choices import ClaimSection, Stance, Visibility
from profiles.models.evidence import EvidenceRecord
from profiles.models.fields import choices_check, score_range_check
from profiles.models.profile import Profile, ScoredMixin


class Claim(ScoredMixin):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="claims")
    section = models.CharField(max_length=40, choices=ClaimSection.choices)
    text = models.TextField()
    evidence = models.ManyToManyField(EvidenceRecord, through="ClaimEvidence", related_name="claims")
    verified = models.BooleanField(default=False)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    retracted_at = models.DateTimeField(null=True, blank=True)
    retraction_reason = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            choices_check("section", ClaimSection, "claim_section_valid"),
            choices_check("visibility", Visibility, "claim_visibility_valid"),
            score_range_check("score", "claim_score_range"),
            score_range_check("computed_score", "claim_computed_score_range"),
            score_range_check("score_override", "claim_score_override_range"),
            models.CheckConstraint(
                condition=Q(retracted_at__isnull=True) | ~Q(retraction_reason=""),
                name="claim_retraction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(score_override__isnull=True) | ~Q(override_reason=""),
                name="claim_override_has_reason",
            ),
        ]

    def __str__(self):
        return self.text[:80]

    @property
    def is_retracted(self):
        return self.retracted_at is not None


class ClaimEvidence(models.Model):
    """The link from a claim to a source: its note (the evidence basis) and stance."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence_links")
    evidence = models.ForeignKey(EvidenceRecord, on_delete=models.CASCADE, related_name="claim_links")
    note = models.CharField(max_length=500, blank=True)
    stance = models.CharField(max_length=20, choices=Stance.choices, default=Stance.SUPPORTS)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "evidence"], name="claim_evidence_unique"),
            choices_check("stance", Stance, "claim_evidence_stance_valid"),
        ]
