"""The analyst desk's front page: what needs attention, each list tested on its own."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from profiles.models import ProfileStatus, ReviewStatus, TimeHorizon, WatchpointStatus
from profiles.selectors import dashboard
from profiles.services import history
from profiles.services.publishing import transition
from tests.admin_client import move
from tests.factories import (
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceFactory,
    ProfileFactory,
    WatchpointFactory,
    user_with_role,
)
from tests.queries import session_queries

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)
NOW = timezone.make_aware(timezone.datetime(2026, 11, 25, 12, 0))


def test_the_review_queue_lists_profiles_in_review_with_who_submitted_and_since_when():
    analyst = user_with_role("analyst", username="submitter")
    first = ProfileFactory(slug="first", status=ProfileStatus.DRAFT)
    second = ProfileFactory(slug="second", status=ProfileStatus.DRAFT)
    ProfileFactory(slug="draft", status=ProfileStatus.DRAFT)
    transition(first, ProfileStatus.IN_REVIEW, actor=analyst)
    transition(second, ProfileStatus.IN_REVIEW, actor=analyst)
    queue = dashboard.review_queue()
    assert [p.slug for p in queue] == ["first", "second"]  # oldest submission first
    assert queue[0].submitted_by == "submitter" and queue[0].submitted_at is not None


def test_evidence_awaiting_review_lists_pending_sources_with_their_citations():
    pending = EvidenceFactory(review_status=ReviewStatus.PENDING)
    ClaimEvidenceFactory(evidence=pending)
    ClaimEvidenceFactory(evidence=pending)
    EvidenceFactory(review_status=ReviewStatus.REVIEWED)
    EvidenceFactory(review_status=ReviewStatus.REJECTED)
    rows = dashboard.evidence_awaiting_review()
    assert [(r.pk, r.citing_claims) for r in rows] == [(pending.pk, 2)]


def test_watchpoints_due_within_two_weeks_or_overdue_are_listed_most_overdue_first():
    overdue = WatchpointFactory(review_by=TODAY - timedelta(days=3))
    expired = WatchpointFactory(review_by=TODAY - timedelta(days=10), status=WatchpointStatus.EXPIRED)
    due = WatchpointFactory(review_by=TODAY + timedelta(days=14))
    WatchpointFactory(review_by=TODAY + timedelta(days=15))  # later
    WatchpointFactory(review_by=TODAY - timedelta(days=1), status=WatchpointStatus.RESOLVED)
    WatchpointFactory(review_by=TODAY - timedelta(days=1), status=WatchpointStatus.TRIGGERED)
    WatchpointFactory(review_by=None)
    WatchpointFactory(review_by=TODAY, profile=ProfileFactory(status=ProfileStatus.ARCHIVED))
    rows = dashboard.watchpoints_due(today=TODAY)
    assert [w.pk for w in rows] == [expired.pk, overdue.pk, due.pk]
    assert [w.overdue for w in rows] == [True, True, False]


@pytest.mark.parametrize(
    "horizon, days, stale",
    [
        (TimeHorizon.NEXT_MONTH, 30, False), (TimeHorizon.NEXT_MONTH, 32, True),
        (TimeHorizon.NEXT_QUARTER, 91, False), (TimeHorizon.NEXT_QUARTER, 93, True),
        (TimeHorizon.NEXT_YEAR, 365, False), (TimeHorizon.NEXT_YEAR, 367, True),
        (TimeHorizon.LONG_TERM, 729, False), (TimeHorizon.LONG_TERM, 731, True),
        ("", 365, False), ("", 367, True),
    ],
)  # fmt: skip
def test_a_published_profile_is_stale_once_its_last_review_is_older_than_its_time_horizon(horizon, days, stale):
    profile = ProfileFactory(time_horizon=horizon, last_reviewed_at=NOW - timedelta(days=days))
    assert (profile in dashboard.stale_profiles(now=NOW)) is stale


def test_staleness_counts_from_publication_when_never_reviewed_and_ignores_unpublished_profiles():
    old = NOW - timedelta(days=100)
    published = ProfileFactory(time_horizon=TimeHorizon.NEXT_MONTH, published_at=old, created_at=old)
    ProfileFactory(time_horizon=TimeHorizon.NEXT_MONTH, status=ProfileStatus.DRAFT, created_at=old)
    ProfileFactory(time_horizon=TimeHorizon.NEXT_MONTH, status=ProfileStatus.ARCHIVED, created_at=old)
    rows = dashboard.stale_profile_rows(now=NOW)
    assert [p.pk for p in rows] == [published.pk]
    assert (rows[0].days_since_review, rows[0].horizon_days) == (100, 31)


def claim_published_at_a(**profile_fields):
    """A claim published through the analyst desk at 0.90 (A): a direct A source and a reporting B one.

    Returns (claim, its direct source, a steady claim of the same profile at 0.30 (D)).
    """
    profile = ProfileFactory(status=ProfileStatus.DRAFT, **profile_fields)
    claim = ClaimFactory(profile=profile)
    direct = EvidenceFactory(kind="direct", reliability="A")
    ClaimEvidenceFactory(claim=claim, evidence=direct)
    ClaimEvidenceFactory(claim=claim, evidence=EvidenceFactory(kind="reporting", reliability="B"))
    steady = ClaimFactory(profile=profile)
    ClaimEvidenceFactory(claim=steady, evidence=EvidenceFactory(kind="secondary", reliability="C"))
    history.profile_saved(profile)
    desk = Client()
    desk.force_login(user_with_role("analyst"))
    move(desk, profile, ProfileStatus.IN_REVIEW)
    desk.force_login(user_with_role("editor"))
    move(desk, profile, ProfileStatus.PUBLISHED)
    claim.refresh_from_db()
    assert (claim.score, profile.__class__.objects.get(pk=profile.pk).status) == (Decimal("0.90"), "published")
    return claim, direct, steady


@pytest.fixture
def published_claim():
    return claim_published_at_a()


def test_a_published_claim_whose_score_fell_below_its_band_is_listed(published_claim):
    claim, direct, _steady = published_claim
    assert dashboard.claims_below_band() == []
    history.review_evidence([direct], ReviewStatus.REJECTED)  # recomputed: only the reporting source counts
    [row] = dashboard.claims_below_band()
    assert row.claim.pk == claim.pk
    assert (row.published_score, row.published_band.grade) == (Decimal("0.90"), "A")
    assert (row.claim.score, row.band.grade) == (Decimal("0.50"), "C/D")


def test_a_score_that_moves_within_its_band_is_not_listed(published_claim):
    _claim, _direct, steady = published_claim
    from profiles.models import Claim

    # Published at 0.40 × 0.75 = 0.30, in the band 0.10–0.34: 0.12 is lower, but in the same band.
    Claim.objects.filter(pk=steady.pk).update(score=Decimal("0.12"), computed_score=Decimal("0.12"))
    assert dashboard.claims_below_band() == []
    Claim.objects.filter(pk=steady.pk).update(score=Decimal("0.09"), computed_score=Decimal("0.09"))
    assert [row.claim.pk for row in dashboard.claims_below_band()] == [steady.pk]  # same grade D, lower band


def test_a_profile_published_without_a_recorded_version_has_no_baseline():
    ClaimFactory(profile=ProfileFactory(), score=Decimal("0.10"))
    assert dashboard.claims_below_band() == []


def test_the_admin_front_page_shows_every_list(client, published_claim):
    _claim, direct, _steady = published_claim
    history.review_evidence([direct], ReviewStatus.REJECTED)
    in_review = ProfileFactory(status=ProfileStatus.DRAFT, name_en="Waiting Exchange")
    transition(in_review, ProfileStatus.IN_REVIEW, actor=user_with_role("analyst"))
    EvidenceFactory(title_en="Unchecked filing", review_status=ReviewStatus.PENDING)
    WatchpointFactory(text_en="Licence renewal", review_by=date.today() + timedelta(days=2))
    ProfileFactory(name_en="Old Registry", time_horizon=TimeHorizon.NEXT_MONTH,
                   last_reviewed_at=timezone.now() - timedelta(days=60))  # fmt: skip
    client.force_login(user_with_role("analyst"))
    page = client.get("/admin/").content.decode()
    for text in ("Review queue", "Waiting Exchange", "Evidence awaiting citation review", "Unchecked filing",
                 "Watchpoints due or overdue", "Licence renewal", "Stale profiles", "Old Registry",
                 "Published claims that fell below their band", "C/D · 0.50"):  # fmt: skip
        assert text in page, text


def one_of_each_list(n):
    """An item for each list of the front page; n tells them apart."""
    analyst = user_with_role("analyst")
    in_review = ProfileFactory(status=ProfileStatus.DRAFT, name_en=f"Waiting {n}")
    transition(in_review, ProfileStatus.IN_REVIEW, actor=analyst)
    pending = EvidenceFactory(title_en=f"Unchecked filing {n}", review_status=ReviewStatus.PENDING)
    ClaimEvidenceFactory(evidence=pending)
    stale = ProfileFactory(name_en=f"Old registry {n}", time_horizon=TimeHorizon.NEXT_MONTH,
                           last_reviewed_at=timezone.now() - timedelta(days=90))  # fmt: skip
    WatchpointFactory(profile=stale, text_en=f"Licence renewal {n}", review_by=timezone.localdate())
    _claim, direct, _steady = claim_published_at_a(name_en=f"Fallen {n}")
    history.review_evidence([direct], ReviewStatus.REJECTED)  # 0.90 (A) → 0.50 (C/D)


# The front page beyond the session (tests/queries.py): the user and its two permission reads;
# the band table, the review queue, the pending evidence and their total, the watchpoints due,
# the stale profiles, and the claims below their band: the published profiles' baselines, the
# claims' versions at publication, the claims now (with no baseline, only the first runs).
FRONT_PAGE_QUERIES = 12
LISTS = ["review_queue", "evidence_awaiting_review", "watchpoints_due", "stale_profiles", "claims_below_band"]


def test_the_front_page_runs_the_same_queries_whatever_the_length_of_its_lists(client, django_assert_num_queries):
    client.force_login(user_with_role("analyst"))
    for first, items in ((0, 1), (1, 4)):  # one item in each list, then four
        for n in range(first, items):
            one_of_each_list(n)
        with django_assert_num_queries(session_queries() + FRONT_PAGE_QUERIES):
            response = client.get("/admin/")
        assert response.status_code == 200
        assert [len(response.context[name]) for name in LISTS] == [items] * len(LISTS)
        assert response.context["pending_evidence_total"] == items
    page = response.content.decode()
    for text in ("Waiting 3", "Unchecked filing 3", "Licence renewal 3", "Old registry 3", "Fallen 3", "C/D · 0.50"):
        assert text in page, text
