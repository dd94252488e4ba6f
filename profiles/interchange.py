"""The JSON interchange format, `registry-profile/1` (see docs/interchange.md).

Import is parse → validate → apply:

* `read_documents` accepts one object, an array of objects, or JSON Lines;
* `validate_document` turns one raw object into the canonical document (the
  exact shape export writes) and collects every error with its place, such as
  `profiles[0].claims[1].evidence[0]: unknown evidence key "e9"`;
* `import_documents` applies the canonical documents in one transaction: all
  or nothing, upsert by slug, evidence reused by normalised URL.

Because validation produces the export shape, a profile whose stored form
already equals the incoming document is left untouched (re-importing changes
nothing), and export → import → export is byte-identical.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone, translation

from . import confidence, services
from .models import (
    Briefing,
    ChangeAction,
    Claim,
    ClaimEvidence,
    ClaimSection,
    Criticality,
    EvidenceKind,
    EvidenceRecord,
    FaqEntry,
    Impact,
    Profile,
    ProfileEvidence,
    ProfileKind,
    ProfileStatus,
    ProfileTopic,
    Relationship,
    RelationshipKind,
    Reliability,
    ReviewStatus,
    Stance,
    TimeHorizon,
    TimelineEvent,
    TimelineKind,
    Visibility,
    Watchpoint,
    WatchpointKind,
    WatchpointStatus,
)
from .visibility import STAFF, profile_graphs, visible_explanation

FORMAT = "registry-profile/1"
LANGUAGES = ("en", "zh-hans")
SLUG_RE = re.compile(r"^[a-z0-9-]{1,100}\Z")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


class InterchangeError(Exception):
    """A file that cannot be imported; `errors` lists every problem with its place."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self):
        return len(self.created) + len(self.updated) + len(self.unchanged)

    def summary(self):
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.total} profiles read: {len(self.created)} {verb} created, "
            f"{len(self.updated)} {verb} updated, {len(self.unchanged)} unchanged."
        )


# Reading ---------------------------------------------------------------------


def read_documents(text):
    """Split a file's text into raw documents with their places.

    Returns (documents, errors) where documents is a list of (place, object).
    """
    text = text.lstrip("\ufeff")
    stripped = text.strip()
    if not stripped:
        return [], ["file: the file is empty"]
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            return [], [f"file: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        return [(f"profiles[{i}]", item) for i, item in enumerate(data)], []
    try:
        return [("profiles[0]", json.loads(stripped))], []
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            return [], [f"file: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]
    # More than one value: JSON Lines, one object per line.
    documents, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append((f"profiles[{len(documents)}]", json.loads(line)))
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON at column {exc.colno}: {exc.msg}")
    return documents, errors


# Validating ------------------------------------------------------------------


def normalize_url(url):
    """The form under which two URLs count as the same source.

    None when the text is not an http or https address with a host.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed port or IPv6 address
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host or any(c.isspace() for c in url.strip()):
        return None
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((scheme, host, path, parts.query, ""))


class _Checker:
    """Collects errors with their places while reading one document."""

    def __init__(self):
        self.errors = []

    def error(self, place, message):
        self.errors.append(f"{place}: {message}")

    def obj(self, value, place, allowed):
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(place, "must be an object")
            return {}
        for name in value:
            if name not in allowed:
                self.error(place, f'unknown field "{name}"')
        return value

    def entries(self, value, place, allowed):
        """Yield (place, object) for each object in a list, reporting the rest."""
        for i, item in enumerate(self.items(value, place)):
            here = f"{place}[{i}]"
            if not isinstance(item, dict):
                self.error(here, "must be an object")
                continue
            yield here, self.obj(item, here, allowed)

    def items(self, value, place):
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(place, "must be a list")
            return []
        return value

    def string(self, value, place, *, max_length, required=False, default=""):
        if value is None:
            if required:
                self.error(place, "is required")
            return default
        if not isinstance(value, str):
            self.error(place, "must be a string")
            return default if not required else None
        value = value.strip()
        if required and not value:
            self.error(place, "must not be empty")
        if len(value) > max_length:
            self.error(place, f"is longer than {max_length} characters")
        return value

    def text(self, value, place, *, max_length=20000, required=False):
        """A bilingual text: {"en": …, "zh-hans": …}; a plain string is English."""
        if isinstance(value, str):
            value = {"en": value}
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.error(place, 'must be a text object such as {"en": "…", "zh-hans": "…"}')
            return None
        result = {}
        for language, content in value.items():
            if language not in LANGUAGES:
                self.error(place, f'unknown language "{language}" (use "en" or "zh-hans")')
            elif content is not None:
                content = self.string(content, f"{place}.{language}", max_length=max_length)
                if content:
                    result[language] = content
        if required and not result:
            self.error(place, "needs text in at least one language")
        return {lang: result[lang] for lang in LANGUAGES if lang in result} or None

    def enum(self, value, place, choices, *, default=None):
        if value is None:
            if default is None:
                self.error(place, "is required")
            return default
        if not isinstance(value, str) or value not in choices.values:
            allowed = ", ".join(choices.values)
            self.error(place, f'unknown value "{value}" (allowed: {allowed})')
            return default
        return value

    def optional_enum(self, value, place, choices):
        if value is None:
            return None
        return self.enum(value, place, choices)

    def date(self, value, place, *, required=False):
        if value is None:
            if required:
                self.error(place, "is required")
            return None
        try:
            if not isinstance(value, str) or not DATE_RE.match(value):
                raise ValueError
            return date.fromisoformat(value).isoformat()
        except ValueError:
            self.error(place, f"{json.dumps(value, ensure_ascii=False)} is not a date (YYYY-MM-DD)")
            return None

    def boolean(self, value, place, *, default):
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(place, "must be true or false")
            return default
        return value

    def override(self, value, place):
        value = self.obj(value, place, {"score", "reason"})
        if not value:
            return None
        raw = value.get("score")
        score = None
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            self.error(f"{place}.score", "must be a number from 0 to 1")
        else:
            try:
                number = Decimal(str(raw))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                self.error(f"{place}.score", "must be a number from 0 to 1")
            else:
                try:
                    score = confidence.round_score(number)
                except confidence.ScoreError:
                    self.error(f"{place}.score", f"score {raw} is outside 0.00–1.00")
        reason = self.string(value.get("reason"), f"{place}.reason", max_length=2000)
        if not reason:
            self.error(f"{place}.reason", "an override needs a reason")
        return {"score": str(score) if score is not None else None, "reason": reason}

    def keys(self, value, place, known):
        keys = []
        for i, key in enumerate(self.items(value, place)):
            if not isinstance(key, str) or key not in known:
                self.error(f"{place}[{i}]", f"unknown evidence key {json.dumps(key, ensure_ascii=False)}")
            else:
                keys.append(key)
        # Canonical order: the order of the profile's source list, as export writes it.
        return sorted(keys, key=known.__getitem__)


TOP_FIELDS = [
    "format", "slug", "kind", "status", "name", "aliases", "category", "region", "focus",
    "facets", "summary", "function", "importance", "watch_focus", "public_view",
    "limitations", "score_override", "evidence", "claims", "timeline", "watchpoints",
    "briefing", "relationships", "faq", "confidence",
]  # fmt: skip


def validate_document(raw, place):
    """Return (canonical document, errors) for one raw profile object."""
    check = _Checker()
    if not isinstance(raw, dict):
        check.error(place, "must be a JSON object")
        return None, check.errors
    check.obj(raw, place, set(TOP_FIELDS))
    if raw.get("format") != FORMAT:
        got = json.dumps(raw.get("format"), ensure_ascii=False)
        check.error(f"{place}.format", f'must be "{FORMAT}" (got {got})')
    slug = raw.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        check.error(f"{place}.slug", "must be 1–100 lower-case letters, digits or hyphens")
    facets = check.obj(raw.get("facets"), f"{place}.facets", {"primary_domain", "signal_focus", "content_type", "topics"})
    importance = check.obj(raw.get("importance"), f"{place}.importance", {"statement", "criticality", "time_horizon", "impact"})
    aliases = [
        check.string(alias, f"{place}.aliases[{i}]", max_length=200, required=True)
        for i, alias in enumerate(check.items(raw.get("aliases"), f"{place}.aliases"))
    ]
    topics = [
        check.string(topic, f"{place}.facets.topics[{i}]", max_length=100, required=True)
        for i, topic in enumerate(check.items(facets.get("topics"), f"{place}.facets.topics"))
    ]
    if len(set(topics)) != len(topics):
        check.error(f"{place}.facets.topics", "lists a topic twice")

    evidence, keys = _evidence(check, raw.get("evidence"), f"{place}.evidence")
    doc = {
        "format": FORMAT,
        "slug": slug,
        "kind": check.enum(raw.get("kind"), f"{place}.kind", ProfileKind),
        "status": check.enum(raw.get("status"), f"{place}.status", ProfileStatus, default=ProfileStatus.DRAFT),
        "name": check.text(raw.get("name"), f"{place}.name", max_length=300, required=True),
        "aliases": aliases,
        "category": check.string(raw.get("category"), f"{place}.category", max_length=200),
        "region": check.string(raw.get("region"), f"{place}.region", max_length=100),
        "focus": check.string(raw.get("focus"), f"{place}.focus", max_length=100),
        "facets": {
            "primary_domain": check.string(facets.get("primary_domain"), f"{place}.facets.primary_domain", max_length=100),
            "signal_focus": check.string(facets.get("signal_focus"), f"{place}.facets.signal_focus", max_length=100),
            "content_type": check.string(facets.get("content_type"), f"{place}.facets.content_type", max_length=100),
            "topics": topics,
        },
        "summary": check.text(raw.get("summary"), f"{place}.summary"),
        "function": check.text(raw.get("function"), f"{place}.function"),
        "importance": {
            "statement": check.text(importance.get("statement"), f"{place}.importance.statement"),
            "criticality": check.optional_enum(importance.get("criticality"), f"{place}.importance.criticality", Criticality),
            "time_horizon": check.optional_enum(importance.get("time_horizon"), f"{place}.importance.time_horizon", TimeHorizon),
            "impact": check.optional_enum(importance.get("impact"), f"{place}.importance.impact", Impact),
        },
        "watch_focus": check.text(raw.get("watch_focus"), f"{place}.watch_focus"),
        "public_view": check.text(raw.get("public_view"), f"{place}.public_view"),
        "limitations": check.text(raw.get("limitations"), f"{place}.limitations"),
        "score_override": check.override(raw.get("score_override"), f"{place}.score_override"),
        "evidence": evidence,
        "claims": _claims(check, raw.get("claims"), f"{place}.claims", keys),
        "timeline": _timeline(check, raw.get("timeline"), f"{place}.timeline", keys),
        "watchpoints": _watchpoints(check, raw.get("watchpoints"), f"{place}.watchpoints", keys),
        "briefing": _briefing(check, raw.get("briefing"), f"{place}.briefing"),
        "relationships": _relationships(check, raw.get("relationships"), f"{place}.relationships", keys, slug),
        "faq": _faq(check, raw.get("faq"), f"{place}.faq"),
    }  # fmt: skip
    return doc, check.errors


def _evidence(check, value, place):
    records, keys, urls = [], {}, {}  # keys: key → its place in the source list
    allowed = {"key", "title", "url", "publisher", "published_on", "kind", "reliability",
               "excerpt", "language", "review_status", "visibility"}  # fmt: skip
    for here, item in check.entries(value, place, allowed):
        key = check.string(item.get("key"), f"{here}.key", max_length=100, required=True)
        if key in keys:
            check.error(f"{here}.key", f'evidence key "{key}" is used twice')
        keys.setdefault(key, len(keys))
        url = item.get("url")
        if url is not None:
            url = check.string(url, f"{here}.url", max_length=1000)
            if url:
                normal = normalize_url(url)
                if normal is None:
                    check.error(f"{here}.url", "must be an http:// or https:// address")
                else:
                    if normal in urls:
                        check.error(f"{here}.url", f"is the same source as {urls[normal]}")
                    urls[normal] = here
            url = url or None
        records.append({
            "key": key,
            "title": check.text(item.get("title"), f"{here}.title", max_length=500, required=True),
            "url": url,
            "publisher": check.string(item.get("publisher"), f"{here}.publisher", max_length=200),
            "published_on": check.date(item.get("published_on"), f"{here}.published_on"),
            "kind": check.enum(item.get("kind"), f"{here}.kind", EvidenceKind),
            "reliability": check.enum(item.get("reliability"), f"{here}.reliability", Reliability, default=Reliability.F),
            "excerpt": check.text(item.get("excerpt"), f"{here}.excerpt"),
            "language": check.string(item.get("language"), f"{here}.language", max_length=20),
            "review_status": check.enum(item.get("review_status"), f"{here}.review_status", ReviewStatus, default=ReviewStatus.PENDING),
            "visibility": check.enum(item.get("visibility"), f"{here}.visibility", Visibility, default=Visibility.PUBLIC),
        })  # fmt: skip
    return records, keys


def _claims(check, value, place, keys):
    claims = []
    allowed = {"section", "text", "evidence", "verified", "visibility", "score_override", "retraction"}
    for here, item in check.entries(value, place, allowed):
        links, seen = [], set()
        for there, link in check.entries(item.get("evidence"), f"{here}.evidence", {"key", "note", "stance"}):
            key = link.get("key")
            if not isinstance(key, str) or key not in keys:
                check.error(there, f"unknown evidence key {json.dumps(key, ensure_ascii=False)}")
                continue
            if key in seen:
                check.error(there, f'evidence key "{key}" is cited twice by this claim')
            seen.add(key)
            links.append({
                "key": key,
                "note": check.text(link.get("note"), f"{there}.note", max_length=500),
                "stance": check.enum(link.get("stance"), f"{there}.stance", Stance, default=Stance.SUPPORTS),
            })  # fmt: skip
        claims.append({
            "section": check.enum(item.get("section"), f"{here}.section", ClaimSection),
            "text": check.text(item.get("text"), f"{here}.text", required=True),
            "evidence": links,
            "verified": check.boolean(item.get("verified"), f"{here}.verified", default=False),
            "visibility": check.enum(item.get("visibility"), f"{here}.visibility", Visibility, default=Visibility.PUBLIC),
            "score_override": check.override(item.get("score_override"), f"{here}.score_override"),
        })  # fmt: skip
        retraction = check.obj(item.get("retraction"), f"{here}.retraction", {"reason"})
        if retraction:
            reason = check.string(retraction.get("reason"), f"{here}.retraction.reason", max_length=2000)
            if not reason:
                check.error(f"{here}.retraction.reason", "a retraction needs a reason")
            # An extension to the format: written only for retracted claims.
            claims[-1]["retraction"] = {"reason": reason}
    return claims


def _timeline(check, value, place, keys):
    events = []
    allowed = {"date", "kind", "title", "text", "evidence", "visibility"}
    for here, item in check.entries(value, place, allowed):
        events.append({
            "date": check.date(item.get("date"), f"{here}.date", required=True),
            "kind": check.enum(item.get("kind"), f"{here}.kind", TimelineKind, default=TimelineKind.OTHER),
            "title": check.text(item.get("title"), f"{here}.title", max_length=300, required=True),
            "text": check.text(item.get("text"), f"{here}.text"),
            "evidence": check.keys(item.get("evidence"), f"{here}.evidence", keys),
            "visibility": check.enum(item.get("visibility"), f"{here}.visibility", Visibility, default=Visibility.PUBLIC),
        })  # fmt: skip
    # Canonical order is by date (stable), the order pages and export use.
    return sorted(events, key=lambda event: event["date"] or "")


def _watchpoints(check, value, place, keys):
    watchpoints = []
    allowed = {"text", "kind", "status", "review_by", "triggered_by", "visibility"}
    for here, item in check.entries(value, place, allowed):
        watchpoints.append({
            "text": check.text(item.get("text"), f"{here}.text", required=True),
            "kind": check.enum(item.get("kind"), f"{here}.kind", WatchpointKind, default=WatchpointKind.OTHER),
            "status": check.enum(item.get("status"), f"{here}.status", WatchpointStatus, default=WatchpointStatus.OPEN),
            "review_by": check.date(item.get("review_by"), f"{here}.review_by"),
            "triggered_by": check.keys(item.get("triggered_by"), f"{here}.triggered_by", keys),
            "visibility": check.enum(item.get("visibility"), f"{here}.visibility", Visibility, default=Visibility.PUBLIC),
        })  # fmt: skip
    return watchpoints


def _briefing(check, value, place):
    if value is None:
        return None
    item = check.obj(value, place, {"title", "body", "source_notes", "visibility"})
    visibility = check.enum(item.get("visibility"), f"{place}.visibility", Visibility, default=Visibility.MEMBERS)
    if visibility == Visibility.PUBLIC:
        check.error(f"{place}.visibility", 'a briefing is "members" or "internal", never "public"')
    return {
        "title": check.text(item.get("title"), f"{place}.title", max_length=300),
        "body": check.text(item.get("body"), f"{place}.body", max_length=200000),
        "source_notes": check.text(item.get("source_notes"), f"{place}.source_notes"),
        "visibility": visibility,
    }


def _relationships(check, value, place, keys, slug):
    relationships, seen = [], set()
    allowed = {"target", "kind", "note", "evidence", "verified", "visibility"}
    for here, item in check.entries(value, place, allowed):
        target = item.get("target")
        if not isinstance(target, str) or not SLUG_RE.match(target):
            check.error(f"{here}.target", "must be the slug of another profile")
        elif target == slug:
            check.error(f"{here}.target", "a profile cannot be related to itself")
        kind = check.enum(item.get("kind"), f"{here}.kind", RelationshipKind, default=RelationshipKind.SEE_ALSO)
        if not isinstance(target, str):
            target = None
        elif (target, kind) in seen:
            check.error(here, f'the relationship "{kind}" to "{target}" is listed twice')
        seen.add((target, kind))
        relationships.append({
            "target": target,
            "kind": kind,
            "note": check.text(item.get("note"), f"{here}.note"),
            "evidence": check.keys(item.get("evidence"), f"{here}.evidence", keys),
            "verified": check.boolean(item.get("verified"), f"{here}.verified", default=False),
            "visibility": check.enum(item.get("visibility"), f"{here}.visibility", Visibility, default=Visibility.PUBLIC),
        })  # fmt: skip
    return relationships


def _faq(check, value, place):
    entries = []
    for here, item in check.entries(value, place, {"question", "answer", "visibility"}):
        entries.append({
            "question": check.text(item.get("question"), f"{here}.question", max_length=500, required=True),
            "answer": check.text(item.get("answer"), f"{here}.answer"),
            "visibility": check.enum(item.get("visibility"), f"{here}.visibility", Visibility, default=Visibility.PUBLIC),
        })  # fmt: skip
    return entries


def validate_documents(documents):
    """Validate every document and the links between them; return (docs, errors)."""
    docs, errors, places_by_slug = [], [], {}
    for place, raw in documents:
        doc, doc_errors = validate_document(raw, place)
        errors.extend(doc_errors)
        if doc is None:
            continue
        slug = doc["slug"]
        if isinstance(slug, str) and SLUG_RE.match(slug):
            if slug in places_by_slug:
                errors.append(f'{place}.slug: "{slug}" appears twice in this file (also {places_by_slug[slug]})')
            places_by_slug[slug] = place
        docs.append((place, doc))
    errors.extend(_conflicting_sources(docs))
    targets = {
        rel["target"]
        for _, doc in docs
        for rel in doc["relationships"]
        if isinstance(rel["target"], str) and SLUG_RE.match(rel["target"])  # refused already otherwise
    }
    known = set(places_by_slug) | set(Profile.objects.filter(slug__in=targets).values_list("slug", flat=True))
    for place, doc in docs:
        for i, rel in enumerate(doc["relationships"]):
            target = rel["target"]
            if isinstance(target, str) and SLUG_RE.match(target) and target not in known and target != doc["slug"]:
                errors.append(f'{place}.relationships[{i}].target: unknown profile "{rel["target"]}"')
    return [doc for _, doc in docs], errors


def _conflicting_sources(docs):
    """One source (by normalised URL) must be described the same way throughout a file."""
    errors, seen = [], {}
    for place, doc in docs:
        for i, item in enumerate(doc["evidence"]):
            normal = normalize_url(item["url"]) if item["url"] else None
            if not normal:
                continue
            description = {name: value for name, value in item.items() if name not in ("key", "url")}
            first = seen.setdefault(normal, (place, f"{place}.evidence[{i}]", description))
            # Repeats inside one document are reported by validate_document already.
            if first[0] != place and first[2] != description:
                errors.append(
                    f"{place}.evidence[{i}]: describes the source {item['url']} differently from {first[1]}"
                )
    return errors


def _comparable(doc):
    """A document with evidence URLs in normalised form, for change detection."""
    if doc is None:
        return None
    evidence = [dict(item, url=normalize_url(item["url"]) if item["url"] else None) for item in doc["evidence"]]
    return dict(doc, evidence=evidence)


# Applying --------------------------------------------------------------------


def import_text(text, *, dry_run=False, progress=None):
    """Validate and import a whole file's text; raise InterchangeError on any error."""
    documents, errors = read_documents(text)
    docs, validation_errors = validate_documents(documents)
    errors += validation_errors
    if errors:
        raise InterchangeError(errors)
    return import_documents(docs, dry_run=dry_run, progress=progress)


def import_documents(docs, *, dry_run=False, progress=None):
    """Apply canonical documents in one transaction (rolled back for a dry run)."""
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            existing = _existing_documents([doc["slug"] for doc in docs])
            changed = []
            for done, doc in enumerate(docs, start=1):
                current = existing.get(doc["slug"])
                if _comparable(current) == _comparable(doc):
                    report.unchanged.append(doc["slug"])
                else:
                    changed.append(doc)
                    (report.updated if current is not None else report.created).append(doc["slug"])
                    _write_profile(doc)
                if progress:
                    progress(done, len(docs))
            profiles = {p.slug: p for p in Profile.objects.filter(slug__in=[d["slug"] for d in docs])}
            for doc in changed:
                _write_relationships(profiles[doc["slug"]], doc)
            services.record_changes(
                services.change_entry(
                    profiles[doc["slug"]],
                    ChangeAction.UPDATED if doc["slug"] in existing else ChangeAction.CREATED,
                    public_before=existing.get(doc["slug"], {}).get("status") == ProfileStatus.PUBLISHED,
                )
                for doc in changed
            )
            if changed:
                services.recompute_scores([profiles[doc["slug"]] for doc in changed], record=False)
                _recompute_sharers(changed, profiles)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        raise InterchangeError([f"database: {exc}; nothing was imported"]) from exc
    return report


def _existing_documents(slugs):
    profiles = Profile.objects.filter(slug__in=slugs)
    return {doc["slug"]: _without_confidence(doc) for doc in export_documents(STAFF, profiles)}


def _without_confidence(doc):
    return {name: value for name, value in doc.items() if name != "confidence"}


def _translated(prefix, text):
    text = text or {}
    return {f"{prefix}_en": text.get("en", ""), f"{prefix}_zh_hans": text.get("zh-hans", "")}


def _write_profile(doc):
    importance = doc["importance"]
    override = doc["score_override"]
    fields = {
        "kind": doc["kind"],
        "status": doc["status"],
        **_translated("name", doc["name"]),
        "aliases": doc["aliases"],
        "category": doc["category"],
        "region": doc["region"],
        "focus": doc["focus"],
        "primary_domain": doc["facets"]["primary_domain"],
        "signal_focus": doc["facets"]["signal_focus"],
        "content_type": doc["facets"]["content_type"],
        **_translated("summary", doc["summary"]),
        **_translated("function", doc["function"]),
        **_translated("importance_statement", importance["statement"]),
        "criticality": importance["criticality"] or "",
        "time_horizon": importance["time_horizon"] or "",
        "impact": importance["impact"] or "",
        **_translated("watch_focus", doc["watch_focus"]),
        **_translated("public_view", doc["public_view"]),
        **_translated("limitations", doc["limitations"]),
        "score_override": Decimal(override["score"]) if override else None,
        "override_reason": override["reason"] if override else "",
        "updated_at": timezone.now(),
    }
    profile, created = Profile.objects.update_or_create(slug=doc["slug"], defaults=fields)
    if not created:
        Profile.objects.filter(pk=profile.pk).update(version=F("version") + 1)
    if doc["status"] == ProfileStatus.PUBLISHED and profile.published_at is None:
        profile.published_at = profile.updated_at
        profile.save(update_fields=["published_at"])

    evidence = _write_evidence(profile, doc["evidence"])
    for model in (ProfileTopic, ProfileEvidence, Claim, TimelineEvent, Watchpoint, FaqEntry, Briefing):
        model.objects.filter(profile=profile).delete()
    ProfileTopic.objects.bulk_create(
        ProfileTopic(profile=profile, name=name, position=i) for i, name in enumerate(doc["facets"]["topics"])
    )
    ProfileEvidence.objects.bulk_create(
        ProfileEvidence(profile=profile, evidence=evidence[item["key"]], key=item["key"], position=i)
        for i, item in enumerate(doc["evidence"])
    )
    for i, item in enumerate(doc["claims"]):
        override = item["score_override"]
        claim = Claim.objects.create(
            profile=profile,
            section=item["section"],
            **_translated("text", item["text"]),
            verified=item["verified"],
            visibility=item["visibility"],
            score_override=Decimal(override["score"]) if override else None,
            override_reason=override["reason"] if override else "",
            retracted_at=timezone.now() if "retraction" in item else None,
            retraction_reason=item["retraction"]["reason"] if "retraction" in item else "",
            position=i,
        )
        ClaimEvidence.objects.bulk_create(
            ClaimEvidence(
                claim=claim,
                evidence=evidence[link["key"]],
                **_translated("note", link["note"]),
                stance=link["stance"],
                position=j,
            )
            for j, link in enumerate(item["evidence"])
        )
    for i, item in enumerate(doc["timeline"]):
        event = TimelineEvent.objects.create(
            profile=profile,
            date=item["date"],
            kind=item["kind"],
            **_translated("title", item["title"]),
            **_translated("text", item["text"]),
            visibility=item["visibility"],
            position=i,
        )
        event.evidence.set([evidence[key] for key in item["evidence"]])
    for i, item in enumerate(doc["watchpoints"]):
        watchpoint = Watchpoint.objects.create(
            profile=profile,
            **_translated("text", item["text"]),
            kind=item["kind"],
            status=item["status"],
            review_by=item["review_by"],
            visibility=item["visibility"],
            position=i,
        )
        watchpoint.triggered_by.set([evidence[key] for key in item["triggered_by"]])
    FaqEntry.objects.bulk_create(
        FaqEntry(
            profile=profile,
            **_translated("question", item["question"]),
            **_translated("answer", item["answer"]),
            visibility=item["visibility"],
            position=i,
        )
        for i, item in enumerate(doc["faq"])
    )
    if doc["briefing"] is not None:
        briefing = doc["briefing"]
        Briefing.objects.create(
            profile=profile,
            **_translated("title", briefing["title"]),
            **_translated("body", briefing["body"]),
            **_translated("source_notes", briefing["source_notes"]),
            visibility=briefing["visibility"],
        )
    return profile


def _evidence_fields(item):
    return {
        **_translated("title", item["title"]),
        "url": item["url"] or "",
        "normalized_url": normalize_url(item["url"]) if item["url"] else "",
        "publisher": item["publisher"],
        "published_on": date.fromisoformat(item["published_on"]) if item["published_on"] else None,
        "kind": item["kind"],
        "reliability": item["reliability"],
        **_translated("excerpt", item["excerpt"]),
        "language": item["language"],
        "review_status": item["review_status"],
        "visibility": item["visibility"],
    }


def _write_evidence(profile, items):
    """Create or update the document's evidence records; return them by key.

    A record with a URL is found by its normalised URL anywhere in the
    registry (keeping the spelling it was first stored with); one without is
    found by its key among this profile's sources.
    """
    by_url = {
        record.normalized_url: record
        for record in EvidenceRecord.objects.filter(
            normalized_url__in=[normalize_url(i["url"]) for i in items if i["url"]]
        )
    }
    by_key = {
        link.key: link.evidence for link in ProfileEvidence.objects.filter(profile=profile).select_related("evidence")
    }
    records = {}
    for item in items:
        fields = _evidence_fields(item)
        if fields["normalized_url"]:
            record = by_url.get(fields["normalized_url"])
        else:
            record = by_key.get(item["key"])
            record = record if record is not None and not record.normalized_url else None
        if record is None:
            record = EvidenceRecord.objects.create(**fields)
        else:
            fields["url"] = record.url or fields["url"]
            if any(getattr(record, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(record, name, value)
                record.updated_at = timezone.now()
                record.save()
        records[item["key"]] = record
    return records


def _write_relationships(profile, doc):
    Relationship.objects.filter(source=profile).delete()
    if not doc["relationships"]:
        return
    keys = {link.key: link.evidence_id for link in ProfileEvidence.objects.filter(profile=profile)}
    targets = dict(
        Profile.objects.filter(slug__in=[r["target"] for r in doc["relationships"]]).values_list("slug", "pk")
    )
    for i, item in enumerate(doc["relationships"]):
        relationship = Relationship.objects.create(
            source=profile,
            target_id=targets[item["target"]],
            kind=item["kind"],
            **_translated("note", item["note"]),
            verified=item["verified"],
            visibility=item["visibility"],
            position=i,
        )
        relationship.evidence.set([keys[key] for key in item["evidence"]])


def _recompute_sharers(changed, profiles):
    """Profiles outside the file whose claims cite evidence this import changed."""
    changed_ids = {profiles[doc["slug"]].pk for doc in changed}
    evidence_ids = ProfileEvidence.objects.filter(profile_id__in=changed_ids).values("evidence_id")
    others = set(
        Claim.objects.filter(evidence_links__evidence_id__in=evidence_ids)
        .exclude(profile_id__in=changed_ids)
        .values_list("profile_id", flat=True)
    )
    if others:
        services.recompute_scores(others)


# Exporting -------------------------------------------------------------------


def _text(obj, name):
    text = {}
    for language in LANGUAGES:
        value = getattr(obj, f"{name}_{language.replace('-', '_')}") or ""
        if value:
            text[language] = value
    return text or None


def export_documents(audience=STAFF, queryset=None):
    """Yield the canonical document of every profile the audience may see."""
    with translation.override(settings.LANGUAGE_CODE):  # labels in one language: stable bytes
        bands = services.current_bands()
    for profile in profile_graphs(audience, queryset):
        yield export_document(profile, bands, audience)


def export_document(profile, bands, audience=STAFF):
    """One profile graph (from `visibility.profile_graph`) as a canonical document."""
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
