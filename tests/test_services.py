"""Stored scores stay right: recomputation on evidence, overrides and band changes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from profiles.models import ConfidenceBand, EvidenceKind, Profile, Reliability, ReviewStatus
from profiles.rules import confidence
from profiles.selectors.bands import current_bands
from profiles.services.band_table import replace_band_table
from profiles.services.scoring import recompute_for_evidence, recompute_scores
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceFactory, ProfileFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def default_rows(**changes):
    rows = [
        {"lower": "0.90", "upper": "1.00", "grade": "A", "label_en": "High"},
        {"lower": "0.75", "upper": "0.89", "grade": "A/B", "label_en": "Strong"},
        {"lower": "0.55", "upper": "0.74", "grade": "B/C", "label_en": "Medium"},
        {"lower": "0.35", "upper": "0.54", "grade": "C/D", "label_en": "Weak–medium"},
        {"lower": "0.10", "upper": "0.34", "grade": "D", "label_en": "Weak signal"},
        {"lower": "0.00", "upper": "0.09", "grade": "D", "label_en": "Internal monitoring"},
    ]
    for index, row in changes.items():
        rows[int(index[1:])].update(row)
    return rows


def claim_with(*evidence_kwargs, published_on=TODAY, **claim_kwargs):
    claim = ClaimFactory(**claim_kwargs)
    for kwargs in evidence_kwargs:
        ClaimEvidenceFactory(claim=claim, evidence=EvidenceFactory(published_on=published_on, **kwargs))
    return claim


def test_the_migrated_band_table_is_the_seed_table():
    bands = current_bands()
    assert [(str(b.lower), str(b.upper), b.grade, b.label) for b in bands] == [
        ("0.90", "1.00", "A", "High"),
        ("0.75", "0.89", "A/B", "Strong"),
        ("0.55", "0.74", "B/C", "Medium"),
        ("0.35", "0.54", "C/D", "Weak–medium"),
        ("0.10", "0.34", "D", "Weak signal"),
        ("0.00", "0.09", "D", "Internal monitoring"),
    ]


def test_claim_and_profile_scores_are_stored_with_policy_and_explanation():
    # One direct A source published today: weight 0.80 → 0.80; the profile's mean is 0.80.
    claim = claim_with({"kind": EvidenceKind.DIRECT, "reliability": Reliability.A})
    recompute_scores(as_of=TODAY)
    claim.refresh_from_db()
    claim.profile.refresh_from_db()
    assert claim.score == Decimal("0.80")
    assert claim.policy_version == confidence.POLICY_VERSION
    assert claim.explanation["evidence"][0]["counted"] is True
    assert claim.profile.score == Decimal("0.80")


def test_profile_score_is_the_mean_of_verified_claims_only():
    profile = ProfileFactory()
    claim_with({"kind": EvidenceKind.DIRECT, "reliability": Reliability.A}, profile=profile)  # 0.80
    claim_with({"kind": EvidenceKind.SECONDARY, "reliability": Reliability.A}, profile=profile)  # 0.40
    claim_with({"kind": EvidenceKind.REPORTING, "reliability": Reliability.A}, profile=profile, verified=False)
    recompute_scores(as_of=TODAY)
    profile.refresh_from_db()
    assert profile.score == Decimal("0.60")


def test_profile_override_replaces_the_score_and_keeps_the_computed_one():
    claim = claim_with({"kind": EvidenceKind.DIRECT, "reliability": Reliability.A})
    profile = claim.profile
    profile.score_override = Decimal("0.30")
    profile.override_reason = "Vendor statement withdrawn."
    profile.save()
    recompute_scores(as_of=TODAY)
    profile.refresh_from_db()
    assert (profile.score, profile.computed_score) == (Decimal("0.30"), Decimal("0.80"))
    assert profile.explanation["override_reason"] == "Vendor statement withdrawn."


def test_reviewing_evidence_and_recomputing_raises_the_claim():
    claim = claim_with({"kind": EvidenceKind.DIRECT, "reliability": Reliability.A, "review_status": ReviewStatus.PENDING})
    recompute_scores(as_of=TODAY)
    claim.refresh_from_db()
    assert claim.score == Decimal("0.00")
    evidence = claim.evidence.get()
    evidence.review_status = ReviewStatus.REVIEWED
    evidence.save()
    recompute_for_evidence(evidence)
    claim.refresh_from_db()
    assert claim.score > Decimal("0.00")


def test_recomputing_twice_writes_nothing_the_second_time():
    claim_with({"kind": EvidenceKind.DIRECT, "reliability": Reliability.A})
    assert recompute_scores(as_of=TODAY) == 1
    assert recompute_scores(as_of=TODAY) == 0


def test_decay_lowers_stored_scores_as_time_passes():
    claim = claim_with({"kind": EvidenceKind.DIRECT, "reliability": Reliability.A})
    recompute_scores(as_of=TODAY)
    recompute_scores(as_of=TODAY + timedelta(days=confidence.HALF_LIFE_DAYS))
    claim.refresh_from_db()
    assert claim.score == Decimal("0.40")


def test_band_table_change_recomputes_scores_and_grades():
    # Three reporting A records from different publishers: 1 - 0.45³ = 0.908875 → 0.91,
    # capped to 0.89 (no direct source). Moving the top band to 0.95 moves the cap to 0.94.
    # The band change recomputes as of today, so the evidence is dated today.
    reporting = {"kind": EvidenceKind.REPORTING, "reliability": Reliability.A}
    claim = claim_with(reporting, reporting, reporting, published_on=date.today())
    recompute_scores()
    claim.refresh_from_db()
    assert claim.score == Decimal("0.89")
    replace_band_table(default_rows(r0={"lower": "0.95"}, r1={"upper": "0.94"}))
    claim.refresh_from_db()
    assert claim.score == Decimal("0.91")
    assert claim.explanation["cap"] == "0.94"
    assert confidence.band_for(Decimal("0.94"), current_bands()).grade == "A/B"


def test_an_invalid_band_table_is_refused_and_nothing_changes():
    before = list(ConfidenceBand.objects.values_list("lower", "upper", "grade"))
    with pytest.raises(confidence.BandTableError) as error:
        replace_band_table(default_rows(r2={"lower": "0.56"}))
    assert "0.55" in str(error.value)
    assert list(ConfidenceBand.objects.values_list("lower", "upper", "grade")) == before


def test_an_overlapping_band_table_is_refused():
    with pytest.raises(confidence.BandTableError) as error:
        replace_band_table(default_rows(r1={"lower": "0.70"}))
    assert "overlap" in str(error.value)


def test_an_empty_band_table_is_reinstated_with_the_defaults():
    from profiles.services.band_table import ensure_band_table

    assert ensure_band_table() is False  # the migration installed it already
    ConfidenceBand.objects.all().delete()
    assert ensure_band_table() is True
    assert [(str(b.lower), b.grade, b.label) for b in current_bands()][0] == ("0.90", "A", "High")
    assert ConfidenceBand.objects.get(grade="A").label_zh_hans == "高"


def test_imports_and_score_moves_are_recorded_for_the_changes_feed(seed_document):
    import json

    from profiles.interchange.service import import_text
    from profiles.models import ProfileChange

    import_text(json.dumps(seed_document))
    entries = list(ProfileChange.objects.values_list("slug", "action", "public_before", "public_after"))
    assert entries[0] == (seed_document["slug"], "created", False, True)
    count, version = ProfileChange.objects.count(), Profile.objects.get().version

    import_text(json.dumps(seed_document))  # the same document: nothing changes
    assert ProfileChange.objects.count() == count
    assert Profile.objects.get().version == version

    seed_document["status"] = "draft"
    import_text(json.dumps(seed_document))
    last = ProfileChange.objects.last()
    assert (last.action, last.public_before, last.public_after) == ("updated", True, False)
    assert Profile.objects.get().version > version
