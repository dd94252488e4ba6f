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

or, after the fact, ``revisions.record_version(profile, actor=user, comment=...)``.

Edits follow one rule for lost updates: the editor says which `version` of the profile
it started from (`lock_profile`); a save based on an older version is refused. Every saved
edit then goes through `profile_saved`: `version` goes up, `updated_at` is now, scores are
recomputed, the changes feed gets an entry and the revision records the final state.

Evidence records have no version column: `lock_evidence` refuses a save based on an older
state by comparing a fingerprint of the record's stored fields (`evidence_fingerprint`).

A deletion records the whole graph as a revision of its own (`profile_deleted`);
`recover_profile` brings a deleted profile back from it, workflow state included.

Restoring (`restore_version`) brings back the content of an earlier revision but not the
workflow state: status, publication and review times and the slug stay as they are, and the
public "profile updated" timeline events written by publications are kept.
"""

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

import reversion
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import NotRegistered, translator
from reversion.models import Revision, Version

from profiles.services import scoring
from profiles.services.changes import change_entry, record_changes
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
    ReviewStatus,
    TimelineEvent,
    TimelineKind,
    Watchpoint,
)
from profiles.rules.visibility import is_public

# The parts of a profile graph: (model, the foreign key to the profile, the profile's accessor).
PARTS = (
    (ProfileTopic, "profile", "topic_links"),
    (ProfileEvidence, "profile", "evidence_links"),
    (Claim, "profile", "claims"),
    (TimelineEvent, "profile", "timeline_events"),
    (Watchpoint, "profile", "watchpoints"),
    (Briefing, "profile", "briefing"),
    (Relationship, "source", "relationships"),
    (FaqEntry, "profile", "faq_entries"),
)
CLAIM_PARTS = ((ClaimEvidence, "claim", "evidence_links"),)
GRAPH_MODELS = (Profile, *(model for model, _fk, _name in PARTS + CLAIM_PARTS))

# Kept as they are on restore: the workflow decides them, not the content history.
WORKFLOW_FIELDS = ("slug", "status", "published_at", "last_reviewed_at", "created_at")
# Not worth showing in a diff: bookkeeping and derived detail.
UNSHOWN_FIELDS = {"id", "profile", "source", "claim", "explanation", "policy_version", "updated_at",
                  "version", "created_at", "normalized_url"}  # fmt: skip


class StaleEdit(Exception):
    """An edit based on a version of the profile that someone else has replaced since."""


class RestoreError(Exception):
    """A revision that cannot be restored onto this profile."""


# Registration -------------------------------------------------------------------


def _untranslated_columns(model):
    """The original columns of translated fields: their value depends on the active language."""
    try:
        return set(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return set()


def _versioned_fields(model):
    hidden = _untranslated_columns(model)
    opts = model._meta
    return tuple(f.name for f in opts.local_fields + opts.local_many_to_many if f.name not in hidden)


def _register():
    if reversion.is_registered(Profile):
        return
    follows = {Profile: tuple(name for _m, _fk, name in PARTS), Claim: ("evidence_links",)}
    for model in (*GRAPH_MODELS, EvidenceRecord):
        reversion.register(model, fields=_versioned_fields(model), follow=follows.get(model, ()))


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


def _graph_objects(profile):
    """The profile's parts as stored now, then the profile.

    (No prefetching: Django's serialiser reads many-to-many values with a query of its own.)
    """
    for model, fk, _name in PARTS:
        yield from model.objects.filter(**{fk: profile})
    yield from ClaimEvidence.objects.filter(claim__profile=profile)
    yield profile


def capture_profile(profile):
    """Record the profile graph as it is now in the active revision (no-op outside one)."""
    if not reversion.is_active():
        return
    fresh = Profile.objects.filter(pk=getattr(profile, "pk", profile)).first()
    if fresh is None:
        return
    for obj in _graph_objects(fresh):
        reversion.add_to_revision(obj)


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


def evidence_fingerprint(record):
    """A digest of an evidence record's stored content: any change to any of its fields changes it.

    Evidence records have no version column; the analyst desk carries this digest in the
    form it renders and compares it with the stored record when the form is saved.
    """
    return _digest(_live_values(record))


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
    objects = list(_graph_objects(fresh)) if fresh is not None else []
    Version.objects.bulk_create(
        Version(
            revision=revision,
            object_id=str(obj.pk),
            content_type=ContentType.objects.get_for_model(type(obj)),
            db=obj._state.db or "default",
            format="json",
            serialized_data=serializers.serialize("json", [obj], fields=_versioned_fields(type(obj))),
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


# Reading history ------------------------------------------------------------------


def profile_versions(profile):
    """The recorded versions of a profile, newest first, with who made them."""
    return (
        Version.objects.get_for_object(profile)
        .select_related("revision", "revision__user")
        .order_by("-revision__date_created", "-pk")
    )


def version_of(profile, version_id):
    """One recorded version of this profile, or None."""
    return profile_versions(profile).filter(pk=version_id).first()


@dataclass
class Snapshot:
    """A profile graph at one moment: field values by (model, primary key)."""

    profile_id: int
    objects: dict = field(default_factory=dict)  # (model, pk) -> {field name: value}
    versions: dict = field(default_factory=dict)  # (model, pk) -> Version (recorded snapshots)

    @property
    def profile(self):
        return self.objects.get((Profile, self.profile_id))


def _fk_value(values, model, fk):
    return values.get(model._meta.get_field(fk).attname)


def _in_graph(candidates, profile_id):
    """Keep the entries of (model, pk) → values that belong to this profile's graph."""
    kept = {key: value for key, value in candidates.items() if key == (Profile, profile_id)}
    for model, fk, _name in PARTS:
        kept.update(
            {key: values for key, values in candidates.items()
             if key[0] is model and _fk_value(values, model, fk) == profile_id}
        )  # fmt: skip
    claims = {pk for model, pk in kept if model is Claim}
    kept.update(
        {key: values for key, values in candidates.items()
         if key[0] is ClaimEvidence and _fk_value(values, ClaimEvidence, "claim") in claims}
    )  # fmt: skip
    return kept


def _key(model, object_id):
    return (model, model._meta.pk.to_python(object_id))


def revision_snapshot(revision, profile_id):
    """The profile graph as recorded in a revision."""
    versions = {}
    for version in revision.version_set.select_related("content_type"):
        model = version.content_type.model_class()
        if model in GRAPH_MODELS:
            versions[_key(model, version.object_id)] = version
    values = {key: version.field_dict for key, version in versions.items()}
    kept = _in_graph(values, profile_id)
    return Snapshot(profile_id, kept, {key: versions[key] for key in kept})


def _live_values(obj):
    """An object's values decoded exactly as a recorded version's are (same serialiser)."""
    model = type(obj)
    version = Version(
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(obj.pk),
        format="json",
        serialized_data=serializers.serialize("json", [obj], fields=_versioned_fields(model)),
    )
    return version._local_field_dict


def current_snapshot(profile):
    """The profile graph as stored now."""
    objects = {(type(obj), obj.pk): _live_values(obj) for obj in _graph_objects(profile)}
    return Snapshot(profile.pk, objects)


# Diffs ------------------------------------------------------------------------------

LANGUAGE_NAMES = dict(settings.LANGUAGES)


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class PartChange:
    action: str  # "added", "removed", "changed"
    kind: str
    description: str
    changes: list = field(default_factory=list)


@dataclass
class ProfileDiff:
    fields: list
    parts: list

    @property
    def is_empty(self):
        return not self.fields and not self.parts


def _label(model, name):
    model_field = model._meta.get_field(name)
    original = getattr(model_field, "translated_field", None)
    if original is not None:
        language = LANGUAGE_NAMES.get(model_field.language, model_field.language)
        return f"{capfirst(original.verbose_name)} ({language})"
    return str(capfirst(model_field.verbose_name))


class _Names:
    """Titles of the evidence records and names of the profiles two snapshots refer to."""

    def __init__(self, snapshots):
        evidence, profiles = set(), set()
        for snapshot in snapshots:
            for (model, _pk), values in snapshot.objects.items():
                for name, value in values.items():
                    target = _related_model(model, name)
                    ids = value if isinstance(value, list) else [value]
                    if target is EvidenceRecord:
                        evidence.update(i for i in ids if i is not None)
                    elif target is Profile:
                        profiles.update(i for i in ids if i is not None)
        self.evidence = dict(EvidenceRecord.objects.filter(pk__in=evidence).values_list("pk", "title_en"))
        self.profiles = dict(Profile.objects.filter(pk__in=profiles).values_list("pk", "name_en"))

    def of(self, model, pk):
        names = self.evidence if model is EvidenceRecord else self.profiles
        return names.get(pk) or gettext("deleted record #%(id)s") % {"id": pk}


def _related_model(model, name):
    try:
        model_field = model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
    except Exception:  # noqa: BLE001 — a column that no longer exists is shown as it was stored
        return None
    return model_field.related_model if model_field.is_relation else None


def _empty(value):
    return value is None or value == "" or value == []


def _shown(model, name, value, names):
    model_field = model._meta.get_field(name)
    if _empty(value):
        return "—"
    if model_field.is_relation:
        target = model_field.related_model
        if target in (EvidenceRecord, Profile):
            ids = value if isinstance(value, list) else [value]
            return "; ".join(names.of(target, pk) for pk in sorted(ids))
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _field_changes(model, before, after, names):
    changes = []
    for model_field in model._meta.get_fields():
        name = getattr(model_field, "name", None)
        if name in UNSHOWN_FIELDS or not getattr(model_field, "concrete", False):
            continue
        key = model_field.attname
        if key not in before and key not in after:
            continue
        old, new = before.get(key), after.get(key)
        if isinstance(old, list) and isinstance(new, list) and model_field.many_to_many:
            old, new = sorted(old), sorted(new)
        if old != new and not (_empty(old) and _empty(new)):
            changes.append(
                FieldChange(_label(model, name), _shown(model, name, old, names), _shown(model, name, new, names))
            )
    return changes


def _describe(model, values, names):
    """A short, recognisable description of one part."""
    text = {
        ProfileTopic: lambda: values.get("name", ""),
        ProfileEvidence: lambda: names.of(EvidenceRecord, values.get("evidence_id")),
        Claim: lambda: values.get("text_en") or values.get("text_zh_hans") or "",
        ClaimEvidence: lambda: names.of(EvidenceRecord, values.get("evidence_id")),
        TimelineEvent: lambda: f"{values.get('date')} {values.get('title_en') or values.get('title_zh_hans') or ''}",
        Watchpoint: lambda: values.get("text_en") or values.get("text_zh_hans") or "",
        Briefing: lambda: values.get("title_en") or values.get("title_zh_hans") or "",
        Relationship: lambda: names.of(Profile, values.get("target_id")),
        FaqEntry: lambda: values.get("question_en") or values.get("question_zh_hans") or "",
    }[model]()
    text = str(text)
    return text if len(text) <= 90 else text[:89] + "…"


def diff_snapshots(before, after):
    """A readable diff of two snapshots of one profile: its fields, then parts added, removed, changed."""
    names = _Names([before, after])
    profile_fields = _field_changes(Profile, before.profile or {}, after.profile or {}, names)
    parts = []
    keys = [key for key in before.objects if key[0] is not Profile]
    keys += [key for key in after.objects if key[0] is not Profile and key not in before.objects]
    order = {model: index for index, model in enumerate(GRAPH_MODELS)}
    for model, pk in sorted(keys, key=lambda key: (order[key[0]], key[1])):
        old, new = before.objects.get((model, pk)), after.objects.get((model, pk))
        kind = str(capfirst(model._meta.verbose_name))
        if old is None:
            parts.append(PartChange("added", kind, _describe(model, new, names), _field_changes(model, {}, new, names)))
        elif new is None:
            parts.append(PartChange("removed", kind, _describe(model, old, names)))
        else:
            changes = _field_changes(model, old, new, names)
            if changes:
                parts.append(PartChange("changed", kind, _describe(model, new, names), changes))
    return ProfileDiff(profile_fields, parts)


# Restoring --------------------------------------------------------------------------


@dataclass
class RestoreResult:
    profile: Profile
    skipped: int  # links left out because what they pointed to has been deleted since


def _without_missing_references(snapshot):
    """The snapshot's objects to save, dropping links to evidence or profiles deleted since.

    The snapshot's own profile counts as present: it is saved first (or exists already).
    """
    evidence = set(EvidenceRecord.objects.values_list("pk", flat=True).filter(
        pk__in=_referenced(snapshot, EvidenceRecord)))  # fmt: skip
    profiles = set(Profile.objects.values_list("pk", flat=True).filter(pk__in=_referenced(snapshot, Profile)))
    profiles.add(snapshot.profile_id)
    existing = {EvidenceRecord: evidence, Profile: profiles}
    kept, skipped = [], 0
    for key, version in snapshot.versions.items():
        model = key[0]
        restored = version._object_version
        if model is not Profile and not _references_exist(model, snapshot.objects[key], existing):
            skipped += 1
            continue
        for name, ids in list((restored.m2m_data or {}).items()):
            target = model._meta.get_field(name).related_model
            present = [pk for pk in ids if pk in existing.get(target, ids)]
            skipped += len(ids) - len(present)
            restored.m2m_data[name] = present
        kept.append((key, restored))
    return kept, skipped


def _referenced(snapshot, target):
    ids = set()
    for (model, _pk), values in snapshot.objects.items():
        for name, value in values.items():
            if _related_model(model, name) is target:
                ids.update(value if isinstance(value, list) else [value])
    ids.discard(None)
    return ids


def _references_exist(model, values, existing):
    for model_field in model._meta.concrete_fields:
        target = model_field.related_model if model_field.is_relation else None
        if target in existing and model_field.attname in values:
            value = values[model_field.attname]
            if value is not None and value not in existing[target]:
                return False
    return True


@transaction.atomic
def restore_version(profile, version, *, actor=None, expected_version=None):
    """Bring a profile graph back to its state in `version`'s revision; return a RestoreResult.

    The content and parts come back as recorded (parts added since are removed, parts
    removed since return); the workflow state stays (see WORKFLOW_FIELDS) and publication
    events stay on the timeline. `version` goes up, scores are recomputed, the changes feed
    gets an entry and the restore is itself a new revision.
    """
    current = lock_profile(profile.pk, expected_version if expected_version is not None else profile.version)
    locked = Profile.objects.get(pk=profile.pk)
    snapshot = revision_snapshot(version.revision, locked.pk)
    if snapshot.profile is None:
        raise RestoreError(_("This revision does not hold this profile."))
    public_before = is_public(locked)
    kept_workflow = {name: getattr(locked, name) for name in WORKFLOW_FIELDS}
    when = date_format(timezone.localtime(version.revision.date_created), "DATETIME_FORMAT")
    comment = gettext("Restored the version saved on %(when)s.") % {"when": when}
    with versioned(actor=actor, comment=comment, manual=True):
        to_save, skipped = _without_missing_references(snapshot)
        publication_events = set(
            TimelineEvent.objects.filter(profile=locked, kind=TimelineKind.PROFILE_UPDATE).values_list("pk", flat=True)
        )
        recorded_events = {pk for model, pk in snapshot.objects if model is TimelineEvent}
        for model, fk, _name in reversed(PARTS):
            parts = model.objects.filter(**{fk: locked})
            if model is TimelineEvent:
                parts = parts.exclude(pk__in=publication_events - recorded_events)
            parts.delete()  # claims take their evidence links with them
        order = {model: index for index, model in enumerate(GRAPH_MODELS)}
        for (model, _pk), restored in sorted(to_save, key=lambda item: order[item[0][0]]):
            restored.save()
        Profile.objects.filter(pk=locked.pk).update(
            **kept_workflow, version=current + 1, updated_at=timezone.now()
        )
        scoring.recompute_scores([locked.pk], record=False)
        restored_profile = Profile.objects.get(pk=locked.pk)
        record_changes(
            [change_entry(restored_profile, ChangeAction.UPDATED, public_before=public_before)]
        )
        capture_profile(restored_profile)
    return RestoreResult(restored_profile, skipped)


# Recovering deleted profiles ------------------------------------------------------------


def deleted_profiles():
    """The last recorded version of each deleted profile (the graph as it was deleted), newest first."""
    return (
        Version.objects.get_deleted(Profile)
        .select_related("revision", "revision__user")
        .order_by("-revision__date_created", "-pk")
    )


@dataclass
class DeletedProfile:
    """A deleted profile as its last recorded version shows it."""

    version: Version
    name: str
    slug: str
    status: str

    @property
    def deleted_at(self):
        return self.version.revision.date_created

    @property
    def deleted_by(self):
        return self.version.revision.user


def describe_deleted(version):
    """Name (active language first), slug and status label of a deleted profile's recorded version."""
    values = version.field_dict
    names = [values.get("name_en"), values.get("name_zh_hans")]
    if translation.get_language() == "zh-hans":
        names.reverse()
    name = names[0] or names[1] or ""
    status = values.get("status")
    label = ProfileStatus(status).label if status in ProfileStatus.values else status
    return DeletedProfile(version, name, values.get("slug", ""), label)


def may_recover(user):
    """Recovering brings a profile back in its recorded status, published included: editors only."""
    return user.has_perms(("profiles.add_profile", "profiles.delete_profile", "profiles.publish_profile"))


@transaction.atomic
def recover_profile(version, *, actor=None):
    """Bring a deleted profile back from its last recorded version; return a RestoreResult.

    The whole graph returns as recorded, workflow state included (a published profile is
    published again), except links to sources or profiles deleted since. Links from other
    profiles to it and its workflow moves were deleted with it and do not return.
    `version` goes up, scores are recomputed, the changes feed enters it as created (it had
    a tombstone) and the recovery is itself a new revision. Refused, with nothing written,
    when the profile exists or another profile has taken its slug.
    """
    profile_id = Profile._meta.pk.to_python(version.object_id)
    list(Version.objects.select_for_update().filter(pk=version.pk).values_list("pk"))  # one recovery of it at a time
    if Profile.objects.filter(pk=profile_id).exists():
        raise RestoreError(_("This profile is not deleted: it has been recovered already."))
    snapshot = revision_snapshot(version.revision, profile_id)
    if snapshot.profile is None:
        raise RestoreError(_("This revision does not hold this profile."))
    slug = snapshot.profile["slug"]
    taken = _("Another profile now has the address “%(slug)s”. Nothing was recovered: change that profile's slug "
              "first, then recover this one.") % {"slug": slug}  # fmt: skip
    if Profile.objects.filter(slug=slug).exists():
        raise RestoreError(taken)
    with versioned(actor=actor, comment=gettext("Recovered after deletion."), manual=True):
        to_save, skipped = _without_missing_references(snapshot)
        order = {model: index for index, model in enumerate(GRAPH_MODELS)}
        for (model, _pk), restored in sorted(to_save, key=lambda item: order[item[0][0]]):
            if model is Profile:
                try:
                    with transaction.atomic():
                        restored.save()
                except IntegrityError:  # the slug was taken meanwhile
                    raise RestoreError(taken) from None
            else:
                restored.save()
        recorded_version = snapshot.profile.get("version") or 1
        Profile.objects.filter(pk=profile_id).update(version=recorded_version + 1, updated_at=timezone.now())
        scoring.recompute_scores([profile_id], record=False)
        recovered = Profile.objects.get(pk=profile_id)
        record_changes([change_entry(recovered, ChangeAction.CREATED, public_before=False)])
        capture_profile(recovered)
    return RestoreResult(recovered, skipped)
