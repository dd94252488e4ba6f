"""Export: profile graphs as canonical `registry-profile/1` documents, and writing them out."""

import json

from django.conf import settings
from django.utils import translation

from profiles.interchange.format import FORMAT
from profiles.interchange.graphs import export_graphs
from profiles.rules import confidence, languages
from profiles.rules.visibility import STAFF, visible_explanation
from profiles.selectors.bands import current_bands

# Exporting -------------------------------------------------------------------


def _text(obj, name):
    text = {}
    for language, column in languages.columns(name).items():
        value = getattr(obj, column) or ""
        if value:
            text[language] = value
    return text or None


def export_documents(audience=STAFF, queryset=None):
    """Yield the canonical document of every profile the audience may see."""
    with translation.override(settings.LANGUAGE_CODE):  # labels in one language: stable bytes
        bands = current_bands()
    for profile in export_graphs(audience, queryset):
        yield export_document(profile, bands, audience)


def export_document(profile, bands, audience=STAFF):
    """One profile graph (`visibility.profile_graph` or `export_graphs`) as a canonical document."""
    keys = {link.evidence_id: link.key for link in profile.visible_sources}
    evidence = [link.evidence for link in profile.visible_sources]
    used = set(keys.values())
    for record in _cited_records(profile):
        if record.pk not in keys:
            # Cited but not listed among the profile's sources: give it a fresh key.
            key = f"e{record.pk}"
            while key in used:
                key += "-cited"
            keys[record.pk] = key
            used.add(key)
            evidence.append(record)
    position = {record.pk: i for i, record in enumerate(evidence)}

    def in_list_order(records):  # database order would depend on ids, which differ between registries
        return sorted(records, key=lambda record: position[record.pk])

    band = confidence.band_for(profile.score, bands)
    briefing = profile.visible_briefing
    return {
        "format": FORMAT,
        "slug": profile.slug,
        "kind": profile.kind,
        "status": profile.status,
        "name": _text(profile, "name"),
        "aliases": list(profile.aliases),
        "category": profile.category,
        "region": profile.region,
        "focus": profile.focus,
        "facets": {
            "primary_domain": profile.primary_domain,
            "signal_focus": profile.signal_focus,
            "content_type": profile.content_type,
            "topics": [topic.name for topic in profile.topics_list],
        },
        "summary": _text(profile, "summary"),
        "function": _text(profile, "function"),
        "importance": {
            "statement": _text(profile, "importance_statement"),
            "criticality": profile.criticality or None,
            "time_horizon": profile.time_horizon or None,
            "impact": profile.impact or None,
        },
        "watch_focus": _text(profile, "watch_focus"),
        "public_view": _text(profile, "public_view"),
        "limitations": _text(profile, "limitations"),
        "score_override": _override(profile),
        "evidence": [
            {
                "key": keys[record.pk],
                "title": _text(record, "title"),
                "url": record.url or None,
                "publisher": record.publisher,
                "published_on": record.published_on.isoformat() if record.published_on else None,
                "kind": record.kind,
                "reliability": record.reliability,
                "excerpt": _text(record, "excerpt"),
                "language": record.language,
                "review_status": record.review_status,
                "visibility": record.visibility,
            }
            for record in evidence
        ],
        "claims": [_claim_document(claim, keys) for claim in profile.visible_claims],
        "timeline": [
            {
                "date": event.date.isoformat(),
                "kind": event.kind,
                "title": _text(event, "title"),
                "text": _text(event, "text"),
                "evidence": [keys[record.pk] for record in in_list_order(event.visible_evidence)],
                "visibility": event.visibility,
            }
            for event in profile.visible_timeline
        ],
        "watchpoints": [
            {
                "text": _text(watchpoint, "text"),
                "kind": watchpoint.kind,
                "status": watchpoint.status,
                "review_by": watchpoint.review_by.isoformat() if watchpoint.review_by else None,
                "triggered_by": [keys[record.pk] for record in in_list_order(watchpoint.visible_triggered_by)],
                "visibility": watchpoint.visibility,
            }
            for watchpoint in profile.visible_watchpoints
        ],
        "briefing": None
        if briefing is None
        else {
            "title": _text(briefing, "title"),
            "body": _text(briefing, "body"),
            "source_notes": _text(briefing, "source_notes"),
            "visibility": briefing.visibility,
        },
        "relationships": [
            {
                "target": relationship.target.slug,
                "kind": relationship.kind,
                "note": _text(relationship, "note"),
                "evidence": [keys[record.pk] for record in in_list_order(relationship.visible_evidence)],
                "verified": relationship.verified,
                "visibility": relationship.visibility,
            }
            for relationship in profile.visible_relationships
        ],
        "faq": [
            {
                "question": _text(entry, "question"),
                "answer": _text(entry, "answer"),
                "visibility": entry.visibility,
            }
            for entry in profile.visible_faq
        ],
        "confidence": {
            "score": str(profile.score),
            "grade": band.grade,
            "label": band.label,
            "explanation": _keyed_explanation(profile, keys, audience),
        },
    }


def _claim_document(claim, keys):
    document = {
        "section": claim.section,
        "text": _text(claim, "text"),
        "evidence": [
            {"key": keys[link.evidence_id], "note": _text(link, "note"), "stance": link.stance}
            for link in claim.visible_evidence_links
        ],
        "verified": claim.verified,
        "visibility": claim.visibility,
        "score_override": _override(claim),
    }
    if claim.is_retracted:
        document["retraction"] = {"reason": claim.retraction_reason}
    return document


def _cited_records(profile):
    for claim in profile.visible_claims:
        for link in claim.visible_evidence_links:
            yield link.evidence
    for event in profile.visible_timeline:
        yield from event.visible_evidence
    for watchpoint in profile.visible_watchpoints:
        yield from watchpoint.visible_triggered_by
    for relationship in profile.visible_relationships:
        yield from relationship.visible_evidence


def _override(obj):
    if obj.score_override is None:
        return None
    return {"score": str(obj.score_override), "reason": obj.override_reason}


def _keyed_explanation(profile, keys, audience):
    """The profile's explanation, with each claim's evidence named by document key.

    Database ids would differ between registries; keys keep export stable.
    """
    explanation = dict(profile.explanation or {})
    claim_explanations = []
    for claim in profile.visible_claims:
        shown = visible_explanation(claim.explanation, keys)
        if shown:
            shown["evidence"] = [
                dict({k: v for k, v in entry.items() if k != "id"}, key=keys[entry["id"]])
                for entry in shown.get("evidence", [])
            ]
        claim_explanations.append({"section": claim.section, **(shown or {})})
    explanation["claim_scores"] = claim_explanations
    if not audience.is_staff:
        explanation.pop("claims", None)  # would count claims this audience may not see
    return explanation


def dump_document(doc):
    """One canonical document as stable, readable JSON text."""
    return json.dumps(doc, ensure_ascii=False, indent=2)


def write_documents(docs, stream, *, jsonl=False, single=False):
    """Write documents as one object, a JSON array, or JSON Lines; return the count."""
    count = 0
    if jsonl:
        for doc in docs:
            stream.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
        return count
    if single:
        for doc in docs:
            stream.write(dump_document(doc) + "\n")
            count += 1
        return count
    stream.write("[")
    for doc in docs:
        stream.write(("\n" if count == 0 else ",\n") + _indent(dump_document(doc)))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def _indent(text):
    return "\n".join("  " + line for line in text.splitlines())
