"""The API's representations: a profile and its parts as the caller's audience may see them.

Each shape is declared once (see `shapes`): its builder makes the response's dict and its
serializer is the OpenAPI component. To add a field, add it here.

They read only what `visibility.profile_graph_queryset` prefetched (the `visible_*`
lists), so they cannot show what the audience may not see and run no queries. Texts and
grades are read through the request's `reading.Reading`.
"""

from rest_framework import serializers

from profiles.api.shapes import (
    Boolean,
    Computed,
    Date,
    DateTime,
    Ids,
    Integer,
    Many,
    Nested,
    Shape,
    String,
    Strings,
    Text,
    TextSchemaField,
)
from profiles.models import ChangeAction, Claim
from profiles.rules.visibility import visible_explanation
from profiles.web import rendering


def shown_explanation(obj, r):
    """How the score was reached, as the audience may see it.

    A claim's: the records the audience may not see folded into a count. A profile's:
    without the claim counts for readers who are not staff (they count claims they may not see).
    """
    if isinstance(obj, Claim):
        shown = [link.evidence_id for link in obj.visible_evidence_links]
        return visible_explanation(obj.explanation, shown) or {}
    explanation = dict(obj.explanation or {})
    if not r.audience.is_staff:
        explanation.pop("claims", None)
    return explanation


CONFIDENCE_SUMMARY = Shape(
    "ConfidenceSummary",
    [
        String("score", help='Two places, e.g. "0.80".'),
        Computed("grade", "grade", source="score"),
        Computed("label", "label", TextSchemaField, source="score", help="The band's label (a text)."),
        Boolean("overridden", "is_overridden", help="An analyst set this score (see the explanation)."),
    ],
)

CONFIDENCE = CONFIDENCE_SUMMARY.extended(
    "Confidence",
    [
        Computed(
            "explanation", shown_explanation, serializers.DictField,
            help="How the score was reached; records the audience may not see are only counted.",
        ),
    ],
)  # fmt: skip


# Parts -----------------------------------------------------------------------------

EVIDENCE = Shape(
    "Evidence",
    [
        Integer("id", "evidence.id", help="The evidence record's id (shared across profiles)."),
        String("key", help="The key the profile's interchange document uses for it."),
        Text("title", "evidence.title"),
        String("url", "evidence.url"),
        String("publisher", "evidence.publisher"),
        Date("published_on", "evidence.published_on", null=True),
        String("kind", "evidence.kind"),
        String("reliability", "evidence.reliability"),
        Text("excerpt", "evidence.excerpt"),
        String("language", "evidence.language"),
        String("review_status", "evidence.review_status"),
        String("visibility", "evidence.visibility"),
    ],
    doc="A source listed on the profile (`visible_sources` links).",
)

EVIDENCE_BASIS = Shape(
    "EvidenceBasis",
    [
        Integer("evidence", "evidence.id"),
        Computed(
            "key", "keys.get", source="evidence_id", null=True,
            help="The source's key on this profile (null if not listed).",
        ),
        Text("title", "evidence.title"),
        String("publisher", "evidence.publisher"),
        Date("published_on", "evidence.published_on", null=True),
        String("kind", "evidence.kind"),
        String("reliability", "evidence.reliability"),
        String("url", "evidence.url"),
        Text("note"),
        String("stance"),
    ],
    doc="A claim's citation of a source: the source, the note (evidence basis) and the stance.",
)  # fmt: skip

RETRACTION = Shape("Retraction", [String("reason", "retraction_reason"), DateTime("at", "retracted_at")])

CLAIM = Shape(
    "Claim",
    [
        Integer("id"),
        String("section"),
        Text("text"),
        Boolean("verified"),
        String("visibility"),
        Nested("retraction", RETRACTION, when="is_retracted"),
        Nested("confidence", CONFIDENCE),
        Many("evidence", EVIDENCE_BASIS, "visible_evidence_links"),
    ],
)

TIMELINE_EVENT = Shape(
    "TimelineEvent",
    [
        Integer("id"),
        Date("date"),
        String("kind"),
        Text("title"),
        Text("text"),
        String("visibility"),
        Ids("evidence", "visible_evidence", help="Ids of the sources it cites."),
    ],
)

WATCHPOINT = Shape(
    "Watchpoint",
    [
        Integer("id"),
        Text("text"),
        String("kind"),
        String("status"),
        Date("review_by", null=True),
        String("visibility"),
        Ids("triggered_by", "visible_triggered_by", help="Ids of the sources that triggered it."),
    ],
)

RELATIONSHIP_TARGET = Shape(
    "RelationshipTarget",
    [
        String("slug"),
        Text("name"),
        String("kind"),
        Computed("url", "profile_api_url", source="slug"),
    ],
)

RELATIONSHIP = Shape(
    "Relationship",
    [
        Integer("id"),
        String("kind"),
        # Visible to the same audience: see visibility.visible_relationships.
        Nested("target", RELATIONSHIP_TARGET, "target"),
        Text("note"),
        Boolean("verified"),
        String("visibility"),
        Ids("evidence", "visible_evidence"),
    ],
)

FAQ_ENTRY = Shape("FaqEntry", [Integer("id"), Text("question"), Text("answer"), String("visibility")])

BRIEFING = Shape(
    "Briefing",
    [
        Text("title"),
        Text("body", help="Markdown."),
        Text("body_html", "body", transform=rendering.render_markdown, help="The body as sanitised HTML."),
        Text("source_notes"),
        String("visibility"),
    ],
)


# Profiles --------------------------------------------------------------------------

FACETS = Shape(
    "Facets",
    [
        String("primary_domain"),
        String("signal_focus"),
        String("content_type"),
        Strings("topics", "topics_list", each="name"),
    ],
)

IMPORTANCE = Shape(
    "Importance",
    [
        Text("statement", "importance_statement"),
        String("criticality", blank_as_null=True),
        String("time_horizon", blank_as_null=True),
        String("impact", blank_as_null=True),
    ],
)

PROFILE_SUMMARY = Shape(
    "ProfileSummary",
    [
        String("slug"),
        Computed("url", "profile_api_url", serializers.URLField, source="slug"),
        Computed("html_url", "profile_page_url", serializers.URLField),
        String("kind"),
        String("status"),
        Text("name"),
        String("category"),
        String("region"),
        String("focus"),
        Nested("facets", FACETS),
        Text("summary"),
        Nested("confidence", CONFIDENCE_SUMMARY),
        DateTime("updated_at"),
        DateTime("published_at", null=True),
    ],
    doc="A profile in a list: what it is, its grade, when it changed.",
)

PROFILE_DETAIL = PROFILE_SUMMARY.extended(
    "ProfileDetail",
    [
        Nested("confidence", CONFIDENCE),
        Strings("aliases"),
        Text("function"),
        Nested("importance", IMPORTANCE),
        Text("watch_focus"),
        Text("public_view"),
        Text("limitations"),
        Many("claims", CLAIM, "visible_claims"),
        Many("evidence", EVIDENCE, "visible_sources"),
        Many("timeline", TIMELINE_EVENT, "visible_timeline"),
        Many("watchpoints", WATCHPOINT, "visible_watchpoints"),
        Many("relationships", RELATIONSHIP, "visible_relationships"),
        Many("faq", FAQ_ENTRY, "visible_faq"),
        Nested("briefing", BRIEFING, "visible_briefing", null=True),  # None unless the audience may read it
        DateTime("created_at"),
        DateTime("last_reviewed_at", null=True),
        Integer("version", help="Raised by every change; the ETag carries it."),
    ],
    doc="The whole profile as the audience may see it.",
    prepare="for_profile",  # its claims' citations show the keys of its sources
)

CONFIDENCE_BAND = Shape(
    "ConfidenceBand",
    [String("lower"), String("upper"), String("grade"), Text("label"), Text("description")],
)


# The changes feed -------------------------------------------------------------------

CHANGE_ENTRY = Shape(
    "ChangeEntry",
    [
        String("action", choices=ChangeAction.values),
        String("slug"),
        DateTime("changed_at"),
        Nested(
            "profile", PROFILE_DETAIL, "profile", null=True, help="As on the profile's endpoint; null when deleted.",
        ),
    ],
)
