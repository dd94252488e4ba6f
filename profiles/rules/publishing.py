"""The publishing workflow's rule: draft → in review → published → archived, and who may move what.

| move                       | who                                                        |
|----------------------------|------------------------------------------------------------|
| draft → in review          | anyone who may change profiles (analysts, editors)         |
| in review → published      | editors, but never on their own submission (superusers may)|
| in review → draft          | editors, or the analyst who submitted it                   |
| published → archived/draft | editors                                                    |
| archived → draft           | editors                                                    |

This module only decides; `services.publishing` is the one module that changes a
profile's status, and it asks `check_transition` first. Each refusal is its own
exception, so a caller can answer each as it should (an API: 403, 409, 412).
"""

from django.utils.translation import gettext_lazy as _

from profiles.models import ProfileStatus

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


class TransitionError(Exception):
    """A move the workflow refuses; the message says why. The subclasses say which rule."""


class NoSuchMove(TransitionError):
    """The workflow has no move from the profile's status to the one asked for."""


class NotAllowed(TransitionError):
    """The actor's role may not make this move."""


class OwnWork(TransitionError):
    """Four eyes: the actor submitted this profile and may not approve it."""


class StaleVersion(TransitionError):
    """The profile changed since the actor loaded it."""


def status_label(status):
    return ProfileStatus(status).label if status in ProfileStatus.values else status


def no_such_move(from_status, to_status):
    return NoSuchMove(
        _("A profile cannot go from “%(from)s” to “%(to)s”.")
        % {"from": status_label(from_status), "to": status_label(to_status)}
    )


def submitter(profile):
    """The user who last sent this profile to review, if any."""
    last = profile.transitions.filter(to_status=IN_REVIEW).order_by("-at", "-id").first()
    return last.actor if last else None


def check_transition(profile, to_status, actor):
    """Raise a TransitionError subclass unless `actor` may move `profile` to `to_status` now."""
    move = MOVES.get((profile.status, to_status))
    if move is None:
        raise no_such_move(profile.status, to_status)
    if actor is None or not actor.is_active or not actor.is_staff:
        raise NotAllowed(_("Only analysts and editors can move profiles through the workflow."))
    if move == "submit":
        if not actor.has_perm(EDIT_PERMISSION):
            raise NotAllowed(_("You may not edit profiles."))
        return
    if move == "return" and submitter(profile) == actor:
        return
    if not actor.has_perm(PUBLISH_PERMISSION):
        raise NotAllowed(_("Only an editor can do this."))
    if move == "publish" and submitter(profile) == actor and not actor.is_superuser:
        raise OwnWork(_("You submitted this profile; another editor must approve it."))


def allowed_moves(profile, actor):
    """[(to_status, move)] that `actor` may make on `profile` now, in the workflow's order."""
    moves = []
    for (from_status, to_status), move in MOVES.items():
        if from_status != profile.status:
            continue
        try:
            check_transition(profile, to_status, actor)
        except TransitionError:
            continue
        moves.append((to_status, move))
    return moves
