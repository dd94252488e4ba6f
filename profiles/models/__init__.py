"""The registry's data: profiles, their evidence and everything hung on them.

Invariants that the database can hold are constraints here (unique slugs, score
ranges, enumerations, no self-relationships). Rules that need more than one row
(scoring, visibility, publishing) live in their own modules.

One module per aggregate; import from `profiles.models`, which names them all:

    fields     score fields, the slug validator, check-constraint helpers
    choices    the enumerations stored in columns
    profile    ScoredMixin, Profile, ProfileTopic
    evidence   EvidenceRecord, ProfileEvidence
    claims     Claim, ClaimEvidence
    bands      ConfidenceBand
    parts      TimelineEvent, Watchpoint, Briefing, Relationship, FaqEntry
    workflow   ProfileTransition, ChangeAction, ProfileChange
    accounts   Membership, ApiToken, SecurityEventKind, SecurityEvent
"""

# Not alphabetical: Django registers models in import order, and this keeps the order of
# the single module they came from (apps.get_models(), hence the order in which content
# types and permissions are created and dumpdata writes), but for Membership, now with the
# other account models after the workflow's.
# isort: skip_file
from profiles.models.choices import (
    BRIEFING_VISIBILITIES,
    ClaimSection,
    Criticality,
    EvidenceKind,
    Impact,
    ProfileKind,
    ProfileStatus,
    RelationshipKind,
    Reliability,
    ReviewStatus,
    Stance,
    TimeHorizon,
    TimelineKind,
    Visibility,
    WatchpointKind,
    WatchpointStatus,
)
from profiles.models.fields import SCORE_VALIDATORS, SLUG_VALIDATOR, choices_check, score_field, score_range_check
from profiles.models.profile import Profile, ProfileTopic, ScoredMixin
from profiles.models.evidence import EvidenceRecord, ProfileEvidence
from profiles.models.claims import Claim, ClaimEvidence
from profiles.models.bands import ConfidenceBand
from profiles.models.parts import Briefing, FaqEntry, Relationship, TimelineEvent, Watchpoint
from profiles.models.workflow import ChangeAction, ProfileChange, ProfileTransition
from profiles.models.accounts import ApiToken, Membership, SecurityEvent, SecurityEventKind

__all__ = [
    "BRIEFING_VISIBILITIES",
    # choices
    "ClaimSection",
    "Criticality",
    "EvidenceKind",
    "Impact",
    "ProfileKind",
    "ProfileStatus",
    "RelationshipKind",
    "Reliability",
    "ReviewStatus",
    "Stance",
    "TimeHorizon",
    "TimelineKind",
    "Visibility",
    "WatchpointKind",
    "WatchpointStatus",
    # fields
    "SCORE_VALIDATORS",
    "SLUG_VALIDATOR",
    "choices_check",
    "score_field",
    "score_range_check",
    # profile
    "Profile",
    "ProfileTopic",
    "ScoredMixin",
    # evidence
    "EvidenceRecord",
    "ProfileEvidence",
    # claims
    "Claim",
    "ClaimEvidence",
    # bands
    "ConfidenceBand",
    # parts
    "Briefing",
    "FaqEntry",
    "Relationship",
    "TimelineEvent",
    "Watchpoint",
    # workflow
    "ChangeAction",
    "ProfileChange",
    "ProfileTransition",
    # accounts
    "ApiToken",
    "Membership",
    "SecurityEvent",
    "SecurityEventKind",
]
