"""History of profiles (django-reversion) and the analyst desk's writes to a profile graph.

One revision holds a whole profile graph: the profile and its topics, source links,
claims with their evidence links, timeline events, watchpoints, briefing, outbound
relationships and FAQ entries. Evidence records are shared by many profiles, so they keep
their own history and are never part of (nor reverted with) a profile's revisions.

Any write to a profile graph — the admin, the workflow, an import, the API — can be
versioned with::

    with revisions.versioned(actor=user, comment="Imported"):
        ...write...
        revisions.capture_profile(profile)   # the state after the whole write

or, after the fact, ``revisions.record_version(profile, actor=user, comment=...)``. Many
profiles at once (an operator's import) are recorded with ``capture_profiles(ids, actor=…,
comment=…)``: the same versions, read and written in a fixed number of queries.

Edits follow one rule for lost updates: the editor says which `version` of the profile
it started from (`lock_profile`); a save based on an older version is refused. Every saved
edit then goes through `profile_saved`: `version` goes up, `updated_at` is now, scores are
recomputed, the changes feed gets an entry and the revision records the final state.

Evidence records have no version column: `lock_evidence` refuses a save based on an older
state by comparing a fingerprint of the record's stored fields (`evidence_fingerprint`).

A deletion records the whole graph as a revision of its own (`profile_deleted`);
`recover_profile` brings a deleted profile back from it, workflow state included.

Reading versions and diffs is `selectors.history`; restoring and recovering are
`services.recovery`. Restoring (`restore_version`) brings back the content of an earlier revision but not the
workflow state: status, publication and review times and the slug stay as they are, and the
public "profile updated" timeline events written by publications are kept.
"""

import hashlib
import json
from contextlib import contextmanager

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import NotRegistered, translator
from reversion.models import Revision, Version

from profiles.models import (
    ChangeAction,
    Claim,
    EvidenceRecord,
    Profile,
    ReviewStatus,
)
from profiles.parts import CLAIM_EVIDENCE, GRAPH_MODELS, PARTS
from profiles.rules.visibility import is_public
from profiles.services import scoring
from profiles.services.changes import change_entry, record_changes


class StaleEdit(Exception):
    """An edit based on a version of the profile that someone else has replaced since."""


# Registration -------------------------------------------------------------------


def _untranslated_columns(model):
    """The original columns of translated fields: their value depends on the active language."""
    try:
        return set(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return set()


def versioned_fields(model):
    hidden = _untranslated_columns(model)
    opts = model._meta
    return tuple(f.name for f in opts.local_fields + opts.local_many_to_many if f.name not in hidden)


def _register():
    if reversion.is_registered(Profile):
        return
    follows = {Profile: tuple(part.accessor for part in PARTS), Claim: (CLAIM_EVIDENCE.accessor,)}
    for model in (*GRAPH_MODELS, EvidenceRecord):
        reversion.register(model, fields=versioned_fields(model), follow=follows.get(model, ()))


_register()


# Writing versions -----------------------------------------------------------------


@contextmanager
def versioned(*, actor=None, comment="", manual=False):
    """A revision around a write: registered objects saved inside are recorded together.

    With `manual`, nothing is recorded on save: the write says what to record
    (`capture_profile`, `capture`), once, in its final state.
    """
    with reversion.create_revision(manage_manually=manual):
        if actor is not None and actor.is_authenticated:
            reversion.set_user(actor)
        if comment:
            reversion.set_comment(str(comment))
        yield


def graph_objects(profile):
    """The profile's parts as stored now, then the profile.

    (No prefetching: Django's serialiser reads many-to-many values with a query of its own.)
    """
    for part in PARTS:
        yield from part.model.objects.filter(**{part.owner: profile})
    yield from CLAIM_EVIDENCE.model.objects.filter(claim__profile=profile)
    yield profile


def capture_profile(profile):
    """Record the profile graph as it is now in the active revision (no-op outside one)."""
    if not reversion.is_active():
        return
    fresh = Profile.objects.filter(pk=getattr(profile, "pk", profile)).first()
    if fresh is not None:
        reversion.add_to_revision(fresh)  # its parts follow (registration: `follow`)


@transaction.atomic
def capture_profiles(profile_ids, *, actor=None, comment=""):
    """Record many profile graphs as they are now, as one revision of their own; return it.

    The revision `versioned(actor=actor, comment=comment)` with `capture_profile` of each
    profile would record — the same objects (what reversion's follows reach: the profile,
    its parts, its claims' evidence links), each version's `serialized_data` the very text
    reversion writes — read and written in a number of queries that does not grow with
    the number of profiles: one a model of the graph, one a many-to-many field, then the
    revision and its versions. For an operator's import (`publishing.apply_statuses`);
    single saves keep `capture_profile`. None when none of the profiles exists.

    Unlike `capture_profile`, the revision is its own even inside an active one.
    """
    objects = _graph_rows(list(profile_ids))
    versions = []
    for model, rows in objects.items():
        content_type = ContentType.objects.get_for_model(model)
        db = router.db_for_write(model)
        for obj, data in zip(rows, _serialized(model, rows), strict=True):
            versions.append(
                Version(
                    content_type=content_type,
                    object_id=str(obj.pk),
                    db=db,
                    format="json",
                    serialized_data=data,
                    object_repr=str(obj),
                )
            )
    if not versions:
        return None
    revision = Revision.objects.create(
        date_created=timezone.now(),
        user=actor if actor is not None and actor.is_authenticated else None,
        comment=str(comment) if comment else "",
    )
    for version in versions:
        version.revision = revision
    # In slices: a batch's versions run to tens of thousands, past what one statement may bind.
    Version.objects.bulk_create(versions, batch_size=5000)
    return revision


def _graph_rows(profile_ids):
    """{model: [rows]} of these profiles' graphs: the rows reversion's follows reach, a query a model."""
    profiles = {profile.pk: profile for profile in Profile.objects.filter(pk__in=profile_ids)}
    rows = {Profile: list(profiles.values())}
    for part in PARTS:
        found = part.model.objects.filter(**{f"{part.owner}__in": list(profiles)})
        rows[part.model] = _with_owners(part, found, profiles)
    claims = {claim.pk: claim for claim in rows[Claim]}
    rows[CLAIM_EVIDENCE.model] = _with_owners(
        CLAIM_EVIDENCE, CLAIM_EVIDENCE.model.objects.filter(claim__in=list(claims)), claims
    )
    return {model: found for model, found in rows.items() if found}


def _with_owners(part, rows, owners):
    """The rows with their owner set from the rows read already (their `str`, the version's repr, may name it)."""
    rows = list(rows)
    for row in rows:
        setattr(row, part.owner, owners[getattr(row, f"{part.owner}_id")])
    return rows


def _serialized_m2m(model):
    """The many-to-many fields Django's serialiser writes for a versioned model (auto-created through tables)."""
    names = set(versioned_fields(model))
    return [
        field
        for field in model._meta.concrete_model._meta.local_many_to_many
        if field.serialize and field.name in names and field.remote_field.through._meta.auto_created
    ]


def _serialized(model, rows):
    """Each row's `serialized_data`, exactly as `serializers.serialize("json", [row], fields=versioned_fields(model))`.

    The rows are serialised together without their many-to-many fields, whose values (the
    related primary keys, in the order the serialiser reads them: the target's
    `Meta.ordering`, then pk) come from one query a field on its through table.
    """
    m2m = _serialized_m2m(model)
    left_out = {field.name for field in m2m}
    fields = tuple(name for name in versioned_fields(model) if name not in left_out)
    related = {field.name: _related_pks(field, [row.pk for row in rows]) for field in m2m}
    for dumped in serializers.serialize("python", rows, fields=fields):
        for field in m2m:
            dumped["fields"][field.name] = related[field.name].get(dumped["pk"], [])
        yield "[" + json.dumps(dumped, cls=DjangoJSONEncoder, ensure_ascii=False) + "]\n"


def _related_pks(field, pks):
    """{row pk: [related pks]} of a many-to-many field, in the order Django's serialiser gives them."""
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    ordering = []
    for name in [*(field.remote_field.model._meta.ordering or []), "pk"]:
        descending = name.startswith("-")
        ordering.append(("-" if descending else "") + f"{target}__{name.lstrip('-')}")
    links = (
        field.remote_field.through.objects.filter(**{f"{source}__in": pks})
        .order_by(*ordering)
        .values_list(f"{source}_id", f"{target}_id")
    )
    related = {}
    for owner, pk in links:
        related.setdefault(owner, []).append(pk)
    return related


def capture(obj):
    """Record one object (e.g. an evidence record) as it is now in the active revision."""
    if reversion.is_active():
        reversion.add_to_revision(obj)


def record_version(profile, *, actor=None, comment=""):
    """Record a profile's current state as a revision of its own (for imports and the API)."""
    with versioned(actor=actor, comment=comment, manual=True):
        capture_profile(profile)


# Saving edits ---------------------------------------------------------------------


def lock_profile(profile_id, loaded_version):
    """Lock the profile row until the transaction ends; refuse an edit based on an old version.

    Returns the current version. Call inside the transaction that saves the edit.
    """
    current = Profile.objects.select_for_update().filter(pk=profile_id).values_list("version", flat=True).first()
    if current is None:
        raise StaleEdit(_("This profile has been deleted since you opened it."))
    if loaded_version != current:
        raise StaleEdit(
            _(
                "Someone else saved this profile since you opened it (you opened version %(loaded)s; "
                "it is now at version %(current)s). Nothing was saved: open the profile again to see "
                "their changes, then make yours."
            )
            % {"loaded": loaded_version if loaded_version is not None else "?", "current": current}
        )
    return current


def live_values(obj):
    """An object's values decoded exactly as a recorded version's are (same serialiser)."""
    model = type(obj)
    version = Version(
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(obj.pk),
        format="json",
        serialized_data=serializers.serialize("json", [obj], fields=versioned_fields(model)),
    )
    return version._local_field_dict


def evidence_fingerprint(record):
    """A digest of an evidence record's stored content: any change to any of its fields changes it.

    Evidence records have no version column; the analyst desk carries this digest in the
    form it renders and compares it with the stored record when the form is saved.
    """
    return _digest(live_values(record))


def _digest(values):
    content = {name: value for name, value in values.items() if name != "updated_at"}
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def lock_evidence(record_id, loaded_fingerprint):
    """Lock an evidence record's row until the transaction ends; refuse an edit based on an older state.

    `loaded_fingerprint` is `evidence_fingerprint` of the record as the editor opened it.
    The refusal names who saved the record since, and when, where its history knows.
    """
    record = EvidenceRecord.objects.select_for_update().filter(pk=record_id).first()
    if record is None:
        raise StaleEdit(_("This source has been deleted since you opened it."))
    current = evidence_fingerprint(record)
    if loaded_fingerprint == current:
        return record
    latest = (
        Version.objects.get_for_object(record)
        .select_related("revision", "revision__user")
        .order_by("-revision__date_created", "-pk")
        .first()
    )
    recorded = latest is not None and _digest(latest._local_field_dict) == current
    if recorded and latest.revision.user is not None:
        when = date_format(timezone.localtime(latest.revision.date_created), "DATETIME_FORMAT")
        raise StaleEdit(
            _(
                "%(who)s saved this source on %(when)s, after you opened it. Nothing was saved: open the "
                "source again to see their changes, then make yours."
            )
            % {"who": latest.revision.user.get_username(), "when": when}
        )
    changed_at = latest.revision.date_created if recorded else record.updated_at
    raise StaleEdit(
        _(
            "Someone else changed this source after you opened it (last changed on %(when)s). Nothing was "
            "saved: open the source again to see their changes, then make yours."
        )
        % {"when": date_format(timezone.localtime(changed_at), "DATETIME_FORMAT")}
    )


@transaction.atomic
def profile_saved(profile, *, actor=None, created=False, public_before=None):
    """Finish a saved edit of a profile graph: the one place that does what every edit needs.

    Raises `version` (a new profile stays at 1), sets `updated_at`, recomputes the scores, enters the change in the
    changes feed and records the final state in the active revision. Returns the profile
    as stored.
    """
    if created:  # a new profile starts at version 1
        Profile.objects.filter(pk=profile.pk).update(updated_at=timezone.now())
    else:
        Profile.objects.filter(pk=profile.pk).update(version=F("version") + 1, updated_at=timezone.now())
    scoring.recompute_scores([profile.pk], record=False)
    fresh = Profile.objects.get(pk=profile.pk)
    if public_before is None:
        public_before = False if created else is_public(fresh)
    action = ChangeAction.CREATED if created else ChangeAction.UPDATED
    record_changes([change_entry(fresh, action, public_before=public_before)])
    capture_profile(fresh)
    return fresh


def profile_deleted(profile, *, public_before, actor=None):
    """Record a profile graph about to be deleted and enter a tombstone in the changes feed.

    Call before deleting, in the deleting transaction. The graph is recorded as a revision
    of its own, by `actor` (or the active revision's user), at once: a revision being built
    keeps only objects that still exist when it ends. `deleted_profiles` lists the
    deletion; `recover_profile` undoes it.
    """
    if actor is None and reversion.is_active():
        actor = reversion.get_user()
    _record_deleted_graph(profile, actor)
    record_changes([change_entry(profile, ChangeAction.DELETED, public_before=public_before)])


def _record_deleted_graph(profile, actor):
    revision = Revision.objects.create(
        date_created=timezone.now(),
        user=actor if actor is not None and actor.is_authenticated else None,
        comment=gettext("Deleted"),
    )
    fresh = Profile.objects.filter(pk=getattr(profile, "pk", profile)).first()
    objects = list(graph_objects(fresh)) if fresh is not None else []
    Version.objects.bulk_create(
        Version(
            revision=revision,
            object_id=str(obj.pk),
            content_type=ContentType.objects.get_for_model(type(obj)),
            db=obj._state.db or "default",
            format="json",
            serialized_data=serializers.serialize("json", [obj], fields=versioned_fields(type(obj))),
            object_repr=str(obj),
        )
        for obj in objects
    )


@transaction.atomic
def review_evidence(records, review_status, *, actor=None):
    """Set the citation review of these evidence records and recompute every score citing them.

    Returns the number of records whose status changed.
    """
    if review_status not in ReviewStatus.values:
        raise ValueError(f"unknown review status {review_status!r}")
    records = list(EvidenceRecord.objects.filter(pk__in=[r.pk for r in records]).exclude(review_status=review_status))
    now = timezone.now()
    for record in records:
        record.review_status = review_status
        record.updated_at = now
    EvidenceRecord.objects.bulk_update(records, ["review_status", "updated_at"])
    label = ReviewStatus(review_status).label
    with versioned(actor=actor, comment=_("Citation review: %(status)s") % {"status": label}, manual=True):
        for record in records:
            capture(record)
    # One recomputation for every profile concerned (recompute_for_evidence does one record).
    profile_ids = set(
        Claim.objects.filter(evidence_links__evidence__in=records).values_list("profile_id", flat=True)
    )
    if profile_ids:
        scoring.recompute_scores(profile_ids)
    return len(records)
