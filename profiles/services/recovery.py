"""Bringing content back: restoring an earlier revision onto a profile, recovering a deleted one.

A restore brings back content, never workflow state (`WORKFLOW_FIELDS`). A recovery brings
the whole recorded graph back; its recorded status is set through `services.publishing`,
so a recovered publication is recorded like any other.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from reversion.models import Version

from profiles.models import (
    ChangeAction,
    EvidenceRecord,
    Profile,
    ProfileStatus,
    TimelineEvent,
    TimelineKind,
)
from profiles.parts import GRAPH_MODELS, PARTS
from profiles.rules.visibility import is_public
from profiles.selectors.history import related_model, revision_snapshot
from profiles.services import publishing, scoring
from profiles.services.changes import change_entry, record_changes
from profiles.services.history import capture_profile, lock_profile, versioned

# Kept as they are on restore: the workflow decides them, not the content history.
WORKFLOW_FIELDS = ("slug", "status", "published_at", "last_reviewed_at", "created_at")
class RestoreError(Exception):
    """A revision that cannot be restored onto this profile."""


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
            if related_model(model, name) is target:
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
        for part in reversed(PARTS):
            parts = part.model.objects.filter(**{part.owner: locked})
            if part.model is TimelineEvent:
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
                # The recorded status returns through the publishing service, recorded like any move.
                recorded_status, recorded_published_at = restored.object.status, restored.object.published_at
                restored.object.status, restored.object.published_at = ProfileStatus.DRAFT, None
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
        publishing.apply_status(
            Profile(pk=profile_id), recorded_status, note=gettext("Recovered after deletion."), actor=actor,
            published_at=recorded_published_at, record_change=False,
        )  # fmt: skip
        recovered = Profile.objects.get(pk=profile_id)
        record_changes([change_entry(recovered, ChangeAction.CREATED, public_before=False)])
        capture_profile(recovered)
    return RestoreResult(recovered, skipped)
