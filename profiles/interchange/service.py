"""The JSON interchange format, `registry-profile/1` (see docs/interchange.md).

Import is read → validate → apply:

* `iter_documents` reads one object, an array of objects, or JSON Lines (a line
  at a time);
* `validate_document` turns one raw object into the canonical document (the
  exact shape export writes) and collects every error with its place, such as
  `profiles[0].claims[1].evidence[0]: unknown evidence key "e9"`;
  `prepare_import` validates a whole file that way, with the checks across
  documents, and spools the canonical documents;
* `import_batches.apply_import` writes them in batches inside one transaction:
  all or nothing, upsert by slug, evidence reused by normalised URL.

Because validation produces the export shape, a profile whose stored form
already equals the incoming document is left untouched (re-importing changes
nothing), and export → import → export is byte-identical.
"""

import functools
import hashlib
import io
import itertools
import json
import marshal
import re
import struct
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils import translation

from profiles.selectors.bands import current_bands
from profiles.rules import confidence
from profiles.models import (
    ClaimSection,
    Criticality,
    EvidenceKind,
    Impact,
    Profile,
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
from profiles.interchange.graphs import export_graphs
from profiles.rules.visibility import STAFF, visible_explanation

FORMAT = "registry-profile/1"
LANGUAGES = ("en", "zh-hans")
SLUG_RE = re.compile(r"^[a-z0-9-]{1,100}\Z")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
SPOOL_HEADER = struct.Struct("<I")
# JSON escapes can spell characters no database stores: NUL, and halves of surrogate pairs.
UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


class InterchangeError(Exception):
    """A file that cannot be imported; `errors` lists every problem with its place."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class ImportBusy(InterchangeError):
    """Another import held the registry for longer than IMPORT_WAIT_SECONDS; nothing was written."""

    def __init__(self):
        super().__init__(["Another import is in progress; nothing was imported. Try again when it has finished."])


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


def iter_documents(stream, errors):
    """Yield (place, raw object) for each document of a text stream, appending problems to `errors`.

    JSON Lines are read a line at a time, so a file of any size is never held whole;
    blank lines are skipped and a bad line is reported with its number. A JSON array,
    or one object spread over several lines, is parsed whole.
    """
    number, first = 0, None
    for number, line in enumerate(stream, start=1):
        if number == 1:
            line = line.lstrip("\ufeff")
        if line.strip():
            first = line
            break
    if first is None:
        errors.append("file: the file is empty")
        return
    if not _one_line_object(first):
        yield from _whole_text("\n" * (number - 1) + first + stream.read(), errors)
        return
    count = 0
    for number, line in itertools.chain([(number, first)], enumerate(stream, start=number + 1)):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        yield f"profiles[{count}]", raw
        count += 1


def _one_line_object(line):
    line = line.strip()
    if not line.startswith("{"):
        return False
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _whole_text(text, errors):
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            errors.append(f"file: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
            return
        yield from ((f"profiles[{i}]", item) for i, item in enumerate(data))
        return
    try:
        yield "profiles[0]", json.loads(stripped)
        return
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            errors.append(f"file: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
            return
    # More than one value, the first spread over lines: JSON Lines with a bad line.
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        yield f"profiles[{count}]", raw
        count += 1


# Validating ------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)  # an import asks about each URL several times
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
    # str.split() splits at exactly the characters str.isspace() accepts: one part, no space.
    if scheme not in ("http", "https") or not host or len(url.split()) != 1:
        return None
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((scheme, host, path, parts.query, ""))


@functools.cache
def _values(choices):
    """An enumeration's values as a set (`choices.values` builds a new list on every call)."""
    return frozenset(choices.values)


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
        if UNSTORABLE_RE.search(value):
            self.error(place, "contains a NUL character or an unpaired surrogate (\\u0000, \\ud800–\\udfff)")
            return default
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
                stripped = content.strip() if type(content) is str else None
                if stripped is None or len(stripped) > max_length or UNSTORABLE_RE.search(stripped):
                    # Not a plain, storable string of the right length: `string` says what is wrong.
                    stripped = self.string(content, f"{place}.{language}", max_length=max_length)
                if stripped:
                    result[language] = stripped
        if required and not result:
            self.error(place, "needs text in at least one language")
        return {lang: result[lang] for lang in LANGUAGES if lang in result} or None

    def enum(self, value, place, choices, *, default=None):
        if default is not None:
            default = default.value  # the plain string, as a document holds it
        if value is None:
            if default is None:
                self.error(place, "is required")
            return default
        if not isinstance(value, str) or value not in _values(choices):
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


class _FileChecks:
    """What must hold across the documents of one file, kept small: no documents, only
    each slug's place, each source's place and a digest of its description, and the
    relationship targets still to find."""

    def __init__(self):
        self.places_by_slug = {}
        self.sources = {}  # normalised URL → (document place, evidence index, digest)
        self.targets = []  # (place, index, slug) of targets not yet seen in the file
        self.errors = []  # reported after every document's own errors

    def add(self, place, doc, errors):
        slug = doc["slug"]
        if isinstance(slug, str) and SLUG_RE.match(slug):
            if slug in self.places_by_slug:
                errors.append(f'{place}.slug: "{slug}" appears twice in this file (also {self.places_by_slug[slug]})')
            self.places_by_slug[slug] = place
        for i, item in enumerate(doc["evidence"]):
            normal = normalize_url(item["url"]) if item["url"] else None
            if not normal:
                continue
            # Canonical documents list their fields in one fixed order, so repr() is a stable form.
            description = repr([value for name, value in item.items() if name not in ("key", "url")])
            digest = hashlib.blake2b(description.encode(), digest_size=16).digest()
            first = self.sources.setdefault(normal, (place, i, digest))
            # Repeats inside one document are reported by validate_document already.
            if first[0] != place and first[2] != digest:
                self.errors.append(
                    f"{place}.evidence[{i}]: describes the source {item['url']} differently from "
                    f"{first[0]}.evidence[{first[1]}]"
                )
        for i, rel in enumerate(doc["relationships"]):
            target = rel["target"]
            # A malformed target is refused already; one pointing to itself too.
            if isinstance(target, str) and SLUG_RE.match(target) and target != slug:
                self.targets.append((place, i, target))

    def finish(self):
        """The cross-document errors, once every document has been read."""
        missing = sorted({target for _, _, target in self.targets if target not in self.places_by_slug})
        known = set()
        for start in range(0, len(missing), 1000):
            known.update(Profile.objects.filter(slug__in=missing[start : start + 1000]).values_list("slug", flat=True))
        errors = list(self.errors)
        for place, i, target in self.targets:
            if target not in self.places_by_slug and target not in known:
                errors.append(f'{place}.relationships[{i}].target: unknown profile "{target}"')
        return errors


class PreparedImport:
    """A validated file: its canonical documents spooled to a temporary file, read back in order.

    The spool holds each document in `marshal` form (plain dicts, lists and strings:
    several times faster to write and read back than JSON), each after its length.
    """

    def __init__(self, spool, count, statuses):
        self.spool = spool
        self.count = count
        self.statuses = statuses  # (place, slug, status) of every document

    def documents(self):
        self.spool.seek(0)
        while header := self.spool.read(SPOOL_HEADER.size):
            (size,) = SPOOL_HEADER.unpack(header)
            yield marshal.loads(self.spool.read(size))

    def close(self):
        self.spool.close()


def prepare_import(stream, *, progress=None, check_raw=None):
    """Read and validate every document of a text stream; return a PreparedImport.

    Raises InterchangeError listing every problem with its place. `check_raw(raw,
    place)` may refuse a raw document with more errors (the API's own rules).
    Memory holds one document at a time plus what the checks across documents need.
    """
    read_errors, errors, checks = [], [], _FileChecks()
    spool = tempfile.TemporaryFile()
    count, statuses = 0, []
    try:
        for place, raw in iter_documents(stream, read_errors):
            refused = check_raw(raw, place) if check_raw else []
            if refused:
                errors.extend(refused)
                continue
            doc, doc_errors = validate_document(raw, place)
            errors.extend(doc_errors)
            if doc is None:
                continue
            checks.add(place, doc, errors)
            count += 1
            statuses.append((place, doc["slug"], doc["status"]))
            if not (errors or read_errors):
                data = marshal.dumps(doc)
                spool.write(SPOOL_HEADER.pack(len(data)) + data)
            if progress:
                progress("validated", count, None)
        errors = read_errors + errors + checks.finish()
    except BaseException:
        spool.close()
        raise
    if errors:
        spool.close()
        raise InterchangeError(errors)
    return PreparedImport(spool, count, statuses)


def comparable(doc):
    """A document with evidence URLs in normalised form, for change detection."""
    if doc is None:
        return None
    evidence = [dict(item, url=normalize_url(item["url"]) if item["url"] else None) for item in doc["evidence"]]
    return dict(doc, evidence=evidence)


def without_confidence(doc):
    return {name: value for name, value in doc.items() if name != "confidence"}


# Applying --------------------------------------------------------------------


def import_stream(stream, *, dry_run=False, progress=None):
    """Validate and import a text stream (all or nothing); raise InterchangeError on any error.

    `progress(stage, done, total)` is called as documents are "validated" (total
    unknown: None) and "written".
    """
    from profiles.interchange.writer import apply_import

    prepared = prepare_import(stream, progress=progress)
    try:
        return apply_import(prepared, dry_run=dry_run, progress=progress)
    finally:
        prepared.close()


def import_text(text, *, dry_run=False, progress=None):
    """Validate and import a whole file's text; raise InterchangeError on any error."""
    return import_stream(io.StringIO(text), dry_run=dry_run, progress=progress)



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
