"""The JSON interchange format, `registry-profile/1` (docs/interchange.md): reading and validating.

* `iter_documents` reads one object, an array of objects, or JSON Lines (a line at a
  time);
* `validate_document` turns one raw object into the canonical document (the exact
  shape export writes) and collects every error with its place, such as
  `profiles[0].claims[1].evidence[0]: unknown evidence key "e9"`.

Because validation produces the export shape, a profile whose stored form already
equals the incoming document is left untouched (re-importing changes nothing), and
export → import → export is byte-identical.
"""

import functools
import itertools
import json
import re
import struct
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit, urlunsplit

from profiles.models import (
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
from profiles.rules import confidence
from profiles.rules.languages import LANGUAGES

FORMAT = "registry-profile/1"
SLUG_RE = re.compile(r"^[a-z0-9-]{1,100}\Z")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
SPOOL_HEADER = struct.Struct("<I")
# JSON escapes can spell characters no database stores: NUL, and halves of surrogate pairs.
UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


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
    yield from _json_lines(itertools.chain([(number, first)], enumerate(stream, start=number + 1)), errors)


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
    yield from _json_lines(enumerate(text.splitlines(), start=1), errors)


def _json_lines(numbered_lines, errors):
    """(place, raw object) of each non-blank line; a line that is not JSON is an error with its number."""
    count = 0
    for number, line in numbered_lines:
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
    if visibility not in BRIEFING_VISIBILITIES:
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


def comparable(doc):
    """A document with evidence URLs in normalised form, for change detection."""
    if doc is None:
        return None
    evidence = [dict(item, url=normalize_url(item["url"]) if item["url"] else None) for item in doc["evidence"]]
    return dict(doc, evidence=evidence)


def without_confidence(doc):
    return {name: value for name, value in doc.items() if name != "confidence"}
