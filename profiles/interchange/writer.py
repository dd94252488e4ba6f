"""Writing validated interchange documents in batches (inside the import service's transaction).

`service.prepare_import` has validated a whole file and spooled its canonical
documents; `service.apply_import` hands them to a `Writer` a batch at a time, which:

1. reads the stored form of the batch's profiles (through export, so "unchanged"
   means "export would write the same document") and sets unchanged ones aside;
2. finds the batch's evidence by normalised URL (or, without a URL, by key among the
   profile's sources) in one query, updates records whose description changed and
   inserts the new ones;
3. scores the documents in memory (`scoring.score_claims_and_profile`: their
   evidence is exactly what the batch has just stored) so profiles and claims are
   written once, with their scores;
4. deletes the parts of updated profiles (one query per table) and inserts every
   table's rows with one multi-row INSERT per table (`bulk_writes`).

Relationships may point to a profile later in the file, so they are written after
the last batch. Memory holds one batch of documents plus the relationships. Scores
of profiles outside the file that cite a source whose description changed are
recomputed at the end. Everything runs in one transaction: an error, a dry run or
a killed process leaves the database as it was.
"""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import Q
from django.utils import timezone
from modeltranslation.translator import translator

from profiles.interchange.export import export_documents
from profiles.interchange.format import comparable, normalize_url, without_confidence
from profiles.models import (
    Briefing,
    ChangeAction,
    Claim,
    ClaimEvidence,
    EvidenceRecord,
    FaqEntry,
    Profile,
    ProfileEvidence,
    ProfileStatus,
    ProfileTopic,
    Relationship,
    TimelineEvent,
    Watchpoint,
)
from profiles.parts import GRAPH_MODELS, PARTS
from profiles.rules import confidence, languages
from profiles.rules.visibility import STAFF, is_public
from profiles.selectors.bands import current_bands
from profiles.services import scoring
from profiles.services.changes import change_entry_for, record_changes
from registry.infra import bulk_writes

BATCH = 500
LOOKUP_CHUNK = 1000

# What an import writes on an existing profile; the rest (created_at, last_reviewed_at, …) it keeps.
PROFILE_UPDATE_COLUMNS = [
    "kind", "name_en", "name_zh_hans", "name", "aliases", "category", "region", "focus",
    "primary_domain", "signal_focus", "content_type", "summary_en", "summary_zh_hans", "summary",
    "function_en", "function_zh_hans", "function", "importance_statement_en", "importance_statement_zh_hans",
    "importance_statement", "criticality", "time_horizon", "impact", "watch_focus_en", "watch_focus_zh_hans",
    "watch_focus", "public_view_en", "public_view_zh_hans", "public_view", "limitations_en",
    "limitations_zh_hans", "limitations", "score_override", "override_reason", "computed_score", "score",
    "policy_version", "explanation", "updated_at", "version",
]  # fmt: skip
EVIDENCE_COLUMNS = [
    "title_en", "title_zh_hans", "url", "normalized_url", "publisher", "published_on", "kind", "reliability",
    "excerpt_en", "excerpt_zh_hans", "language", "review_status", "visibility",
]  # fmt: skip


def translated(prefix, text):
    """A bilingual text's columns: `<prefix>_en` and `<prefix>_zh_hans`."""
    text = text or {}
    return {column: text.get(language, "") for language, column in languages.columns(prefix).items()}


class _Table:
    """Turns column mappings into INSERT rows for one model: defaults filled, mirrors set.

    A translated field's untranslated column mirrors the text in the default
    language, falling back to the other one, as a save in English writes it.
    """

    def __init__(self, model):
        self.model = model
        self.fields = [
            field for field in model._meta.concrete_fields if not field.primary_key and not field.generated
        ]
        self.names = [field.attname for field in self.fields]
        self.mirrors = [(name, f"{name}_en", f"{name}_zh_hans") for name in translated_fields(model)]
        # Defaults of the columns a document does not set, taken once per import.
        self.defaults = [(field.attname, field.get_default()) for field in self.fields]

    def row(self, values):
        for name, english, chinese in self.mirrors:
            if name not in values:
                values[name] = values.get(english) or values.get(chinese) or ""
        return tuple([values.get(name, default) for name, default in self.defaults])

    def insert(self, rows, *, returning=False):
        return bulk_writes.insert_rows(self.model, self.names, rows, returning=returning)


def translated_fields(model):
    if model not in translator.get_registered_models():
        return ()
    return tuple(translator.get_options_for_model(model).all_fields)


def _through(descriptor):
    """(through model, owner column, evidence column) of a many-to-many to evidence."""
    field = descriptor.field
    return descriptor.through, field.m2m_column_name(), field.m2m_reverse_name()


class Writer:
    """Writes batches of canonical documents; `finish` after the last batch."""

    def __init__(self, report):
        self.report = report
        self.as_of = date.today()
        self.bands = current_bands()
        self.changed_ids = set()  # profiles this import wrote
        self.changed_evidence = set()  # stored records whose description this import changed
        self.relationships = []  # written once every profile exists
        self.tables = {model: _Table(model) for model in (*GRAPH_MODELS, EvidenceRecord)}

    # One batch ---------------------------------------------------------------------

    def write(self, docs):
        now = timezone.now()
        slugs = [doc["slug"] for doc in docs]
        stored_rows = Profile.objects.filter(slug__in=slugs).values("id", "slug", "status", "version")
        stored = {row["slug"]: row for row in stored_rows}
        current = {}
        if stored:  # nothing to compare with for new profiles
            current = {
                doc["slug"]: without_confidence(doc)
                for doc in export_documents(
                    STAFF, Profile.objects.filter(pk__in=[row["id"] for row in stored.values()])
                )
            }
        changed = []
        for doc in docs:
            before = current.get(doc["slug"])
            if before is not None and comparable(before) == comparable(doc):
                self.report.unchanged.append(doc["slug"])
            else:
                changed.append(doc)
                (self.report.updated if before is not None else self.report.created).append(doc["slug"])
        if not changed:
            return
        evidence = self._write_evidence(changed, stored, now)
        scored = [self._score(doc, evidence[i]) for i, doc in enumerate(changed)]
        ids = self._write_profiles(changed, stored, scored, now)
        self.changed_ids.update(ids)
        updated_ids = [ids[i] for i, doc in enumerate(changed) if doc["slug"] in stored]
        if updated_ids:
            for part in PARTS:  # the document replaces every part (claims take their evidence links)
                part.model.objects.filter(**{f"{part.owner}_id__in": updated_ids}).delete()
        self._write_parts(changed, ids, evidence, scored)
        record_changes(
            change_entry_for(
                profile_id=ids[i],
                slug=doc["slug"],
                status=doc["status"],  # its final status: stored, or the operator's, set in this transaction
                action=ChangeAction.UPDATED if doc["slug"] in stored else ChangeAction.CREATED,
                public_before=doc["slug"] in stored
                and is_public(SimpleNamespace(status=stored[doc["slug"]]["status"])),
            )
            for i, doc in enumerate(changed)
        )

    def _write_evidence(self, docs, stored, now):
        """Find or create each document's evidence; return [{key: record id}] per document."""
        normal_of = {}  # each address normalised once per batch
        for doc in docs:
            for item in doc["evidence"]:
                if item["url"] and item["url"] not in normal_of:
                    normal_of[item["url"]] = normalize_url(item["url"])
        normals = dict.fromkeys(normal_of.values())
        by_url = {}
        urls = list(normals)
        for start in range(0, len(urls), LOOKUP_CHUNK):
            # The same condition as the unique index's, so PostgreSQL can use that partial index.
            records = EvidenceRecord.objects.filter(
                ~Q(normalized_url=""), normalized_url__in=urls[start : start + LOOKUP_CHUNK]
            )
            by_url.update((row["normalized_url"], row) for row in records.values("id", *EVIDENCE_COLUMNS))
        # A record without a URL is this profile's, found by its key among the profile's sources.
        by_key = {}
        updated = [row["id"] for row in stored.values()]
        if updated:
            links = ProfileEvidence.objects.filter(profile_id__in=updated, evidence__normalized_url="")
            for row in links.values("profile_id", "key", "evidence_id"):
                by_key[row["profile_id"], row["key"]] = row["evidence_id"]
        keyed = {
            row["id"]: row
            for row in EvidenceRecord.objects.filter(pk__in=list(by_key.values())).values("id", *EVIDENCE_COLUMNS)
        }

        table = self.tables[EvidenceRecord]
        keys, new_rows, new_slots = [], [], []  # new_slots: (document index, key) or a normalised URL
        created_urls = {}
        for i, doc in enumerate(docs):
            profile_id = stored.get(doc["slug"], {}).get("id")
            mapping = {}
            for item in doc["evidence"]:
                normal = normal_of[item["url"]] if item["url"] else ""
                fields = _evidence_fields(item, normal)
                record = by_url.get(normal) if normal else keyed.get(by_key.get((profile_id, item["key"])))
                if record is None:
                    if normal and normal in created_urls:
                        continue  # created for an earlier document of this batch
                    new_rows.append(table.row({**fields, "created_at": now, "updated_at": now}))
                    new_slots.append(normal or (i, item["key"]))
                    if normal:
                        created_urls[normal] = True
                    continue
                fields["url"] = record["url"] or fields["url"]
                if any(record[name] != value for name, value in fields.items()):
                    self._update_evidence(record["id"], fields, now)
                    record.update(fields)
                mapping[item["key"]] = record["id"]
            keys.append(mapping)
        new_ids = dict(zip(new_slots, table.insert(new_rows, returning=True)))
        for i, doc in enumerate(docs):
            for item in doc["evidence"]:
                if item["key"] not in keys[i]:
                    normal = normal_of[item["url"]] if item["url"] else None
                    keys[i][item["key"]] = new_ids[normal or (i, item["key"])]
        return keys

    def _update_evidence(self, record_id, fields, now):
        values = {**fields, "updated_at": now}
        self.tables[EvidenceRecord].row(values)  # fills the untranslated columns
        names = [name for name in self.tables[EvidenceRecord].names if name in values and name != "created_at"]
        bulk_writes.update_rows(EvidenceRecord, ["id", *names], [(record_id, *(values[name] for name in names))])
        self.changed_evidence.add(record_id)

    def _score(self, doc, keys):
        """The document's claim scores and profile score, from the evidence it describes."""
        described = {item["key"]: item for item in doc["evidence"]}
        claims = [
            scoring.ClaimInputs(
                evidence=[
                    _evidence_input(described[link["key"]], keys[link["key"]], link["stance"])
                    for link in claim["evidence"]
                ],
                verified=claim["verified"],
                retracted="retraction" in claim,
                score_override=_override_score(claim["score_override"]),
                override_reason=claim["score_override"]["reason"] if claim["score_override"] else "",
            )
            for claim in doc["claims"]
        ]
        override = doc["score_override"]
        return scoring.score_claims_and_profile(
            claims,
            profile_override=_override_score(override),
            profile_override_reason=override["reason"] if override else "",
            bands=self.bands,
            as_of=self.as_of,
        )

    def _write_profiles(self, docs, stored, scored, now):
        """Insert new profiles and update stored ones; return their ids in document order."""
        table = self.tables[Profile]
        new_rows, updates = [], []
        for doc, (_claims, (score, explanation)) in zip(docs, scored):
            values = _profile_fields(doc)
            values.update(_score_fields(score, explanation), updated_at=now)
            before = stored.get(doc["slug"])
            if before is None:
                # A new profile starts as a draft; its file's status is the publishing service's to apply.
                values.update(slug=doc["slug"], status=ProfileStatus.DRAFT, created_at=now, version=1)
                new_rows.append(table.row(values))
            else:
                values["version"] = before["version"] + 1
                table.row(values)  # fills the untranslated columns
                updates.append((before["id"], *(values[name] for name in PROFILE_UPDATE_COLUMNS)))
        bulk_writes.update_rows(Profile, ["id", *PROFILE_UPDATE_COLUMNS], updates)
        new_ids = iter(table.insert(new_rows, returning=True))
        return [stored[doc["slug"]]["id"] if doc["slug"] in stored else next(new_ids) for doc in docs]

    def _write_parts(self, docs, ids, evidence, scored):
        t = self.tables
        topics, sources, claims, faq, briefings = [], [], [], [], []
        timeline, watchpoints = [], []  # (row, evidence ids)
        claim_links = []  # per claim: [link rows without the claim id]
        for doc, profile_id, keys, (claim_scores, _profile) in zip(docs, ids, evidence, scored):
            topics += [t[ProfileTopic].row({"profile_id": profile_id, "name": name, "position": i})
                       for i, name in enumerate(doc["facets"]["topics"])]  # fmt: skip
            sources += [
                t[ProfileEvidence].row({"profile_id": profile_id, "evidence_id": keys[item["key"]], "key": item["key"], "position": i})
                for i, item in enumerate(doc["evidence"])
            ]  # fmt: skip
            for i, (item, (score, explanation)) in enumerate(zip(doc["claims"], claim_scores)):
                override = item["score_override"]
                claims.append(t[Claim].row({
                    "profile_id": profile_id, "section": item["section"], **translated("text", item["text"]),
                    "verified": item["verified"], "visibility": item["visibility"],
                    "score_override": _override_score(override), "override_reason": override["reason"] if override else "",
                    "retracted_at": timezone.now() if "retraction" in item else None,
                    "retraction_reason": item["retraction"]["reason"] if "retraction" in item else "",
                    "position": i, **_score_fields(score, explanation),
                }))  # fmt: skip
                claim_links.append([
                    {"evidence_id": keys[link["key"]], **translated("note", link["note"]), "stance": link["stance"], "position": j}
                    for j, link in enumerate(item["evidence"])
                ])  # fmt: skip
            for i, item in enumerate(doc["timeline"]):
                row = t[TimelineEvent].row({
                    "profile_id": profile_id, "date": date.fromisoformat(item["date"]), "kind": item["kind"],
                    **translated("title", item["title"]), **translated("text", item["text"]),
                    "visibility": item["visibility"], "position": i,
                })  # fmt: skip
                timeline.append((row, [keys[key] for key in item["evidence"]]))
            for i, item in enumerate(doc["watchpoints"]):
                row = t[Watchpoint].row({
                    "profile_id": profile_id, **translated("text", item["text"]), "kind": item["kind"],
                    "status": item["status"], "visibility": item["visibility"], "position": i,
                    "review_by": date.fromisoformat(item["review_by"]) if item["review_by"] else None,
                })  # fmt: skip
                watchpoints.append((row, [keys[key] for key in item["triggered_by"]]))
            faq += [
                t[FaqEntry].row({"profile_id": profile_id, **translated("question", item["question"]),
                                 **translated("answer", item["answer"]), "visibility": item["visibility"], "position": i})
                for i, item in enumerate(doc["faq"])
            ]  # fmt: skip
            if doc["briefing"] is not None:
                item = doc["briefing"]
                briefings.append(t[Briefing].row({
                    "profile_id": profile_id, **translated("title", item["title"]), **translated("body", item["body"]),
                    **translated("source_notes", item["source_notes"]), "visibility": item["visibility"],
                }))  # fmt: skip
            for i, item in enumerate(doc["relationships"]):
                self.relationships.append((profile_id, item, i, [keys[key] for key in item["evidence"]]))
        t[ProfileTopic].insert(topics)
        t[ProfileEvidence].insert(sources)
        t[FaqEntry].insert(faq)
        t[Briefing].insert(briefings)
        claim_ids = t[Claim].insert(claims, returning=True)
        t[ClaimEvidence].insert(
            t[ClaimEvidence].row({"claim_id": claim_id, **link})
            for claim_id, links in zip(claim_ids, claim_links)
            for link in links
        )
        _insert_with_evidence(t[TimelineEvent], timeline, TimelineEvent.evidence)
        _insert_with_evidence(t[Watchpoint], watchpoints, Watchpoint.triggered_by)

    # After the last batch ----------------------------------------------------------

    def finish(self):
        self._write_relationships()
        self._recompute_sharers()

    def _write_relationships(self):
        targets = {}
        slugs = sorted({item["target"] for _source, item, _i, _evidence in self.relationships})
        for start in range(0, len(slugs), LOOKUP_CHUNK):
            chunk = slugs[start : start + LOOKUP_CHUNK]
            targets.update(Profile.objects.filter(slug__in=chunk).values_list("slug", "id"))
        table = self.tables[Relationship]
        rows = [
            (table.row({
                "source_id": source_id, "target_id": targets[item["target"]], "kind": item["kind"],
                **translated("note", item["note"]), "verified": item["verified"], "visibility": item["visibility"],
                "position": i,
            }), evidence_ids)
            for source_id, item, i, evidence_ids in self.relationships
        ]  # fmt: skip
        for start in range(0, len(rows), LOOKUP_CHUNK * 5):
            _insert_with_evidence(table, rows[start : start + LOOKUP_CHUNK * 5], Relationship.evidence)
        self.relationships = []

    def _recompute_sharers(self):
        """Profiles outside the import whose claims cite a source whose description it changed."""
        if not self.changed_evidence:
            return
        citing = set(
            Claim.objects.filter(evidence_links__evidence_id__in=self.changed_evidence).values_list(
                "profile_id", flat=True
            )
        )
        others = citing - self.changed_ids
        if others:
            scoring.recompute_scores(others)


def _insert_with_evidence(table, rows, descriptor):
    """Insert rows, then their many-to-many links to evidence."""
    ids = table.insert([row for row, _evidence in rows], returning=True)
    through, owner, cited = _through(descriptor)
    links = [(owner_id, evidence_id) for owner_id, (_row, evidence) in zip(ids, rows) for evidence_id in evidence]
    bulk_writes.insert_rows(through, [owner, cited], links)


def _evidence_fields(item, normalized_url):
    return {
        **translated("title", item["title"]),
        "url": item["url"] or "",
        "normalized_url": normalized_url,
        "publisher": item["publisher"],
        "published_on": date.fromisoformat(item["published_on"]) if item["published_on"] else None,
        "kind": item["kind"],
        "reliability": item["reliability"],
        **translated("excerpt", item["excerpt"]),
        "language": item["language"],
        "review_status": item["review_status"],
        "visibility": item["visibility"],
    }


def _evidence_input(item, record_id, stance):
    return confidence.EvidenceInput(
        id=record_id,
        publisher=item["publisher"],
        kind=item["kind"],
        reliability=item["reliability"],
        published_on=date.fromisoformat(item["published_on"]) if item["published_on"] else None,
        review_status=item["review_status"],
        stance=stance,
    )


def _override_score(override):
    return Decimal(override["score"]) if override else None


def _score_fields(score, explanation):
    return {
        "computed_score": confidence.round_score(explanation["computed"]),
        "score": score,
        "policy_version": confidence.POLICY_VERSION,
        "explanation": explanation,
    }


def _profile_fields(doc):
    importance = doc["importance"]
    override = doc["score_override"]
    return {
        "kind": doc["kind"],
        **translated("name", doc["name"]),
        "aliases": doc["aliases"],
        "category": doc["category"],
        "region": doc["region"],
        "focus": doc["focus"],
        "primary_domain": doc["facets"]["primary_domain"],
        "signal_focus": doc["facets"]["signal_focus"],
        "content_type": doc["facets"]["content_type"],
        **translated("summary", doc["summary"]),
        **translated("function", doc["function"]),
        **translated("importance_statement", importance["statement"]),
        "criticality": importance["criticality"] or "",
        "time_horizon": importance["time_horizon"] or "",
        "impact": importance["impact"] or "",
        **translated("watch_focus", doc["watch_focus"]),
        **translated("public_view", doc["public_view"]),
        **translated("limitations", doc["limitations"]),
        "score_override": _override_score(override),
        "override_reason": override["reason"] if override else "",
    }
