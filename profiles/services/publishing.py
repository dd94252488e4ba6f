"""The one place a profile's status (and its publication time) changes.

Every move — a desk button, an API `PATCH`, an operator's import, a recovery —
comes here, and leaves the same record:

* a `ProfileTransition` (who, when, from, to, note), with the public snapshot when it
  publishes;
* a revision of the profile graph in its history;
* an entry in the changes feed;
* a security audit event when the profile enters or leaves the published set.

`transition` is the workflow, for people: `rules.publishing` decides who may make which
move, and a publication adds a public timeline event naming the sections that changed
since the previous one. `apply_status` is for an operator's import (restores,
migrations) and a recovery: the status comes from the file or the recorded state, no
role is asked and no public event is written (the document brings its own timeline).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from profiles.accounts import audit
from profiles.interchange.export import export_document
from profiles.interchange.graphs import export_graphs
from profiles.models import ChangeAction, Profile, ProfileTransition, TimelineEvent, TimelineKind
from profiles.rules.publishing import PUBLISHED, StaleVersion, check_transition, status_label
from profiles.rules.visibility import ANONYMOUS, is_public, profile_graph
from profiles.selectors.bands import current_bands
from profiles.services import history
from profiles.services.changes import change_entry, record_changes

# The public sections of a profile page, as named in the publication event, and the
# fields of the anonymous export document each one is made of.
PUBLIC_SECTIONS = [
    ("summary", _("Summary"), ["name", "aliases", "category", "region", "focus", "facets", "summary"]),
    ("domain", _("Domain of operation"), ["claims"]),
    ("timeline", _("Timeline"), ["timeline"]),
    ("function", _("Function"), ["function"]),
    ("importance", _("Importance"), ["importance"]),
    ("watch_focus", _("Watch focus"), ["watch_focus"]),
    ("public_view", _("Public view"), ["public_view"]),
    ("watchpoints", _("Watchpoints"), ["watchpoints"]),
    ("limitations", _("Limitations"), ["limitations"]),
    ("faq", _("Frequently asked questions"), ["faq"]),
    ("relationships", _("See also"), ["relationships"]),
    ("sources", _("Sources"), ["evidence"]),
]


def public_snapshot(profile):
    """The public sections of the profile as anonymous readers would see them published."""
    graph = profile_graph(ANONYMOUS, profile.slug, as_if_published=True)
    with translation.override(settings.LANGUAGE_CODE):
        return _sections(export_document(graph, current_bands(), ANONYMOUS))


def changed_sections(before, after):
    """Keys of the public sections that differ between two snapshots (all when no `before`)."""
    return [key for key, _label, _names in PUBLIC_SECTIONS if before is None or before.get(key) != after.get(key)]


def _section_names(keys, language):
    labels = {key: label for key, label, _names in PUBLIC_SECTIONS}
    with translation.override(language):
        return ("、" if language == "zh-hans" else ", ").join(str(labels[key]) for key in keys)


@transaction.atomic
def transition(profile, to_status, *, actor, note="", expected_version=None):
    """Move a profile to `to_status` as `actor`; return the recorded ProfileTransition.

    Raises a `rules.publishing.TransitionError` subclass, with nothing written, for a
    move the workflow lacks (`NoSuchMove`), a role that may not make it (`NotAllowed`),
    the actor's own submission (`OwnWork`) or, with `expected_version`, a profile changed
    by someone else meanwhile (`StaleVersion`).
    """
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    if expected_version is not None and profile.version != expected_version:
        raise StaleVersion(_("Someone else changed this profile meanwhile; reload it and try again."))
    check_transition(profile, to_status, actor)
    comment = gettext("Workflow: %(from)s → %(to)s") % {"from": status_label(profile.status), "to": status_label(to_status)}
    return _move(profile, to_status, actor=actor, note=note, comment=comment, public_event=True)


@transaction.atomic
def apply_status(profile, to_status, *, note, actor=None, published_at=None, record_change=True):
    """Set the status an operator's file or a recovered record gives; return the ProfileTransition.

    No workflow rule is asked (an operator on the server restores what was); the move is
    recorded like any other, with `note` saying where it came from. `published_at` is
    the first publication's recorded time, kept by a recovery. Without `record_change`
    the caller enters the profile in the changes feed itself (an import or a recovery
    enters it once, as created or updated, with its final status).
    """
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    if published_at is not None:
        profile.published_at = published_at
    if profile.status == to_status:
        profile.save(update_fields=["published_at"])  # e.g. a recovered draft that was once published
        return None
    return _move(profile, to_status, actor=actor, note=note, comment=note, public_event=False, record_change=record_change)


def apply_statuses(wanted, *, note, actor=None):
    """`apply_status` for many profiles at once ({profile id: status}), as an operator's import sets them.

    The same record as one by one — a transition each (with its public snapshot when it
    publishes), a revision, an audit event in or out of publication — written in a few
    queries per batch: the snapshots come from the export's batched graphs, the revision
    (one for the batch, as before) is written in bulk (`history.capture_profiles`). The caller
    enters the profiles in the changes feed itself. Returns [(profile, from, to)].
    """
    moves = []
    profiles = Profile.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk")
    for profile in profiles:
        if profile.status != wanted[profile.pk]:
            moves.append((profile, profile.status, wanted[profile.pk]))
    if not moves:
        return []
    publishing = [profile.pk for profile, _before, after in moves if after == PUBLISHED]
    snapshots = _public_snapshots(publishing) if publishing else {}
    now = timezone.now()
    ProfileTransition.objects.bulk_create(
        ProfileTransition(
            profile=profile, from_status=before, to_status=after, actor=actor, at=now, note=note,
            public_snapshot=snapshots.get(profile.pk),
        )  # fmt: skip
        for profile, before, after in moves
    )
    for profile, _before, after in moves:
        profile.status, profile.updated_at, profile.version = after, now, profile.version + 1
        if after == PUBLISHED:
            profile.published_at, profile.last_reviewed_at = profile.published_at or now, now
    Profile.objects.bulk_update(
        [profile for profile, _before, _after in moves],
        ["status", "updated_at", "version", "published_at", "last_reviewed_at"],
    )
    audit.publications([move for move in moves if PUBLISHED in move[1:]], actor=actor)
    history.capture_profiles([profile.pk for profile, _before, _after in moves], actor=actor, comment=note)
    return moves


def _public_snapshots(profile_ids):
    """{profile id: public snapshot} for many profiles, from the export's batched graphs."""
    with translation.override(settings.LANGUAGE_CODE):
        bands = current_bands()
        graphs = export_graphs(ANONYMOUS, Profile.objects.filter(pk__in=profile_ids), as_if_published=True)
        return {graph.pk: _sections(export_document(graph, bands, ANONYMOUS)) for graph in graphs}


def _sections(document):
    document["timeline"] = [e for e in document["timeline"] if e["kind"] != TimelineKind.PROFILE_UPDATE]
    return {key: [document[name] for name in names] for key, _label, names in PUBLIC_SECTIONS}


def _move(profile, to_status, *, actor, note, comment, public_event, record_change=True):
    public_before = is_public(profile)
    now = timezone.now()
    record = ProfileTransition(
        profile=profile, from_status=profile.status, to_status=to_status, actor=actor, at=now, note=note
    )
    if to_status == PUBLISHED:
        record.public_snapshot = snapshot = public_snapshot(profile)
        if public_event:
            previous = profile.transitions.filter(to_status=PUBLISHED).order_by("-at", "-id").first()
            changed = changed_sections(previous.public_snapshot if previous else None, snapshot)
            _add_publication_event(profile, changed, now)
        profile.published_at = profile.published_at or now
        profile.last_reviewed_at = now
    record.save()
    profile.status = to_status
    profile.updated_at = now
    profile.version += 1
    profile.save(update_fields=["status", "updated_at", "version", "published_at", "last_reviewed_at"])
    if record_change:
        record_changes([change_entry(profile, ChangeAction.UPDATED, public_before=public_before)])
    if PUBLISHED in (record.from_status, to_status):
        audit.publication(profile, record.from_status, to_status, actor=actor)
    with history.versioned(actor=actor, comment=comment, manual=True):
        history.capture_profile(profile)
    return record


def _add_publication_event(profile, changed, now):
    if not changed:
        return
    TimelineEvent.objects.create(
        profile=profile,
        date=timezone.localdate(now),
        kind=TimelineKind.PROFILE_UPDATE,
        title_en="Public profile updated",
        title_zh_hans="公开档案已更新",
        text_en=f"Changed: {_section_names(changed, 'en')}.",
        text_zh_hans=f"更新内容：{_section_names(changed, 'zh-hans')}。",
        position=profile.timeline_events.count(),
    )
