"""Profile graphs for export, read as rows.

`interchange.export_document` reads a profile graph: the profile with its
`visible_*` parts, as `visibility.profile_graph` builds it for pages. Export
reads every profile, so building thousands of model instances (each with all
its language columns) would be most of its cost. This module reads the same
graphs with `values()` — only the columns the format writes, in chunks of
profiles, a fixed number of queries per chunk — into plain objects with the
same attribute names. Every part is filtered by the audience through the
querysets of `visibility`, as the pages are.
"""

from types import SimpleNamespace

from profiles.models import (
    Profile,
    ClaimEvidence,
    EvidenceRecord,
    ProfileEvidence,
    ProfileTopic,
    Relationship,
    TimelineEvent,
    Watchpoint,
)
from profiles.rules.visibility import (
    visible_briefings,
    visible_claims,
    visible_evidence,
    visible_faq,
    visible_profiles,
    visible_relationships,
    visible_timeline,
    visible_watchpoints,
)

CHUNK = 500
LANGUAGE_SUFFIXES = ("_en", "_zh_hans")


def _bilingual(*names):
    return [f"{name}{suffix}" for name in names for suffix in LANGUAGE_SUFFIXES]


PROFILE_COLUMNS = [
    "id", "slug", "kind", "status", "aliases", "category", "region", "focus", "primary_domain",
    "signal_focus", "content_type", "criticality", "time_horizon", "impact", "score_override",
    "override_reason", "score", "explanation",
    *_bilingual("name", "summary", "function", "importance_statement", "watch_focus", "public_view", "limitations"),
]  # fmt: skip
EVIDENCE_COLUMNS = [
    "id", "url", "publisher", "published_on", "kind", "reliability", "language", "review_status", "visibility",
    *_bilingual("title", "excerpt"),
]  # fmt: skip
CLAIM_COLUMNS = [
    "id", "profile_id", "section", "verified", "visibility", "score_override", "override_reason",
    "retracted_at", "retraction_reason", "explanation", *_bilingual("text"),
]  # fmt: skip
TIMELINE_COLUMNS = ["id", "profile_id", "date", "kind", "visibility", *_bilingual("title", "text")]
WATCHPOINT_COLUMNS = ["id", "profile_id", "kind", "status", "review_by", "visibility", *_bilingual("text")]
RELATIONSHIP_COLUMNS = ["id", "source_id", "target__slug", "kind", "verified", "visibility", *_bilingual("note")]
FAQ_COLUMNS = ["profile_id", "visibility", *_bilingual("question", "answer")]
BRIEFING_COLUMNS = ["profile_id", "visibility", *_bilingual("title", "body", "source_notes")]


def _row(values):
    row = SimpleNamespace(**values)
    row.pk = values.get("id")
    return row


def _grouped(rows, key):
    groups = {}
    for row in rows:
        groups.setdefault(getattr(row, key), []).append(row)
    return groups


def export_graphs(audience, queryset=None, *, chunk=CHUNK, as_if_published=False):
    """Yield every profile the audience may see (optionally narrowed), in slug order, as a graph.

    `as_if_published` drops the status rule only (publication snapshots), as for
    `visibility.profile_graph`: every part is still filtered for the audience.
    """
    profiles = Profile.objects.all() if as_if_published else visible_profiles(audience)
    if queryset is not None:
        profiles = profiles.filter(pk__in=queryset.values("pk"))
    last = None
    while True:
        page = profiles.order_by("slug")
        if last is not None:
            page = page.filter(slug__gt=last)
        page = page[:chunk]
        rows = [_row(values) for values in page.values(*PROFILE_COLUMNS)]
        if not rows:
            return
        # The parts are selected by this page as a subquery: no list of ids to send.
        yield from _with_parts(rows, page.values("id"), audience)
        last = rows[-1].slug


def _with_parts(profiles, page, audience):
    evidence = visible_evidence(audience)
    topics = _grouped(
        (_row(v) for v in ProfileTopic.objects.filter(profile_id__in=page).values("profile_id", "name")),
        "profile_id",
    )
    records = {}
    sources = {}
    source_rows = _visible_links(ProfileEvidence.objects.filter(profile_id__in=page), "evidence", evidence).values_list(
        "profile_id", "evidence_id", "key", *(f"evidence__{name}" for name in EVIDENCE_COLUMNS)
    )
    for profile_id, evidence_id, key, *record in source_rows:
        if evidence_id not in records:
            records[evidence_id] = _row(dict(zip(EVIDENCE_COLUMNS, record)))
        sources.setdefault(profile_id, []).append(
            SimpleNamespace(evidence_id=evidence_id, key=key, evidence=records[evidence_id])
        )
    claims = visible_claims(audience).filter(profile_id__in=page)
    claim_links = _grouped(
        (
            _row(v)
            for v in _visible_links(ClaimEvidence.objects.filter(claim__in=claims.values("id")), "evidence", evidence).values(
                "claim_id", "evidence_id", "stance", *_bilingual("note")
            )
        ),
        "claim_id",
    )
    claims = [_row(v) for v in claims.values(*CLAIM_COLUMNS)]
    timeline = visible_timeline(audience).filter(profile_id__in=page)
    watchpoints = visible_watchpoints(audience).filter(profile_id__in=page)
    relationships = visible_relationships(audience).filter(source_id__in=page)
    timeline_evidence = _cited(TimelineEvent.evidence, timeline.values("id"), evidence)
    triggers = _cited(Watchpoint.triggered_by, watchpoints.values("id"), evidence)
    relationship_evidence = _cited(Relationship.evidence, relationships.values("id"), evidence)
    timeline = [_row(v) for v in timeline.values(*TIMELINE_COLUMNS)]
    watchpoints = [_row(v) for v in watchpoints.values(*WATCHPOINT_COLUMNS)]
    relationships = [_row(v) for v in relationships.values(*RELATIONSHIP_COLUMNS)]
    faq = _grouped((_row(v) for v in visible_faq(audience).filter(profile_id__in=page).values(*FAQ_COLUMNS)), "profile_id")
    briefings = {
        v["profile_id"]: _row(v) for v in visible_briefings(audience).filter(profile_id__in=page).values(*BRIEFING_COLUMNS)
    }

    # Records cited without being among the profile's sources (rare): fetched by id.
    cited = {link.evidence_id for links in claim_links.values() for link in links}
    for links in (timeline_evidence, triggers, relationship_evidence):
        cited.update(evidence_id for ids in links.values() for evidence_id in ids)
    unlisted = list(cited.difference(records))
    if unlisted:
        records.update(
            (values["id"], _row(values))
            for values in EvidenceRecord.objects.filter(pk__in=unlisted).order_by().values(*EVIDENCE_COLUMNS)
        )

    for link in (link for links in claim_links.values() for link in links):
        link.evidence = records[link.evidence_id]
    for claim in claims:
        claim.visible_evidence_links = claim_links.get(claim.id, [])
        claim.is_retracted = claim.retracted_at is not None
    for event in timeline:
        event.visible_evidence = [records[i] for i in timeline_evidence.get(event.id, [])]
    for watchpoint in watchpoints:
        watchpoint.visible_triggered_by = [records[i] for i in triggers.get(watchpoint.id, [])]
    for relationship in relationships:
        relationship.target = SimpleNamespace(slug=relationship.target__slug)
        relationship.visible_evidence = [records[i] for i in relationship_evidence.get(relationship.id, [])]
    claims, timeline = _grouped(claims, "profile_id"), _grouped(timeline, "profile_id")
    watchpoints, relationships = _grouped(watchpoints, "profile_id"), _grouped(relationships, "source_id")
    for profile in profiles:
        profile.topics_list = topics.get(profile.id, [])
        profile.visible_sources = sources.get(profile.id, [])
        profile.visible_claims = claims.get(profile.id, [])
        profile.visible_timeline = timeline.get(profile.id, [])
        profile.visible_watchpoints = watchpoints.get(profile.id, [])
        profile.visible_relationships = relationships.get(profile.id, [])
        profile.visible_faq = faq.get(profile.id, [])
        profile.visible_briefing = briefings.get(profile.id)
        yield profile


def _visible_links(links, lookup, evidence):
    """Links to evidence the audience may see (`evidence`: the visibility policy's records).

    When the policy lets the audience see every record, the filter is left out: it
    would be a semi-join against the whole evidence table in every query.
    """
    if not evidence.query.has_filters():
        return links
    return links.filter(**{f"{lookup}__in": evidence})


def _cited(descriptor, owners, evidence):
    """{owner id: [visible evidence ids]} for a many-to-many to evidence, in evidence order."""
    field = descriptor.field
    through = descriptor.through
    owner, cited = field.m2m_field_name(), field.m2m_reverse_field_name()
    links = (
        _visible_links(through.objects.filter(**{f"{owner}_id__in": owners}), cited, evidence)
        # The order of `EvidenceRecord.Meta.ordering`, which the prefetched graph uses.
        .order_by(f"{cited}__published_on", f"{cited}__id")
        .values_list(f"{owner}_id", f"{cited}_id")
    )
    grouped = {}
    for owner_id, evidence_id in links:
        grouped.setdefault(owner_id, []).append(evidence_id)
    return grouped
