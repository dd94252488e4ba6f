"""Citation review in the evidence list: bulk actions that recompute the scores citing them."""

from decimal import Decimal

import pytest
from reversion.models import Version

from profiles.models import EvidenceRecord, ProfileChange, ReviewStatus
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceFactory, ProfileFactory, user_with_role

pytestmark = pytest.mark.django_db
URL = "/admin/profiles/evidencerecord/"


@pytest.fixture
def cited():
    """A published profile whose one claim cites two pending sources (direct A and reporting B)."""
    profile = ProfileFactory()
    claim = ClaimFactory(profile=profile)
    records = [
        EvidenceFactory(kind="direct", reliability="A", review_status=ReviewStatus.PENDING),
        EvidenceFactory(kind="reporting", reliability="B", review_status=ReviewStatus.PENDING),
    ]
    for record in records:
        ClaimEvidenceFactory(claim=claim, evidence=record)
    return claim, records


def act(client, action, records):
    return client.post(URL, {"action": action, "_selected_action": [str(r.pk) for r in records], "index": 0})


@pytest.mark.parametrize("role", ["analyst", "editor"])
def test_marking_sources_reviewed_recomputes_the_scores_citing_them(client, cited, role):
    client.force_login(user_with_role(role))
    claim, records = cited
    changes = ProfileChange.objects.count()
    response = act(client, "mark_reviewed", records)
    assert response.status_code == 302
    assert set(EvidenceRecord.objects.values_list("review_status", flat=True)) == {ReviewStatus.REVIEWED}
    claim.refresh_from_db()
    # 1 − (1 − 0.80)(1 − 0.55 × 0.90) = 0.899 → 0.90, with a direct source and two publishers: not capped.
    assert claim.score == Decimal("0.90")
    assert claim.profile.__class__.objects.get(pk=claim.profile_id).score == Decimal("0.90")
    assert ProfileChange.objects.count() == changes + 1  # the public score moved


def test_marking_a_source_rejected_takes_it_out_of_the_score(client, cited):
    client.force_login(user_with_role("analyst"))
    claim, records = cited
    act(client, "mark_reviewed", records)
    act(client, "mark_rejected", records[:1])
    claim.refresh_from_db()
    assert EvidenceRecord.objects.get(pk=records[0].pk).review_status == ReviewStatus.REJECTED
    assert claim.score == Decimal("0.50")  # 0.55 × 0.90 = 0.495 → 0.50


def test_a_review_is_recorded_in_the_sources_history(client, cited):
    analyst = user_with_role("analyst")
    client.force_login(analyst)
    _claim, records = cited
    act(client, "mark_reviewed", records)
    version = Version.objects.get_for_object(records[0]).select_related("revision").get()
    assert version.revision.user == analyst
    assert version.field_dict["review_status"] == ReviewStatus.REVIEWED


def test_the_evidence_list_filters_by_review_status(client, cited):
    client.force_login(user_with_role("analyst"))
    EvidenceFactory(review_status=ReviewStatus.REVIEWED)
    response = client.get(URL, {"review_status__exact": "pending"})
    assert {r.pk for r in response.context["cl"].result_list} == {r.pk for r in cited[1]}


def test_changing_a_sources_review_status_in_its_form_recomputes(client, cited):
    from tests.admin_client import change_form_data

    client.force_login(user_with_role("analyst"))
    claim, records = cited
    url = f"{URL}{records[0].pk}/change/"
    response = client.post(url, change_form_data(client.get(url), review_status="reviewed"))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.score == Decimal("0.80")
