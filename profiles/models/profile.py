"""A profile (an institution or a topic) and its topics; the score columns it shares with claims."""

from decimal import Decimal

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.models.choices import Criticality, Impact, ProfileKind, ProfileStatus, TimeHorizon
from profiles.models.fields import SLUG_VALIDATOR, choices_check, score_field, score_range_check


class ScoredMixin(models.Model):
    """A stored, derived confidence score with its optional analyst override."""

    computed_score = score_field(default=Decimal("0.00"))
    score_override = score_field(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    score = score_field(default=Decimal("0.00"), help_text=_("The override if set, else the computed score."))
    policy_version = models.CharField(max_length=20, blank=True)
    explanation = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def is_overridden(self):
        return self.score_override is not None


class Profile(ScoredMixin):
    slug = models.SlugField(max_length=100, unique=True, validators=[SLUG_VALIDATOR])
    kind = models.CharField(max_length=20, choices=ProfileKind.choices)
    name = models.CharField(_("name"), max_length=300)
    aliases = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=200, blank=True)
    region = models.CharField(max_length=100, blank=True)
    focus = models.CharField(max_length=100, blank=True)
    primary_domain = models.CharField(max_length=100, blank=True)
    signal_focus = models.CharField(max_length=100, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    summary = models.TextField(blank=True)
    function = models.TextField(blank=True)
    importance_statement = models.TextField(blank=True)
    criticality = models.CharField(max_length=20, choices=Criticality.choices, blank=True)
    time_horizon = models.CharField(max_length=20, choices=TimeHorizon.choices, blank=True)
    impact = models.CharField(max_length=20, choices=Impact.choices, blank=True)
    watch_focus = models.TextField(blank=True)
    public_view = models.TextField(blank=True)
    limitations = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=ProfileStatus.choices, default=ProfileStatus.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text=_("Raised by every saved change; a save based on an older version is refused.")
    )

    class Meta:
        ordering = ["slug"]
        permissions = [("publish_profile", "Can approve and publish profiles")]
        indexes = [
            # Every filter column with the default order (the list and facet pages).
            *(
                models.Index(fields=[column, "-updated_at"], name=f"profile_{column}_updated")
                for column in ("kind", "category", "region", "criticality", "primary_domain", "signal_focus",
                               "content_type")
            ),  # fmt: skip
            # The filter counts and the ranking of search matches read only these columns:
            # an index-only scan instead of the wide table.
            models.Index(
                fields=["status", "kind", "category", "region", "criticality", "primary_domain", "signal_focus",
                        "content_type", "score", "updated_at", "id"],
                name="profile_facet_columns",
            ),  # fmt: skip
            models.Index(fields=["score", "slug"], name="profile_score_slug"),  # grade filter, confidence order
            # Name order in each language (browsing.display_name): the page's language first.
            models.Index(
                Lower(Coalesce(NullIf("name_en", Value("")), NullIf("name_zh_hans", Value("")), "slug")),
                name="profile_name_order_en",
            ),
            models.Index(
                Lower(Coalesce(NullIf("name_zh_hans", Value("")), NullIf("name_en", Value("")), "slug")),
                name="profile_name_order_zh_hans",
            ),
        ]
        constraints = [
            choices_check("kind", ProfileKind, "profile_kind_valid"),
            choices_check("status", ProfileStatus, "profile_status_valid"),
            models.CheckConstraint(
                condition=Q(criticality="") | Q(criticality__in=Criticality.values),
                name="profile_criticality_valid",
            ),
            models.CheckConstraint(
                condition=Q(time_horizon="") | Q(time_horizon__in=TimeHorizon.values),
                name="profile_time_horizon_valid",
            ),
            models.CheckConstraint(
                condition=Q(impact="") | Q(impact__in=Impact.values), name="profile_impact_valid"
            ),
            score_range_check("score", "profile_score_range"),
            score_range_check("computed_score", "profile_computed_score_range"),
            score_range_check("score_override", "profile_score_override_range"),
            models.CheckConstraint(
                condition=Q(score_override__isnull=True) | ~Q(override_reason=""),
                name="profile_override_has_reason",
            ),
        ]

    def __str__(self):
        return self.name or self.slug

    def get_absolute_url(self):
        return reverse("profiles:detail", kwargs={"slug": self.slug})


class ProfileTopic(models.Model):
    """One entry of a profile's `topics` facet, kept in the order it was given."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="topic_links")
    name = models.CharField(max_length=100, db_index=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "name"], name="profile_topic_unique"),
        ]

    def __str__(self):
        return self.name
