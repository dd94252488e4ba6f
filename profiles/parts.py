"""The one list of a profile's parts.

A profile is its own row plus the parts hung on it: topics, sources, claims (with their
evidence links), timeline events, watchpoints, the briefing, relationships and FAQ
entries. Every surface that walks a profile graph loops over `PARTS` instead of naming
the models again: the visibility policy (what each audience sees of each part), history
(what a revision holds), the import writer (what an update replaces), the page cache
(which writes make pages stale), roles (what analysts may edit), editing and the API
(which parts are added, changed and removed one by one).

Adding a part is one declaration here plus its own code (its model, its validation and
export in the interchange format, its template partial).
"""

from dataclasses import dataclass

from profiles.models import (
    Briefing,
    Claim,
    ClaimEvidence,
    FaqEntry,
    Profile,
    ProfileEvidence,
    ProfileTopic,
    Relationship,
    TimelineEvent,
    Watchpoint,
)


class Gate:
    """How the visibility policy filters a part (`rules.visibility.visible_part`)."""

    NONE = "none"  # shown wherever its profile is (topics)
    LEVEL = "level"  # by its visibility level (timeline, watchpoints, FAQ)
    COUNTED = "counted"  # by level, once verified and while not retracted (claims)
    VERIFIED = "verified"  # by level, once verified, and only if its target is visible too (relationships)
    REVIEWED = "reviewed"  # by its evidence record: that record's level, once reviewed (sources)
    MEMBERS = "members"  # never public: members and staff only (the briefing)


@dataclass(frozen=True)
class Part:
    name: str  # the key in the interchange document and the API
    model: type
    owner: str  # the foreign key to the profile
    accessor: str  # the profile's related name
    visible_as: str  # the list the profile graph fills for an audience (`visible_claims`, …)
    gate: str
    texts: tuple = ()  # bilingual fields an edit writes
    plain: tuple = ()  # other fields an edit writes
    evidence: str | None = None  # its many-to-many to evidence records, if any
    edited_one_by_one: bool = False  # added, changed and removed on their own (editing, the API)
    joined: tuple = ()  # rows read with it wherever it is shown (`select_related`)

    @property
    def codename(self):
        """The model's name in permissions ("timelineevent")."""
        return self.model._meta.model_name


TOPICS = Part("topics", ProfileTopic, "profile", "topic_links", "topics_list", Gate.NONE)
SOURCES = Part("evidence", ProfileEvidence, "profile", "evidence_links", "visible_sources", Gate.REVIEWED,
               joined=("evidence",))  # fmt: skip
CLAIMS = Part("claims", Claim, "profile", "claims", "visible_claims", Gate.COUNTED, evidence="evidence")
TIMELINE = Part(
    "timeline", TimelineEvent, "profile", "timeline_events", "visible_timeline", Gate.LEVEL,
    texts=("title", "text"), plain=("date", "kind", "visibility"), evidence="evidence", edited_one_by_one=True,
)  # fmt: skip
WATCHPOINTS = Part(
    "watchpoints", Watchpoint, "profile", "watchpoints", "visible_watchpoints", Gate.LEVEL,
    texts=("text",), plain=("kind", "status", "review_by", "visibility"), evidence="triggered_by",
    edited_one_by_one=True,
)  # fmt: skip
BRIEFING = Part("briefing", Briefing, "profile", "briefing", "visible_briefing", Gate.MEMBERS)
RELATIONSHIPS = Part(
    "relationships", Relationship, "source", "relationships", "visible_relationships", Gate.VERIFIED,
    texts=("note",), plain=("kind", "verified", "visibility"), evidence="evidence", edited_one_by_one=True,
    joined=("target",),
)  # fmt: skip
FAQ = Part(
    "faq", FaqEntry, "profile", "faq_entries", "visible_faq", Gate.LEVEL,
    texts=("question", "answer"), plain=("visibility",), edited_one_by_one=True,
)  # fmt: skip

PARTS = (TOPICS, SOURCES, CLAIMS, TIMELINE, WATCHPOINTS, BRIEFING, RELATIONSHIPS, FAQ)

# A claim's evidence links: a part of a part, kept and versioned with their claim.
CLAIM_EVIDENCE = Part(
    "claim_evidence", ClaimEvidence, "claim", "evidence_links", "visible_evidence_links", Gate.REVIEWED,
    joined=("evidence",),
)  # fmt: skip

# Every model of a profile graph, the profile first and every row's parent before it.
GRAPH_MODELS = (Profile, *(part.model for part in PARTS), CLAIM_EVIDENCE.model)

_BY_MODEL = {part.model: part for part in (*PARTS, CLAIM_EVIDENCE)}


def part_of(model):
    """The Part a model is, or KeyError."""
    return _BY_MODEL[model]


def evidence_links():
    """The many-to-many tables between parts and evidence records (their `through` models)."""
    return tuple(
        getattr(part.model, part.evidence).through
        for part in PARTS
        if part.evidence and getattr(part.model, part.evidence).through._meta.auto_created
    )
