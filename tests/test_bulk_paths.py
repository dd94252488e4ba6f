"""The bulk paths give the same results as the per-object ones.

`bulk_writes` writes rows as plain SQL; `scoring.recompute_scores` reads rows and writes
scores with UPDATE … FROM (VALUES …) a batch at a time; `export_graphs` reads export's
graphs with values(). Each is checked here against what the slower, obvious path gives.
"""

import json
from datetime import date
from decimal import Decimal

import pytest

from profiles.interchange import service
from profiles.interchange.export import export_document
from profiles.interchange.graphs import export_graphs
from profiles.models import Claim, FaqEntry, Profile, ProfileChange
from profiles.rules.visibility import ANONYMOUS, MEMBER, STAFF, profile_graphs
from profiles.selectors.bands import current_bands
from profiles.services import scoring
from registry.infra import bulk_writes
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceFactory, ProfileFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def scored_profile(slug, *, kind="direct", reliability="A", verified=True):
    profile = ProfileFactory(slug=slug, status="published")
    claim = ClaimFactory(profile=profile, verified=verified)
    ClaimEvidenceFactory(
        claim=claim,
        evidence=EvidenceFactory(kind=kind, reliability=reliability, review_status="reviewed", published_on=TODAY),
    )
    return profile, claim


# --- bulk_writes -------------------------------------------------------------------------------


def test_insert_rows_returns_the_new_ids_in_row_order():
    profile = ProfileFactory()
    names = ["profile_id", "question_en", "question_zh_hans", "question", "answer_en", "answer_zh_hans", "answer",
             "visibility", "position"]  # fmt: skip
    rows = [(profile.pk, f"Q{i}?", "", f"Q{i}?", "", "", "", "public", i) for i in range(3)]

    ids = bulk_writes.insert_rows(FaqEntry, names, rows, returning=True)

    assert [FaqEntry.objects.get(pk=pk).question_en for pk in ids] == ["Q0?", "Q1?", "Q2?"]


def test_update_rows_sets_only_the_given_rows_and_columns():
    first, second = scored_profile("first")[1], scored_profile("second")[1]
    explanation = {"score": "0.42", "note": "中文 text"}
    text, verified = first.text_en, first.verified

    bulk_writes.update_rows(Claim, ["id", "score", "explanation"], [(first.pk, Decimal("0.42"), explanation)])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.score, first.explanation) == (Decimal("0.42"), explanation)
    assert (first.text_en, first.verified) == (text, verified)  # other columns untouched
    assert second.score == Decimal("0.00")


# --- recompute_scores in batches ----------------------------------------------------------------


def test_recompute_in_batches_stores_the_same_scores_as_one_batch(monkeypatch):
    for i, (kind, reliability) in enumerate([("direct", "A"), ("reporting", "B"), ("secondary", "C"), ("internal", "F"), ("direct", "D")]):
        scored_profile(f"p{i}", kind=kind, reliability=reliability)
    scoring.recompute_scores(as_of=TODAY)
    expected = list(Claim.objects.order_by("pk").values_list("score", "explanation"))
    Claim.objects.update(score=Decimal("0.00"), explanation={})
    Profile.objects.update(score=Decimal("0.00"), explanation={})

    monkeypatch.setattr(scoring, "RECOMPUTE_BATCH", 2)
    assert scoring.recompute_scores(as_of=TODAY) == 5

    assert list(Claim.objects.order_by("pk").values_list("score", "explanation")) == expected


def test_a_moved_score_bumps_the_version_and_enters_the_feed_in_slug_order(monkeypatch):
    monkeypatch.setattr(scoring, "RECOMPUTE_BATCH", 1)
    for slug in ("zulu", "alpha", "mike"):
        scored_profile(slug)
    versions = dict(Profile.objects.values_list("slug", "version"))

    scoring.recompute_scores(as_of=TODAY)

    assert list(ProfileChange.objects.values_list("slug", "action")) == [
        ("alpha", "updated"), ("mike", "updated"), ("zulu", "updated")
    ]
    assert {slug: version - versions[slug] for slug, version in Profile.objects.values_list("slug", "version")} == {
        "alpha": 1, "mike": 1, "zulu": 1
    }
    assert Profile.objects.get(slug="alpha").score == Decimal("0.80")


def test_an_unverified_claim_scores_but_does_not_count_for_its_profile():
    profile, claim = scored_profile("quiet", verified=False)

    scoring.recompute_scores(as_of=TODAY)

    claim.refresh_from_db()
    profile.refresh_from_db()
    assert claim.score == Decimal("0.80")
    assert profile.score == Decimal("0.00")
    assert profile.explanation["claims"] == 0


# --- export_graphs ------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", [STAFF, MEMBER, ANONYMOUS], ids=["staff", "member", "anonymous"])
def test_export_from_rows_equals_export_from_the_prefetched_graph(audience, seed_document):
    service.import_text(json.dumps(seed_document))
    for i in range(3):
        scored_profile(f"extra-{i}", verified=bool(i % 2))
    ProfileFactory(slug="draft-one", status="draft")
    bands = current_bands()

    from_graph = [export_document(p, bands, audience) for p in profile_graphs(audience)]
    from_rows = [export_document(p, bands, audience) for p in export_graphs(audience, chunk=2)]

    assert from_rows == from_graph
    assert ("draft-one" in [doc["slug"] for doc in from_rows]) is audience.is_staff
