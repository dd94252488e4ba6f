"""The enumerations stored in the registry's columns.

Each is also a check constraint on its column (`fields.choices_check`), so changing the
values here needs a migration. The workflow's and the audit log's own enumerations
(`ChangeAction`, `SecurityEventKind`) live beside their models.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Members")
    INTERNAL = "internal", _("Internal")


# A briefing is never public: the levels it may have, wherever one is written or checked.
BRIEFING_VISIBILITIES = [Visibility.MEMBERS, Visibility.INTERNAL]


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
