"""The analyst desk's selectors: what needs an analyst's or an editor's attention.

Each function returns rows ready to show, in a fixed number of queries:

* `review_queue` — profiles in review, who submitted them and since when;
* `evidence_awaiting_review` — sources whose citation review is pending;
* `watchpoints_due` — open (or expired, unresolved) watchpoints whose review-by date is
  past or within `DUE_WITHIN_DAYS`;
* `stale_profiles` — published profiles last reviewed longer ago than their time horizon;
* `claims_below_band` — published claims whose score has fallen below the band it was in
  when the profile was last published.

How a fall below a band is detected: publication snapshots (`ProfileTransition.public_snapshot`)
hold the published text, not scores, so the score at publication is read from the profile's
history instead — the latest revision of the profile recorded at or before its last
publication (`revisions` records one on every admin publication). A claim has fallen when
its current score is below the lower bound of the band (in the live table) that held its
score at publication. A profile published without any revision recorded (e.g. imported
already published) has no baseline and is not judged until its next publication.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import CharField, Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from reversion.models import Version

from profiles.models import (
    Claim,
    ClaimEvidence,
    EvidenceRecord,
    Profile,
    ProfileEvidence,
    ProfileStatus,
    ProfileTransition,
    ReviewStatus,
    TimeHorizon,
    Watchpoint,
    WatchpointStatus,
)
from profiles.rules import confidence
from profiles.rules.confidence_sql import COUNTED_CLAIMS
from profiles.rules.visibility import public_q
from profiles.selectors.bands import current_bands
from profiles.services.watchpoints import DUE_WITHIN_DAYS

# How long a review holds, by the profile's time horizon; a profile without one: a year.
HORIZON_DAYS = {
    TimeHorizon.NEXT_MONTH: 31,
    TimeHorizon.NEXT_QUARTER: 92,
    TimeHorizon.NEXT_YEAR: 366,
    TimeHorizon.LONG_TERM: 730,
}
DEFAULT_HORIZON_DAYS = 366
LIMIT = 25


# Review queue -------------------------------------------------------------------------


def review_queue(*, limit=LIMIT):
    """Profiles in review, oldest submission first, with `submitted_at` and `submitted_by`."""
    last_submission = ProfileTransition.objects.filter(
        profile=OuterRef("pk"), to_status=ProfileStatus.IN_REVIEW
    ).order_by("-at", "-id")
    return list(
        Profile.objects.filter(status=ProfileStatus.IN_REVIEW)
        .annotate(
            submitted_at=Subquery(last_submission.values("at")[:1]),
            submitted_by=Subquery(last_submission.values("actor__username")[:1]),
        )
        .order_by("submitted_at", "slug")[:limit]
    )


# Evidence ------------------------------------------------------------------------------


def pending_evidence_q():
    """Profiles listing or citing a source whose citation review is pending."""
    pending = ReviewStatus.PENDING
    return Q(
        Exists(ProfileEvidence.objects.filter(profile=OuterRef("pk"), evidence__review_status=pending))
    ) | Q(Exists(ClaimEvidence.objects.filter(claim__profile=OuterRef("pk"), evidence__review_status=pending)))


def evidence_awaiting_review(*, limit=LIMIT):
    """Pending evidence records, oldest first, with how many claims cite each (`citing_claims`)."""
    return list(
        EvidenceRecord.objects.filter(review_status=ReviewStatus.PENDING)
        .annotate(citing_claims=Count("claim_links", distinct=True))
        .order_by("created_at", "id")[:limit]
    )


# Watchpoints ----------------------------------------------------------------------------


def watchpoints_due(*, today=None, within_days=DUE_WITHIN_DAYS, limit=LIMIT):
    """Unresolved watchpoints due for review by `today + within_days`, most overdue first.

    Each has `overdue` (its date has passed) set. Expired ones stay until an analyst
    resolves them or gives them a new date.
    """
    today = today or timezone.localdate()
    rows = list(
        Watchpoint.objects.filter(
            status__in=[WatchpointStatus.OPEN, WatchpointStatus.EXPIRED],
            review_by__isnull=False,
            review_by__lte=today + timedelta(days=within_days),
        )
        .exclude(profile__status=ProfileStatus.ARCHIVED)
        .select_related("profile")
        .order_by("review_by", "id")[:limit]
    )
    for watchpoint in rows:
        watchpoint.overdue = watchpoint.review_by < today
    return rows


# Stale profiles -------------------------------------------------------------------------


def stale_profiles(queryset=None, *, now=None):
    """Published profiles last reviewed longer ago than their time horizon allows.

    Annotates `reviewed_at` (last review, else publication, else creation) on the queryset.
    """
    now = now or timezone.now()
    queryset = Profile.objects.all() if queryset is None else queryset
    horizons = [
        Q(time_horizon=horizon, reviewed_at__lt=now - timedelta(days=days)) for horizon, days in HORIZON_DAYS.items()
    ]
    horizons.append(
        ~Q(time_horizon__in=list(HORIZON_DAYS)) & Q(reviewed_at__lt=now - timedelta(days=DEFAULT_HORIZON_DAYS))
    )
    return queryset.annotate(
        reviewed_at=Coalesce("last_reviewed_at", "published_at", "created_at")
    ).filter(reduce(or_, horizons), public_q())


def horizon_days(profile):
    return HORIZON_DAYS.get(profile.time_horizon, DEFAULT_HORIZON_DAYS)


def stale_profile_rows(*, now=None, limit=LIMIT):
    """Stale profiles, longest unreviewed first, with `days_since_review` and `horizon_days`."""
    now = now or timezone.now()
    rows = list(stale_profiles(now=now).order_by("reviewed_at", "slug")[:limit])
    for profile in rows:
        profile.days_since_review = (now - profile.reviewed_at).days
        profile.horizon_days = horizon_days(profile)
    return rows


# Claims that fell below their band --------------------------------------------------------


@dataclass
class FallenClaim:
    claim: Claim
    published_score: Decimal
    published_band: confidence.Band
    band: confidence.Band


def _recorded_claim(serialized_data):
    """(pk, fields) of a claim version, read straight from its stored JSON."""
    record = json.loads(serialized_data)[0]
    return record["pk"], record["fields"]


def claims_below_band(*, bands=None, limit=LIMIT):
    """Published claims now scored below the band their score was in at the last publication."""
    bands = bands or current_bands()
    last_publication = ProfileTransition.objects.filter(
        profile=OuterRef("pk"), to_status=ProfileStatus.PUBLISHED
    ).order_by("-at", "-id")
    baseline = (
        Version.objects.get_for_model(Profile)
        .filter(object_id=Cast(OuterRef("pk"), CharField()), revision__date_created__lte=OuterRef("published"))
        .order_by("-revision__date_created", "-pk")
    )
    baselines = dict(
        Profile.objects.filter(public_q())
        .annotate(published=Subquery(last_publication.values("at")[:1]))
        .annotate(baseline=Subquery(baseline.values("revision_id")[:1]))
        .filter(baseline__isnull=False)
        .values_list("baseline", "pk")
    )
    if not baselines:
        return []
    published_scores = {}
    for revision_id, data in Version.objects.get_for_model(Claim).filter(revision_id__in=baselines).values_list(
        "revision_id", "serialized_data"
    ):
        pk, fields = _recorded_claim(data)
        counted = confidence.claim_counts(verified=bool(fields.get("verified")), retracted=bool(fields.get("retracted_at")))
        if fields.get("profile") == baselines[revision_id] and counted:
            published_scores[pk] = confidence.round_score(fields.get("score") or "0")
    fallen = []
    claims = Claim.objects.filter(
        COUNTED_CLAIMS, public_q("profile__"), pk__in=published_scores
    ).select_related("profile")
    for claim in claims.order_by("profile__slug", "position", "id"):
        published_band = confidence.band_for(published_scores[claim.pk], bands)
        if claim.score < published_band.lower:
            fallen.append(FallenClaim(claim, published_scores[claim.pk], published_band, confidence.band_for(claim.score, bands)))
    return fallen[:limit]


# The dashboard -----------------------------------------------------------------------


def analyst_dashboard(*, now=None):
    """Every list of the analyst desk's front page."""
    now = now or timezone.now()
    bands = current_bands()
    return {
        "review_queue": review_queue(),
        "evidence_awaiting_review": evidence_awaiting_review(),
        "pending_evidence_total": EvidenceRecord.objects.filter(review_status=ReviewStatus.PENDING).count(),
        "watchpoints_due": watchpoints_due(today=timezone.localdate(now)),
        "due_within_days": DUE_WITHIN_DAYS,
        "stale_profiles": stale_profile_rows(now=now),
        "claims_below_band": claims_below_band(bands=bands),
    }
