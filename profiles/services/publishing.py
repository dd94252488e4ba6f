"""The publishing workflow: draft → in review → published → archived.

Who may move a profile where is decided here and nowhere else:

| move                       | who                                                        |
|----------------------------|------------------------------------------------------------|
| draft → in review          | anyone who may change profiles (analysts, editors)         |
| in review → published      | editors, but never on their own submission (superusers may)|
| in review → draft          | editors, or the analyst who submitted it                   |
| published → archived/draft | editors                                                    |
| archived → draft           | editors                                                    |

Every move is recorded with who and when. Publishing snapshots the public
sections and adds a public timeline event naming those that changed since the
previous publication.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from profiles.selectors.bands import current_bands
from profiles.services.changes import change_entry, record_changes
from profiles.accounts import audit
from profiles.models import (
    ChangeAction,
    Profile,
    ProfileStatus,
    ProfileTransition,
    TimelineEvent,
    TimelineKind,
)
from profiles.rules.visibility import ANONYMOUS, is_public, profile_graph

DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED = (
    ProfileStatus.DRAFT,
    ProfileStatus.IN_REVIEW,
    ProfileStatus.PUBLISHED,
    ProfileStatus.ARCHIVED,
)
PUBLISH_PERMISSION = "profiles.publish_profile"
EDIT_PERMISSION = "profiles.change_profile"

MOVES = {
    (DRAFT, IN_REVIEW): "submit",
    (IN_REVIEW, PUBLISHED): "publish",
    (IN_REVIEW, DRAFT): "return",
    (PUBLISHED, ARCHIVED): "archive",
    (PUBLISHED, DRAFT): "unpublish",
    (ARCHIVED, DRAFT): "restore",
}

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


class TransitionError(Exception):
    """A move the workflow or the actor's role does not allow; the message says why."""


def submitter(profile):
    """The user who last sent this profile to review, if any."""
    last = profile.transitions.filter(to_status=IN_REVIEW).order_by("-at", "-id").first()
    return last.actor if last else None


def check_transition(profile, to_status, actor):
    """Raise TransitionError unless `actor` may move `profile` to `to_status` now."""
    move = MOVES.get((profile.status, to_status))
    if move is None:
        raise TransitionError(
            _("A profile cannot go from “%(from)s” to “%(to)s”.")
            % {"from": ProfileStatus(profile.status).label, "to": ProfileStatus(to_status).label}
        )
    if actor is None or not actor.is_active or not actor.is_staff:
        raise TransitionError(_("Only analysts and editors can move profiles through the workflow."))
    if move == "submit":
        if not actor.has_perm(EDIT_PERMISSION):
            raise TransitionError(_("You may not edit profiles."))
        return
    if move == "return" and submitter(profile) == actor:
        return
    if not actor.has_perm(PUBLISH_PERMISSION):
        raise TransitionError(_("Only an editor can do this."))
    if move == "publish" and submitter(profile) == actor and not actor.is_superuser:
        raise TransitionError(_("You submitted this profile; another editor must approve it."))


def public_snapshot(profile):
    """The public sections of the profile as anonymous readers would see them published."""
    from profiles.interchange.service import export_document

    graph = profile_graph(ANONYMOUS, profile.slug, as_if_published=True)
    with translation.override(settings.LANGUAGE_CODE):
        document = export_document(graph, current_bands(), ANONYMOUS)
    document["timeline"] = [e for e in document["timeline"] if e["kind"] != TimelineKind.PROFILE_UPDATE]
    return {key: [document[name] for name in names] for key, _label, names in PUBLIC_SECTIONS}


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

    With `expected_version`, a profile changed by someone else meanwhile is
    refused rather than overwritten.
    """
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    if expected_version is not None and profile.version != expected_version:
        raise TransitionError(_("Someone else changed this profile meanwhile; reload it and try again."))
    check_transition(profile, to_status, actor)
    public_before = is_public(profile)
    now = timezone.now()
    record = ProfileTransition(
        profile=profile, from_status=profile.status, to_status=to_status, actor=actor, at=now, note=note
    )
    if to_status == PUBLISHED:
        record.public_snapshot = snapshot = public_snapshot(profile)
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
    record_changes([change_entry(profile, ChangeAction.UPDATED, public_before=public_before)])
    if PUBLISHED in (record.from_status, to_status):
        audit.publication(profile, record.from_status, to_status, actor=actor)
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
