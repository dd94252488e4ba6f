"""The registry's data: profiles, their evidence and everything hung on them.

Invariants that the database can hold are constraints here (unique slugs, score
ranges, enumerations, no self-relationships). Rules that need more than one row
(scoring, visibility, publishing) live in their own modules.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z0-9-]{1,100}\Z", _("Use 1–100 lower-case letters, digits and hyphens.")
)
SCORE_VALIDATORS = [MinValueValidator(Decimal("0.00")), MaxValueValidator(Decimal("1.00"))]


def score_field(**kwargs):
    return models.DecimalField(max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS, **kwargs)


def score_range_check(field, name):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0, f"{field}__lte": 1}),
        name=name,
    )


def choices_check(field, choices, name):
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Members")
    INTERNAL = "internal", _("Internal")


class ProfileKind(models.TextChoices):
    INSTITUTION = "institution", _("Institution")
    TOPIC = "topic", _("Topic")


class ProfileStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Criticality(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class TimeHorizon(models.TextChoices):
    NEXT_MONTH = "next_month", _("Next month")
    NEXT_QUARTER = "next_quarter", _("Next quarter")
    NEXT_YEAR = "next_year", _("Next year")
    LONG_TERM = "long_term", _("Long term")


class Impact(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class EvidenceKind(models.TextChoices):
    DIRECT = "direct", _("Direct source")
    REPORTING = "reporting", _("Reporting")
    SECONDARY = "secondary", _("Secondary analysis")
    INTERNAL = "internal", _("Internal note")


class Reliability(models.TextChoices):
    A = "A", _("A — completely reliable")
    B = "B", _("B — usually reliable")
    C = "C", _("C — fairly reliable")
    D = "D", _("D — not usually reliable")
    E = "E", _("E — unreliable")
    F = "F", _("F — reliability cannot be judged")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    REVIEWED = "reviewed", _("Reviewed")
    REJECTED = "rejected", _("Rejected")


class Stance(models.TextChoices):
    SUPPORTS = "supports", _("Supports")
    CONTRADICTS = "contradicts", _("Contradicts")


class ClaimSection(models.TextChoices):
    PUBLIC_ROLE = "public_role", _("Public role")
    OPERATING_SURFACE = "operating_surface", _("Operating surface")
    FUNCTION = "function", _("Function")
    GOVERNANCE = "governance", _("Governance")
    DEPENDENCIES = "dependencies", _("Dependencies")
    OUTLOOK = "outlook", _("Outlook")


class TimelineKind(models.TextChoices):
    PROFILE_UPDATE = "profile_update", _("Profile update")
    ROLE_CHANGE = "role_change", _("Role change")
    PARTNERSHIP = "partnership", _("Partnership")
    REGULATORY = "regulatory", _("Regulatory")
    INCIDENT = "incident", _("Incident")
    PUBLICATION = "publication", _("Publication")
    DISCLOSURE = "disclosure", _("Disclosure")
    OTHER = "other", _("Other")


class WatchpointKind(models.TextChoices):
    DISCLOSURE = "disclosure", _("Disclosure")
    RELATIONSHIP = "relationship", _("Relationship")
    REGULATORY = "regulatory", _("Regulatory")
    OPERATIONAL = "operational", _("Operational")
    MARKET = "market", _("Market")
    INCIDENT = "incident", _("Incident")
    OTHER = "other", _("Other")


class WatchpointStatus(models.TextChoices):
    OPEN = "open", _("Open")
    TRIGGERED = "triggered", _("Triggered")
    RESOLVED = "resolved", _("Resolved")
    EXPIRED = "expired", _("Expired")


class RelationshipKind(models.TextChoices):
    SEE_ALSO = "see_also", _("See also")
    AFFILIATED_WITH = "affiliated_with", _("Affiliated with")
    OPERATES = "operates", _("Operates")
    OPERATED_BY = "operated_by", _("Operated by")
    REGULATES = "regulates", _("Regulates")
    REGULATED_BY = "regulated_by", _("Regulated by")
    PARTNER = "partner", _("Partner")
    MEMBER_OF = "member_of", _("Member of")


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

    @property
    def is_published(self):
        return self.status == ProfileStatus.PUBLISHED


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


class ConfidenceBand(models.Model):
    """One row of the table that maps a score to a grade."""

    lower = score_field()
    upper = score_field()
    grade = models.CharField(max_length=10)
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-lower"]
        constraints = [
            models.UniqueConstraint(fields=["lower"], name="band_lower_unique"),
            models.CheckConstraint(condition=Q(lower__lte=models.F("upper")), name="band_bounds_ordered"),
            score_range_check("lower", "band_lower_range"),
            score_range_check("upper", "band_upper_range"),
        ]

    def __str__(self):
        return f"{self.lower}–{self.upper} {self.grade}"


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
                condition=Q(visibility__in=[Visibility.MEMBERS, Visibility.INTERNAL]),
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


class Membership(models.Model):
    """A paying member's access; expired means treated as anonymous."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    tier = models.CharField(max_length=50, default="standard")
    valid_until = models.DateTimeField()

    def __str__(self):
        return f"{self.user} ({self.tier}, until {self.valid_until:%Y-%m-%d})"

    def is_active_at(self, when):
        return self.valid_until > when


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
