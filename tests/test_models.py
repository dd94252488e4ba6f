"""Invariants the database itself refuses to break, whatever writes to it."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from profiles.models import Briefing, ConfidenceBand, Profile, Relationship
from tests.factories import ClaimFactory, EvidenceFactory, ProfileFactory

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_slug_is_unique():
    ProfileFactory(slug="ex-ix")
    refused(lambda: ProfileFactory(slug="ex-ix"))


def test_profile_score_must_be_within_0_and_1():
    refused(lambda: ProfileFactory(score=Decimal("1.50")))


def test_unknown_profile_kind_is_refused():
    refused(lambda: ProfileFactory(kind="person"))


def test_unknown_status_is_refused():
    refused(lambda: ProfileFactory(status="deleted"))


def test_claim_override_needs_a_reason():
    refused(lambda: ClaimFactory(score_override=Decimal("0.50"), override_reason=""))


def test_retraction_needs_a_reason():
    from django.utils import timezone

    refused(lambda: ClaimFactory(retracted_at=timezone.now(), retraction_reason=""))


def test_profile_cannot_be_related_to_itself():
    profile = ProfileFactory()
    refused(lambda: Relationship.objects.create(source=profile, target=profile))


def test_briefing_is_never_public():
    refused(lambda: Briefing.objects.create(profile=ProfileFactory(), visibility="public"))


def test_two_evidence_records_cannot_share_a_normalised_url():
    EvidenceFactory(url="https://example.org/a", normalized_url="https://example.org/a")
    refused(lambda: EvidenceFactory(url="https://example.org/a/", normalized_url="https://example.org/a"))


def test_evidence_without_url_may_repeat():
    EvidenceFactory(url="", normalized_url="")
    EvidenceFactory(url="", normalized_url="")


def test_band_bounds_must_be_ordered():
    refused(lambda: ConfidenceBand.objects.create(lower=Decimal("0.50"), upper=Decimal("0.40"), grade="X", label="x"))


def test_profile_name_falls_back_to_the_other_language():
    from django.utils import translation

    profile = Profile(slug="only-chinese", kind="topic", name_zh_hans="仅中文名称")
    with translation.override("en"):
        assert profile.name == "仅中文名称"
    profile = Profile(slug="only-english", kind="topic", name_en="English only")
    with translation.override("zh-hans"):
        assert profile.name == "English only"
