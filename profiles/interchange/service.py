"""The one import service: what `manage.py import_profiles` and the API's import both call.

Import is read → validate → apply:

* `prepare_import` reads and validates a whole file (`format`), with the checks across
  documents, and spools the canonical documents;
* `apply_import` writes them (`writer`) in batches inside one transaction: all or
  nothing, upsert by slug, evidence reused by normalised URL;
* statuses are the workflow's (`services.publishing`): an import over the API never
  moves one, an operator's import applies its file's through the same module.
"""

import hashlib
import io
import itertools
import marshal
import tempfile

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils.translation import gettext

from profiles.interchange.errors import ImportBusy, ImportReport, InterchangeError, StatusRefused
from profiles.interchange.format import SLUG_RE, SPOOL_HEADER, iter_documents, normalize_url, validate_document
from profiles.interchange.writer import Writer
from profiles.models import Profile, ProfileStatus
from profiles.services import publishing
from registry.infra.generation import invalidate_pages


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


# Applying --------------------------------------------------------------------

# Any constant: the key of the PostgreSQL advisory lock every import takes.
IMPORT_LOCK_KEY = 7_265_676_973
BATCH = 500
OPERATOR_NOTE = "Operator import"


def import_stream(stream, *, dry_run=False, progress=None, operator=True, check_raw=None):
    """Validate and import a text stream (all or nothing); return the ImportReport.

    Raises InterchangeError (every problem with its place) and writes nothing on any
    error. `operator` is an import run on the server (`manage.py import_profiles`:
    restores, migrations): the file's statuses are applied through the publishing
    service and recorded as an operator import. Otherwise (the API) an import may
    create and change content but never moves a status: a document asking for another
    status than the stored one (a new profile's is draft) is refused with
    `StatusRefused`. `check_raw(raw, place)` may refuse raw documents (the API's own
    rules). `progress(stage, done, total)` is called as documents are "validated"
    (total unknown: None) and "written".
    """
    prepared = prepare_import(stream, progress=progress, check_raw=check_raw)
    try:
        return apply_import(prepared, dry_run=dry_run, progress=progress, operator=operator)
    finally:
        prepared.close()


def import_text(text, *, dry_run=False, progress=None, operator=True):
    """`import_stream` over a whole file's text."""
    return import_stream(io.StringIO(text), dry_run=dry_run, progress=progress, operator=operator)


def apply_import(prepared, *, dry_run=False, progress=None, operator=True, batch_size=None):
    """Write prepared documents in batches inside one transaction; return the ImportReport."""
    batch_size = batch_size or BATCH
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            _take_import_lock()
            stored = _stored_statuses(prepared.statuses)
            if not operator:
                refusals = status_refusals(prepared.statuses, stored)
                if refusals:
                    raise StatusRefused(refusals)
            writer = Writer(report)
            done = 0
            for batch in itertools.batched(prepared.documents(), batch_size):
                writer.write(list(batch))
                done += len(batch)
                if progress:
                    progress("written", done, prepared.count)
            writer.finish()
            if operator:
                _apply_statuses(prepared.statuses, stored, report, progress)
            if dry_run:
                transaction.set_rollback(True)
            elif writer.changed_ids:
                invalidate_pages()  # rows written in bulk send no model signals
    except DatabaseError as exc:
        raise InterchangeError([f"database: {exc}; nothing was imported"]) from exc
    return report


def _take_import_lock():
    """Imports run one at a time, each planning against what the one before it committed.

    Two imports of the same slugs would otherwise each plan against the same state and
    then lock rows in different orders (deadlock), or report as created what the other
    created. Waiting is bounded by IMPORT_WAIT_SECONDS; past it the import is refused.
    On SQLite, the transaction's write lock (settings: IMMEDIATE) already serialises.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{max(1, int(settings.IMPORT_WAIT_SECONDS * 1000))}ms"])
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
        except OperationalError:
            raise ImportBusy() from None
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _stored_statuses(statuses):
    """{slug: stored status} of the file's profiles that exist, read under the import lock."""
    slugs = [slug for _place, slug, _status in statuses]
    stored = {}
    for start in range(0, len(slugs), 1000):
        stored.update(Profile.objects.filter(slug__in=slugs[start : start + 1000]).values_list("slug", "status"))
    return stored


def status_refusals(statuses, stored):
    """Places of documents asking for another status than the stored one (a new profile's: draft)."""
    refusals = []
    for place, slug, status in statuses:
        before = stored.get(slug, ProfileStatus.DRAFT)
        if status != before:
            refusals.append(
                f"{place}.status: "
                + gettext("an import never moves a profile through the workflow (stored “%(from)s”, "
                          "asked “%(to)s”); use the workflow to submit, publish or archive it")
                % {"from": before, "to": status}
            )  # fmt: skip
    return refusals


def _apply_statuses(statuses, stored, report, progress=None):
    """The operator's file's statuses, each through the publishing service."""
    wanted = {slug: status for _place, slug, status in statuses if status != stored.get(slug, ProfileStatus.DRAFT)}
    slugs = sorted(wanted)
    for start in range(0, len(slugs), BATCH):
        ids = dict(Profile.objects.filter(slug__in=slugs[start : start + BATCH]).values_list("pk", "slug"))
        # Entered in the changes feed by the writer already, with these statuses.
        moves = publishing.apply_statuses({pk: wanted[slug] for pk, slug in ids.items()}, note=OPERATOR_NOTE)
        report.moved += sorted((profile.slug, before, after) for profile, before, after in moves)
        if progress:
            progress("statuses", len(report.moved), len(slugs))
