"""Reading the registry over the API: the shapes of the list, detail, parts, bands; languages; filters."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from profiles.models import ProfileStatus, Visibility
from profiles.services.band_table import ensure_band_table, replace_band_table
from profiles.services.scoring import recompute_scores
from tests.api_support import API, error_of
from tests.conftest import SEED_SLUG
from tests.factories import (
    BriefingFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceFactory,
    ProfileEvidenceFactory,
    ProfileFactory,
    RelationshipFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]


def detail(client, slug, **params):
    response = client.get(f"{API}/profiles/{slug}/", params)
    assert response.status_code == 200, response.content
    return response.json()


# --- Detail ---------------------------------------------------------------------------------


def test_detail_has_every_section_and_confidence_with_a_two_place_score(anonymous_api, seed_profile):
    body = detail(anonymous_api, SEED_SLUG)
    for section in ("claims", "evidence", "timeline", "watchpoints", "relationships", "faq", "briefing", "confidence"):
        assert section in body
    confidence = body["confidence"]
    assert set(confidence) == {"score", "grade", "label", "overridden", "explanation"}
    assert isinstance(confidence["score"], str) and len(confidence["score"]) == 4 and confidence["score"][1] == "."
    assert confidence["score"] == str(seed_profile.score)


def test_grade_and_label_come_from_the_live_band_table(anonymous_api):
    ensure_band_table()
    profile = ProfileFactory(score_override=Decimal("0.80"), override_reason="Analyst view.")
    recompute_scores([profile])
    assert detail(anonymous_api, profile.slug)["confidence"] | {"explanation": None} == {
        "score": "0.80", "grade": "A/B", "label": "Strong", "overridden": True, "explanation": None,
    }  # fmt: skip
    replace_band_table(
        [{"lower": "0.50", "upper": "1.00", "grade": "X", "label_en": "Upper half"},
         {"lower": "0.00", "upper": "0.49", "grade": "Y", "label_en": "Lower half"}]
    )  # fmt: skip
    confidence = detail(anonymous_api, profile.slug)["confidence"]
    assert (confidence["grade"], confidence["label"]) == ("X", "Upper half")


def test_claims_carry_their_evidence_basis(anonymous_api):
    ensure_band_table()
    profile = ProfileFactory()
    record = EvidenceFactory(url="https://example.org/filing", publisher="Registry", kind="direct", reliability="A")
    ProfileEvidenceFactory(profile=profile, evidence=record, key="filing")
    claim = ClaimFactory(profile=profile, text_en="It runs the root zone.")
    ClaimEvidenceFactory(claim=claim, evidence=record, note_en="Section 2 of the filing.", stance="supports")
    recompute_scores([profile])
    body = detail(anonymous_api, profile.slug)
    [basis] = body["claims"][0]["evidence"]
    assert basis == {
        "evidence": record.pk, "key": "filing", "title": record.title_en, "publisher": "Registry",
        "published_on": record.published_on.isoformat(), "kind": "direct", "reliability": "A",
        "url": "https://example.org/filing", "note": "Section 2 of the filing.", "stance": "supports",
    }  # fmt: skip
    explanation = body["claims"][0]["confidence"]["explanation"]
    assert [entry["id"] for entry in explanation["evidence"]] == [record.pk]
    assert explanation["hidden_evidence"] == 0


def test_briefing_is_null_for_anonymous_and_shown_to_members(anonymous_api, member_api):
    profile = ProfileFactory()
    BriefingFactory(profile=profile, title_en="Deep background", body_en="**Bold** text.")
    assert detail(anonymous_api, profile.slug)["briefing"] is None
    briefing = detail(member_api, profile.slug)["briefing"]
    assert briefing["title"] == "Deep background"
    assert briefing["body"] == "**Bold** text."
    assert "<strong>Bold</strong>" in briefing["body_html"]


def test_relationships_show_only_targets_the_audience_may_see(anonymous_api, analyst_api):
    source = ProfileFactory()
    RelationshipFactory(source=source, target=ProfileFactory(slug="visible-target"))
    RelationshipFactory(source=source, target=ProfileFactory(slug="draft-target", status=ProfileStatus.DRAFT))
    targets = [r["target"]["slug"] for r in detail(anonymous_api, source.slug)["relationships"]]
    assert targets == ["visible-target"]
    staff_targets = [r["target"]["slug"] for r in detail(analyst_api, source.slug)["relationships"]]
    assert sorted(staff_targets) == ["draft-target", "visible-target"]


@pytest.mark.parametrize("status", [ProfileStatus.DRAFT, ProfileStatus.IN_REVIEW, ProfileStatus.ARCHIVED])
def test_unpublished_profiles_are_404_to_readers_and_members_but_not_staff(anonymous_api, member_api, analyst_api, status):
    profile = ProfileFactory(status=status)
    for client in (anonymous_api, member_api):
        response = client.get(f"{API}/profiles/{profile.slug}/")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
        for part in ("timeline", "evidence", "watchpoints", "relationships", "claims", "faq"):
            assert client.get(f"{API}/profiles/{profile.slug}/{part}/").status_code == 404
    assert detail(analyst_api, profile.slug)["status"] == status


# --- Languages ------------------------------------------------------------------------------


def test_texts_follow_accept_language_with_fallback(anonymous_api):
    profile = ProfileFactory(name_en="Exchange", name_zh_hans="交换中心", summary_en="Only English.")
    assert detail(anonymous_api, profile.slug)["name"] == "Exchange"
    response = anonymous_api.get(f"{API}/profiles/{profile.slug}/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    body = response.json()
    assert (body["name"], body["summary"]) == ("交换中心", "Only English.")
    assert response["Content-Language"] == "zh-hans"


def test_lang_parameter_wins_over_accept_language(anonymous_api):
    profile = ProfileFactory(name_en="Exchange", name_zh_hans="交换中心")
    body = detail(anonymous_api, profile.slug, lang="en")
    assert body["name"] == "Exchange"
    body = anonymous_api.get(f"{API}/profiles/{profile.slug}/?lang=zh-hans", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["name"] == "交换中心"


def test_lang_all_gives_text_objects_as_in_the_interchange_format(anonymous_api):
    ensure_band_table()
    profile = ProfileFactory(name_en="Exchange", name_zh_hans="交换中心", summary_en="Only English.")
    body = detail(anonymous_api, profile.slug, lang="all")
    assert body["name"] == {"en": "Exchange", "zh-hans": "交换中心"}
    assert body["summary"] == {"en": "Only English."}
    assert body["confidence"]["label"] == {"en": "Internal monitoring", "zh-hans": "内部监测"}


def test_an_unknown_language_is_a_400_naming_lang(anonymous_api):
    profile = ProfileFactory()
    response = anonymous_api.get(f"{API}/profiles/{profile.slug}/?lang=fr")
    assert response.status_code == 400
    assert "lang" in error_of(response)["fields"]


# --- Parts and bands ------------------------------------------------------------------------


@pytest.mark.parametrize("part", ["timeline", "evidence", "watchpoints", "relationships", "claims", "faq"])
def test_each_part_is_a_sub_resource_with_the_same_items_as_the_detail(anonymous_api, seed_profile, part):
    whole = detail(anonymous_api, SEED_SLUG)
    response = anonymous_api.get(f"{API}/profiles/{SEED_SLUG}/{part}/")
    assert response.status_code == 200
    assert response.json() == {"profile": SEED_SLUG, "results": whole[part]}
    for item in whole[part][:2]:
        single = anonymous_api.get(f"{API}/profiles/{SEED_SLUG}/{part}/{item['id']}/")
        assert single.status_code == 200 and single.json() == item


def test_a_part_of_another_profile_is_404(anonymous_api, seed_profile):
    other = ProfileFactory()
    event_id = detail(anonymous_api, SEED_SLUG)["timeline"][0]["id"]
    assert anonymous_api.get(f"{API}/profiles/{other.slug}/timeline/{event_id}/").status_code == 404


def test_confidence_bands_are_the_live_table(anonymous_api):
    ensure_band_table()
    body = anonymous_api.get(f"{API}/confidence-bands/").json()
    assert body["results"][0] == {"lower": "0.90", "upper": "1.00", "grade": "A", "label": "High",
                                  "description": "direct sources"}  # fmt: skip
    assert [band["grade"] for band in body["results"]] == ["A", "A/B", "B/C", "C/D", "D", "D"]


# --- List -----------------------------------------------------------------------------------


def slugs(response):
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_list_shows_published_profiles_newest_first_to_readers(anonymous_api):
    old = ProfileFactory(updated_at=timezone.now() - timedelta(days=2))
    new = ProfileFactory()
    ProfileFactory(status=ProfileStatus.DRAFT)
    assert slugs(anonymous_api.get(f"{API}/profiles/")) == [new.slug, old.slug]


def test_list_rows_have_a_summary_shape(anonymous_api):
    ensure_band_table()
    ProfileFactory(slug="one", region="Global", category="Registry")
    [row] = anonymous_api.get(f"{API}/profiles/").json()["results"]
    assert row["slug"] == "one" and row["region"] == "Global" and row["category"] == "Registry"
    assert set(row["confidence"]) == {"score", "grade", "label", "overridden"}
    assert row["url"].endswith("/api/v1/profiles/one/") and row["html_url"].endswith("/en/profiles/one/")


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"kind": "topic"}, ["topic-one"]),
        ({"region": "Asia Pacific"}, ["topic-one"]),
        ({"category": "Registry"}, ["registry-one"]),
        ({"grade": "A/B"}, ["registry-one"]),
        ({"q": "undersea"}, ["topic-one"]),
    ],
)
def test_list_filters(anonymous_api, params, expected):
    ensure_band_table()
    ProfileFactory(slug="topic-one", kind="topic", region="Asia Pacific", summary_en="Undersea cables.")
    ProfileFactory(slug="registry-one", category="Registry", score=Decimal("0.80"))
    assert slugs(anonymous_api.get(f"{API}/profiles/", params)) == expected


def test_updated_since_keeps_recent_profiles_and_refuses_a_bad_date(anonymous_api):
    ProfileFactory(slug="old", updated_at=timezone.now() - timedelta(days=10))
    ProfileFactory(slug="new")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert slugs(anonymous_api.get(f"{API}/profiles/", {"updated_since": since})) == ["new"]
    assert slugs(anonymous_api.get(f"{API}/profiles/", {"updated_since": "2000-01-01"})) == ["new", "old"]
    response = anonymous_api.get(f"{API}/profiles/", {"updated_since": "last tuesday"})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["updated_since"]


def test_status_filter_is_for_staff_only(anonymous_api, analyst_api):
    ProfileFactory(slug="draft-one", status=ProfileStatus.DRAFT)
    ProfileFactory(slug="live-one")
    assert slugs(analyst_api.get(f"{API}/profiles/", {"status": "draft"})) == ["draft-one"]
    response = anonymous_api.get(f"{API}/profiles/", {"status": "draft"})
    assert response.status_code == 400 and "status" in error_of(response)["fields"]
    assert slugs(anonymous_api.get(f"{API}/profiles/", {"status": "published"})) == ["live-one"]


@pytest.mark.parametrize("params", [{"kind": "animal"}, {"grade": "Z"}, {"ordering": "name; drop"},
                                    {"page_size": "0"}, {"page_size": "x"}, {"cursor": "not-a-cursor"}])  # fmt: skip
def test_bad_list_parameters_are_400_naming_the_parameter(anonymous_api, params):
    response = anonymous_api.get(f"{API}/profiles/", params)
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == list(params)


@pytest.mark.parametrize("ordering,expected", [("slug", ["a", "b", "c"]), ("-slug", ["c", "b", "a"]),
                                               ("-score", ["b", "c", "a"]), ("score", ["a", "c", "b"])])  # fmt: skip
def test_list_ordering(anonymous_api, ordering, expected):
    ProfileFactory(slug="a", score=Decimal("0.10"))
    ProfileFactory(slug="b", score=Decimal("0.90"))
    ProfileFactory(slug="c", score=Decimal("0.50"))
    assert slugs(anonymous_api.get(f"{API}/profiles/", {"ordering": ordering})) == expected


def test_members_only_claim_text_is_searchable_by_members_only(anonymous_api, member_api):
    profile = ProfileFactory(slug="gated")
    ClaimFactory(profile=profile, visibility=Visibility.MEMBERS, text_en="Peering secret arrangement.")
    assert slugs(anonymous_api.get(f"{API}/profiles/", {"q": "secret"})) == []
    assert slugs(member_api.get(f"{API}/profiles/", {"q": "secret"})) == ["gated"]


def test_api_root_lists_the_endpoints(anonymous_api):
    body = anonymous_api.get(f"{API}/").json()
    assert body["profiles"].endswith("/api/v1/profiles/")
    assert body["schema"].endswith("/api/schema/")
