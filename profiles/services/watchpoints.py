"""Watchpoints over time: expiring those whose review-by date has passed, and triggering them.

* `check_watchpoints` (run daily by `manage.py check_watchpoints`) marks open watchpoints
  whose review-by date has passed as expired and lists those due soon;
* `trigger_watchpoint` records that a piece of evidence set a watchpoint off: the watchpoint
  becomes triggered, cites the evidence, and the profile's timeline gets an event.

A watchpoint's status shows on the profile page, so both are profile edits: the profile's
version goes up and the changes feed gets an entry (`history.profile_saved`).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from profiles.models import (
    Profile,
    TimelineEvent,
    TimelineKind,
    Watchpoint,
    WatchpointKind,
    WatchpointStatus,
)
from profiles.services import history

DUE_WITHIN_DAYS = 14

# The timeline kind of the event a triggered watchpoint adds.
TIMELINE_KIND = {
    WatchpointKind.DISCLOSURE: TimelineKind.DISCLOSURE,
    WatchpointKind.RELATIONSHIP: TimelineKind.PARTNERSHIP,
    WatchpointKind.REGULATORY: TimelineKind.REGULATORY,
    WatchpointKind.INCIDENT: TimelineKind.INCIDENT,
}


class WatchpointError(Exception):
    """A watchpoint that cannot be triggered (already resolved or expired)."""


@dataclass
class WatchpointCheck:
    expired: list = field(default_factory=list)
    due: list = field(default_factory=list)


@transaction.atomic
def check_watchpoints(*, today=None, due_within_days=DUE_WITHIN_DAYS):
    """Expire open watchpoints whose review-by date has passed; list those due within the window."""
    today = today or timezone.localdate()
    expired = list(
        Watchpoint.objects.select_for_update()
        .filter(status=WatchpointStatus.OPEN, review_by__lt=today)
        .order_by("review_by", "id")
    )
    if expired:
        with history.versioned(comment=_("Watchpoints past their review-by date expired.")):
            Watchpoint.objects.filter(pk__in=[w.pk for w in expired]).update(status=WatchpointStatus.EXPIRED)
            for profile in Profile.objects.filter(pk__in={w.profile_id for w in expired}):
                history.profile_saved(profile)
    due = list(
        Watchpoint.objects.filter(
            status=WatchpointStatus.OPEN,
            review_by__gte=today,
            review_by__lte=today + timedelta(days=due_within_days),
        )
        .select_related("profile")
        .order_by("review_by", "id")
    )
    expired = list(Watchpoint.objects.filter(pk__in=[w.pk for w in expired]).select_related("profile").order_by("review_by", "id"))
    return WatchpointCheck(expired=expired, due=due)


@transaction.atomic
def trigger_watchpoint(watchpoint, evidence, actor, *, note_en="", note_zh_hans=""):
    """Mark the watchpoint triggered by this evidence and add a timeline event; return the event.

    The event is exactly as visible as the watchpoint, dated by the evidence (or today).
    """
    watchpoint = Watchpoint.objects.select_for_update().select_related("profile").get(pk=watchpoint.pk)
    if watchpoint.status in (WatchpointStatus.RESOLVED,):
        raise WatchpointError(_("A resolved watchpoint cannot be triggered."))
    profile = watchpoint.profile
    with history.versioned(actor=actor, comment=_("Watchpoint triggered.")):
        watchpoint.status = WatchpointStatus.TRIGGERED
        watchpoint.save(update_fields=["status"])
        watchpoint.triggered_by.add(evidence)
        event = TimelineEvent.objects.create(
            profile=profile,
            date=evidence.published_on or timezone.localdate(),
            kind=TIMELINE_KIND.get(watchpoint.kind, TimelineKind.OTHER),
            title_en="Watchpoint triggered",
            title_zh_hans="观察点已触发",
            text_en=" ".join(part for part in (watchpoint.text_en, note_en) if part),
            text_zh_hans=" ".join(part for part in (watchpoint.text_zh_hans, note_zh_hans) if part),
            visibility=watchpoint.visibility,
            position=profile.timeline_events.count(),
        )
        event.evidence.add(evidence)
        history.profile_saved(profile, actor=actor)
    return event
