"""Writing over the API: who may, conditional requests (ETag, If-Match), validation, the workflow."""

import json

import pytest

from profiles.models import (
    Claim,
    ClaimEvidence,
    EvidenceRecord,
    Profile,
    ProfileChange,
    ProfileStatus,
    Visibility,
)
from tests.api_support import API, error_of
from tests.factories import EvidenceFactory, ProfileEvidenceFactory, ProfileFactory, user_with_role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits", "band_table")]

NEW_PROFILE = {"slug": "new-exchange", "kind": "institution", "name": {"en": "New exchange", "zh-hans": "新交换中心"}}


def etag_of(client, slug):
    response = client.get(f"{API}/profiles/{slug}/")
    assert response.status_code == 200
    return response["ETag"]


def patch(client, url, data, etag):
    return client.patch(url, data, format="json", HTTP_IF_MATCH=etag)


# --- ETags and conditional requests ---------------------------------------------------------


def test_every_read_has_an_etag_and_if_none_match_gives_304(anonymous_api):
    profile = ProfileFactory()
    for url in [f"{API}/profiles/", f"{API}/profiles/{profile.slug}/", f"{API}/profiles/{profile.slug}/timeline/",
                f"{API}/confidence-bands/", f"{API}/changes/", f"{API}/"]:  # fmt: skip
        response = anonymous_api.get(url)
        assert response.status_code == 200 and response["ETag"].startswith('"'), url
        again = anonymous_api.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304 and again.content == b"", url
        assert again["ETag"] == response["ETag"]
        assert anonymous_api.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_profile_etag_differs_by_language_and_audience_and_changes_with_the_profile(anonymous_api, member_api):
    profile = ProfileFactory(name_en="Exchange", name_zh_hans="交换中心")
    url = f"{API}/profiles/{profile.slug}/"
    english = anonymous_api.get(url)["ETag"]
    assert anonymous_api.get(url + "?lang=zh-hans")["ETag"] != english
    assert english.startswith(f'"p{profile.pk}v{profile.version}-')
    Profile.objects.filter(pk=profile.pk).update(version=profile.version + 1, summary_en="Changed.")
    assert anonymous_api.get(url, HTTP_IF_NONE_MATCH=english).status_code == 200


def test_patch_without_if_match_is_428(analyst_api):
    profile = ProfileFactory()
    response = analyst_api.patch(f"{API}/profiles/{profile.slug}/", {"region": "Global"}, format="json")
    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"


def test_delete_without_if_match_is_428(editor_api):
    profile = ProfileFactory()
    assert editor_api.delete(f"{API}/profiles/{profile.slug}/").status_code == 428
    assert Profile.objects.filter(pk=profile.pk).exists()


def test_a_stale_if_match_is_412_and_changes_nothing(analyst_api):
    profile = ProfileFactory(region="Old")
    etag = etag_of(analyst_api, profile.slug)
    assert patch(analyst_api, f"{API}/profiles/{profile.slug}/", {"region": "First"}, etag).status_code == 200
    response = patch(analyst_api, f"{API}/profiles/{profile.slug}/", {"region": "Second"}, etag)
    assert response.status_code == 412
    assert error_of(response)["code"] == "precondition_failed"
    profile.refresh_from_db()
    assert profile.region == "First"


def test_an_etag_of_another_profile_or_a_weak_one_is_412(analyst_api):
    one, two = ProfileFactory(), ProfileFactory()
    url = f"{API}/profiles/{one.slug}/"
    assert patch(analyst_api, url, {"region": "X"}, etag_of(analyst_api, two.slug)).status_code == 412
    assert patch(analyst_api, url, {"region": "X"}, "W/" + etag_of(analyst_api, one.slug)).status_code == 412
    assert patch(analyst_api, url, {"region": "X"}, "garbage").status_code == 412


def test_the_etag_of_any_language_and_sub_resource_allows_the_write(analyst_api):
    profile = ProfileFactory()
    etag = analyst_api.get(f"{API}/profiles/{profile.slug}/faq/?lang=zh-hans")["ETag"]
    response = patch(analyst_api, f"{API}/profiles/{profile.slug}/", {"region": "Global"}, etag)
    assert response.status_code == 200
    assert response["ETag"] != etag  # the new version's tag, to chain the next write with
    assert patch(analyst_api, f"{API}/profiles/{profile.slug}/", {"region": "Asia"}, response["ETag"]).status_code == 200


# --- Who may write --------------------------------------------------------------------------


def test_anonymous_writes_are_401_with_a_token_challenge(anonymous_api):
    response = anonymous_api.post(f"{API}/profiles/", NEW_PROFILE, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"


def test_members_may_not_write(member_api):
    profile = ProfileFactory()
    assert member_api.post(f"{API}/profiles/", NEW_PROFILE, format="json").status_code == 403
    response = member_api.patch(f"{API}/profiles/{profile.slug}/", {"region": "X"}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 403


def test_session_writes_need_the_csrf_token():
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user_with_role("analyst"))
    response = client.post(f"{API}/profiles/", NEW_PROFILE, format="json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]


# --- Profiles -------------------------------------------------------------------------------


def test_analyst_creates_a_draft_and_it_enters_the_changes_feed(analyst_api, anonymous_api):
    response = analyst_api.post(f"{API}/profiles/", NEW_PROFILE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["slug"], body["status"], body["name"]) == ("new-exchange", "draft", "New exchange")
    assert response["Location"].endswith("/api/v1/profiles/new-exchange/")
    change = ProfileChange.objects.last()
    assert (change.slug, change.action, change.public_after) == ("new-exchange", "created", False)
    assert anonymous_api.get(f"{API}/profiles/new-exchange/").status_code == 404


def test_creating_a_taken_slug_is_400_on_slug(analyst_api):
    ProfileFactory(slug="new-exchange")
    response = analyst_api.post(f"{API}/profiles/", NEW_PROFILE, format="json")
    assert response.status_code == 400
    assert "slug" in error_of(response)["fields"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"kind": "animal"}, "kind"),
        ({"name": {"fr": "Nom"}}, "name"),
        ({"name": {"en": ""}}, "name"),
        ({"name": 42}, "name"),
        ({"score_override": {"score": 1.5, "reason": "Sure."}}, "score_override.score"),
        ({"score_override": {"score": "NaN", "reason": "Sure."}}, "score_override.score"),
        ({"score_override": {"score": 0.5}}, "score_override.reason"),
        ({"importance": {"criticality": "extreme"}}, "importance.criticality"),
        ({"facets": {"topics": ["dns", "dns"]}}, "facets.topics"),
        ({"briefing": {"visibility": "public"}}, "briefing.visibility"),
        ({"status": "published"}, "status"),
        ({"aliases": "not a list"}, "aliases"),
        ({"region": "x" * 101}, "region"),
    ],
)
def test_invalid_profile_fields_are_400_with_the_field_named(analyst_api, change, field):
    response = analyst_api.post(f"{API}/profiles/", {**NEW_PROFILE, **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"], error_of(response)
    assert not Profile.objects.filter(slug=NEW_PROFILE["slug"]).exists()


def test_patch_changes_fields_raises_the_version_and_rescores(analyst_api):
    profile = ProfileFactory(name_en="Old", name_zh_hans="旧")
    version = profile.version
    response = patch(
        analyst_api, f"{API}/profiles/{profile.slug}/",
        {"name": {"en": "New"}, "facets": {"topics": ["dns", "rpki"]},
         "score_override": {"score": "0.815", "reason": "Direct filing."}},
        etag_of(analyst_api, profile.slug),
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "New" and body["facets"]["topics"] == ["dns", "rpki"]
    assert body["confidence"]["score"] == "0.82" and body["confidence"]["overridden"] is True
    profile.refresh_from_db()
    assert profile.version > version
    assert (profile.name_en, profile.name_zh_hans) == ("New", "旧")
    assert ProfileChange.objects.filter(slug=profile.slug, action="updated").exists()


def test_analyst_cannot_publish_through_the_api(analyst_api):
    profile = ProfileFactory(status=ProfileStatus.IN_REVIEW)
    response = patch(analyst_api, f"{API}/profiles/{profile.slug}/", {"status": "published", "region": "X"},
                     etag_of(analyst_api, profile.slug))  # fmt: skip
    assert response.status_code == 403
    assert "editor" in error_of(response)["message"]
    profile.refresh_from_db()
    assert (profile.status, profile.region) == (ProfileStatus.IN_REVIEW, "")


def test_analyst_submits_and_an_editor_publishes(analyst_api, editor_api, anonymous_api):
    profile = ProfileFactory(status=ProfileStatus.DRAFT)
    url = f"{API}/profiles/{profile.slug}/"
    assert patch(analyst_api, url, {"status": "in_review"}, etag_of(analyst_api, profile.slug)).json()["status"] == "in_review"
    response = patch(editor_api, url, {"status": "published"}, etag_of(editor_api, profile.slug))
    assert response.status_code == 200, response.content
    assert anonymous_api.get(url).status_code == 200
    assert profile.transitions.count() == 2


def test_a_move_the_workflow_lacks_is_400_on_status(editor_api):
    profile = ProfileFactory(status=ProfileStatus.DRAFT)
    response = patch(editor_api, f"{API}/profiles/{profile.slug}/", {"status": "archived"}, etag_of(editor_api, profile.slug))
    assert response.status_code == 400
    assert "status" in error_of(response)["fields"]


def test_only_editors_delete_profiles_and_a_tombstone_remains(analyst_api, editor_api):
    profile = ProfileFactory()
    url = f"{API}/profiles/{profile.slug}/"
    assert analyst_api.delete(url, HTTP_IF_MATCH=etag_of(analyst_api, profile.slug)).status_code == 403
    assert editor_api.delete(url, HTTP_IF_MATCH=etag_of(editor_api, profile.slug)).status_code == 204
    assert not Profile.objects.filter(slug=profile.slug).exists()
    change = ProfileChange.objects.last()
    assert (change.slug, change.action, change.public_before) == (profile.slug, "deleted", True)


# --- Parts ----------------------------------------------------------------------------------


@pytest.fixture
def sourced():
    profile = ProfileFactory(slug="sourced")
    record = EvidenceFactory(url="https://example.org/a", publisher="Registry", kind="direct", reliability="A")
    ProfileEvidenceFactory(profile=profile, evidence=record, key="a")
    other = EvidenceFactory(url="https://example.org/b", publisher="Press", kind="reporting")
    ProfileEvidenceFactory(profile=profile, evidence=other, key="b")
    return profile, record, other


def test_adding_a_claim_with_evidence_scores_it(analyst_api, sourced):
    profile, record, other = sourced
    response = analyst_api.post(
        f"{API}/profiles/sourced/claims/",
        {"section": "function", "text": "It runs the exchange.", "verified": True,
         "evidence": [{"evidence": record.pk, "note": "Filing, p. 2"}, {"evidence": other.pk, "stance": "supports"}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    claim = response.json()
    assert claim["text"] == "It runs the exchange." and len(claim["evidence"]) == 2
    assert claim["confidence"]["score"] != "0.00"
    profile.refresh_from_db()
    assert profile.score == Claim.objects.get(pk=claim["id"]).score


def test_a_claim_may_cite_only_the_profiles_sources(analyst_api, sourced):
    stranger = EvidenceFactory()
    response = analyst_api.post(f"{API}/profiles/sourced/claims/",
                            {"section": "function", "text": "X.", "evidence": [{"evidence": stranger.pk}]},
                            format="json")  # fmt: skip
    assert response.status_code == 400
    assert "evidence[0]" in error_of(response)["fields"]
    assert not Claim.objects.filter(profile__slug="sourced").exists()


def test_a_claim_override_needs_a_reason(analyst_api, sourced):
    response = analyst_api.post(f"{API}/profiles/sourced/claims/",
                            {"section": "function", "text": "X.", "score_override": {"score": 0.5}}, format="json")
    assert response.status_code == 400 and "score_override.reason" in error_of(response)["fields"]


def test_claims_are_retracted_not_deleted(analyst_api, sourced):
    claim = Claim.objects.create(profile=sourced[0], section="function", text_en="Wrong.", verified=True)
    url = f"{API}/profiles/sourced/claims/{claim.pk}/"
    etag = etag_of(analyst_api, "sourced")
    response = analyst_api.delete(url, HTTP_IF_MATCH=etag)
    assert response.status_code == 405 and "retracted" in error_of(response)["message"]
    response = patch(analyst_api, url, {"retraction": {"reason": "The filing says otherwise."}}, etag)
    assert response.status_code == 200
    assert response.json()["retraction"]["reason"] == "The filing says otherwise."


def test_adding_evidence_reuses_a_source_by_normalised_url(analyst_api, sourced):
    elsewhere = EvidenceFactory(url="https://Example.org/shared/", normalized_url="https://example.org/shared")
    response = analyst_api.post(f"{API}/profiles/sourced/evidence/",
                            {"title": "Shared", "url": "https://example.org/shared", "kind": "secondary"},
                            format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["id"] == elsewhere.pk
    assert EvidenceRecord.objects.filter(normalized_url="https://example.org/shared").count() == 1


@pytest.mark.parametrize("url", ["ftp://example.org/x", "javascript:alert(1)", "not a url"])
def test_evidence_urls_must_be_http_or_https(analyst_api, sourced, url):
    response = analyst_api.post(f"{API}/profiles/sourced/evidence/", {"title": "X", "url": url, "kind": "direct"},
                            format="json")  # fmt: skip
    assert response.status_code == 400 and "url" in error_of(response)["fields"]


def test_removing_a_source_removes_the_profiles_citations_of_it(analyst_api, sourced):
    profile, record, _other = sourced
    claim = Claim.objects.create(profile=profile, section="function", text_en="X.", verified=True)
    ClaimEvidence.objects.create(claim=claim, evidence=record)
    response = analyst_api.delete(f"{API}/profiles/sourced/evidence/{record.pk}/", HTTP_IF_MATCH=etag_of(analyst_api, "sourced"))
    assert response.status_code == 204
    assert not ClaimEvidence.objects.filter(claim=claim).exists()
    assert EvidenceRecord.objects.filter(pk=record.pk).exists()


def test_a_relationship_may_not_point_to_its_own_profile(analyst_api, sourced):
    response = analyst_api.post(f"{API}/profiles/sourced/relationships/", {"target": "sourced"}, format="json")
    assert response.status_code == 400 and "target" in error_of(response)["fields"]
    response = analyst_api.post(f"{API}/profiles/sourced/relationships/", {"target": "nowhere"}, format="json")
    assert response.status_code == 400 and "target" in error_of(response)["fields"]


def shows(expected, actual):
    """True when `actual` holds every key of `expected` with its value (in nested mappings and lists too)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(key in actual and shows(value, actual[key])
                                                for key, value in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(shows, expected, actual))
    return expected == actual


def in_the_detail(client, part, item_id):
    """(the profile's version, the item as the detail shows it in every language, or None)."""
    detail = client.get(f"{API}/profiles/sourced/?lang=all").json()
    return detail["version"], next((item for item in detail[part] if item["id"] == item_id), None)


# Each part: what is written (from the profile's two sources), what the detail then shows;
# the change, and what the detail shows after it. Texts are read with lang=all.
PART_WRITES = {
    "evidence": (
        lambda a, b: {"title": {"en": "Annual filing", "zh-hans": "年度申报"}, "url": "https://example.org/filing",
                      "publisher": "Registry", "kind": "direct", "reliability": "A", "key": "filing"},
        lambda a, b: {"title": {"en": "Annual filing", "zh-hans": "年度申报"}, "url": "https://example.org/filing",
                      "publisher": "Registry", "kind": "direct", "reliability": "A", "key": "filing"},
        lambda a, b: {"title": {"en": "Annual filing, 2026"}, "publisher": "Registry of record", "reliability": "B",
                      "review_status": "rejected"},
        lambda a, b: {"title": {"en": "Annual filing, 2026", "zh-hans": "年度申报"}, "publisher": "Registry of record",
                      "reliability": "B", "review_status": "rejected", "url": "https://example.org/filing"},
    ),
    "claims": (
        lambda a, b: {"section": "function", "text": {"en": "It runs the exchange.", "zh-hans": "它运营交换中心。"},
                      "verified": True, "evidence": [{"evidence": a.pk, "note": "Filing, p. 2"}]},
        lambda a, b: {"section": "function", "text": {"en": "It runs the exchange.", "zh-hans": "它运营交换中心。"},
                      "verified": True, "retraction": None,
                      "evidence": [{"evidence": a.pk, "key": "a", "note": {"en": "Filing, p. 2"},
                                    "stance": "supports"}]},
        lambda a, b: {"text": {"en": "It runs the main exchange."}, "section": "governance",
                      "evidence": [{"evidence": b.pk, "stance": "contradicts"}]},
        lambda a, b: {"text": {"en": "It runs the main exchange.", "zh-hans": "它运营交换中心。"}, "section": "governance",
                      "evidence": [{"evidence": b.pk, "key": "b", "note": {}, "stance": "contradicts"}]},
    ),
    "timeline": (
        lambda a, b: {"date": "2026-01-02", "title": {"en": "Launched", "zh-hans": "启动"}, "kind": "publication",
                      "evidence": [a.pk]},
        lambda a, b: {"date": "2026-01-02", "title": {"en": "Launched", "zh-hans": "启动"}, "kind": "publication",
                      "evidence": [a.pk]},
        lambda a, b: {"date": "2026-02-03", "title": {"zh-hans": "发布"}, "evidence": [a.pk, b.pk]},
        lambda a, b: {"date": "2026-02-03", "title": {"en": "Launched", "zh-hans": "发布"}, "kind": "publication",
                      "evidence": [a.pk, b.pk]},
    ),
    "watchpoints": (
        lambda a, b: {"text": "Next filing", "review_by": "2027-01-01", "kind": "disclosure"},
        lambda a, b: {"text": {"en": "Next filing"}, "review_by": "2027-01-01", "kind": "disclosure", "status": "open",
                      "triggered_by": []},
        lambda a, b: {"status": "triggered", "triggered_by": [b.pk]},
        lambda a, b: {"text": {"en": "Next filing"}, "review_by": "2027-01-01", "status": "triggered",
                      "triggered_by": [b.pk]},
    ),
    "relationships": (
        lambda a, b: {"target": "partner", "kind": "partner", "verified": True, "evidence": [a.pk]},
        lambda a, b: {"target": {"slug": "partner"}, "kind": "partner", "verified": True, "evidence": [a.pk]},
        lambda a, b: {"note": {"en": "Since 2020.", "zh-hans": "自2020年起。"}, "kind": "member_of"},
        lambda a, b: {"target": {"slug": "partner"}, "kind": "member_of",
                      "note": {"en": "Since 2020.", "zh-hans": "自2020年起。"}},
    ),
    "faq": (
        lambda a, b: {"question": "Who runs it?", "answer": "A consortium."},
        lambda a, b: {"question": {"en": "Who runs it?"}, "answer": {"en": "A consortium."}, "visibility": "public"},
        lambda a, b: {"answer": {"zh-hans": "一个联合体。"}, "visibility": "members"},
        lambda a, b: {"question": {"en": "Who runs it?"}, "answer": {"en": "A consortium.", "zh-hans": "一个联合体。"},
                      "visibility": "members"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("part", list(PART_WRITES))
def test_every_part_is_added_changed_and_removed_as_the_detail_shows(analyst_api, anonymous_api, sourced, part):
    _profile, a, b = sourced
    ProfileFactory(slug="partner")
    create, created, change, changed = (make(a, b) for make in PART_WRITES[part])
    base = f"{API}/profiles/sourced/{part}/"
    first_etag = etag_of(analyst_api, "sourced")
    first_version, _ = in_the_detail(analyst_api, part, None)

    # Added: the detail shows it, the version and the ETag move on.
    response = analyst_api.post(base, create, format="json", HTTP_IF_MATCH=first_etag)
    assert response.status_code == 201, response.content
    item_id, added_etag = response.json()["id"], response["ETag"]
    version, item = in_the_detail(analyst_api, part, item_id)
    assert version > first_version and added_etag != first_etag
    assert shows(created, item), json.dumps(item, ensure_ascii=False)
    assert analyst_api.get(f"{base}{item_id}/?lang=all").json() == item  # the part's own address shows the same

    # Writes on the ETag read before the addition are refused and change nothing.
    stale = patch(analyst_api, f"{base}{item_id}/", change, first_etag)
    assert stale.status_code == 412 and error_of(stale)["code"] == "precondition_failed"
    assert analyst_api.post(base, create, format="json", HTTP_IF_MATCH=first_etag).status_code == 412
    assert in_the_detail(analyst_api, part, item_id) == (version, item)
    listed = analyst_api.get(base).json()["results"]
    assert len(listed) == (3 if part == "evidence" else 1)  # the sources list holds the profile's two others too

    # Changed: the detail shows the change (the languages not given kept), version and ETag move on.
    response = patch(analyst_api, f"{base}{item_id}/", change, added_etag)
    assert response.status_code == 200, response.content
    changed_etag = response["ETag"]
    changed_version, item = in_the_detail(analyst_api, part, item_id)
    assert changed_version > version and changed_etag != added_etag
    assert shows(changed, item), json.dumps(item, ensure_ascii=False)
    assert patch(analyst_api, f"{base}{item_id}/", change, added_etag).status_code == 412

    if part == "claims":  # a claim is retracted with a reason, never deleted
        def read_by_anyone():
            return [claim["id"] for claim in anonymous_api.get(f"{API}/profiles/sourced/").json()["claims"]]

        assert item_id in read_by_anyone()
        assert analyst_api.delete(f"{base}{item_id}/", HTTP_IF_MATCH=changed_etag).status_code == 405
        response = patch(analyst_api, f"{base}{item_id}/", {"retraction": {"reason": "The filing says otherwise."}},
                         changed_etag)  # fmt: skip
        assert response.status_code == 200, response.content
        removed_version, item = in_the_detail(analyst_api, part, item_id)
        assert item["retraction"]["reason"] == "The filing says otherwise."
        assert item_id not in read_by_anyone()
    else:
        assert analyst_api.delete(f"{base}{item_id}/", HTTP_IF_MATCH=added_etag).status_code == 412
        assert in_the_detail(analyst_api, part, item_id) == (changed_version, item)
        assert analyst_api.delete(f"{base}{item_id}/", HTTP_IF_MATCH=changed_etag).status_code == 204
        removed_version, item = in_the_detail(analyst_api, part, item_id)
        assert item is None
        assert analyst_api.get(f"{base}{item_id}/").status_code == 404
    assert removed_version > changed_version


def test_the_briefing_is_written_changed_and_removed_as_members_and_staff_see_it(analyst_api, member_api, anonymous_api,
                                                                                  sourced):  # fmt: skip
    url = f"{API}/profiles/sourced/"
    first_etag = etag_of(analyst_api, "sourced")
    first_version = analyst_api.get(url).json()["version"]
    briefing = {"title": {"en": "Outlook", "zh-hans": "展望"}, "body": "**Watch** the filing.", "visibility": "members"}

    written = patch(analyst_api, url, {"briefing": briefing}, first_etag)
    assert written.status_code == 200, written.content
    assert written["ETag"] != first_etag and written.json()["version"] > first_version
    shown = member_api.get(url, {"lang": "all"}).json()["briefing"]
    assert shows({"title": {"en": "Outlook", "zh-hans": "展望"}, "body": {"en": "**Watch** the filing."},
                  "visibility": "members"}, shown), shown  # fmt: skip
    assert "<strong>Watch</strong>" in shown["body_html"]["en"]
    assert anonymous_api.get(url).json()["briefing"] is None

    stale = patch(analyst_api, url, {"briefing": {"title": "Overwritten"}}, first_etag)
    assert stale.status_code == 412 and error_of(stale)["code"] == "precondition_failed"
    assert member_api.get(url, {"lang": "all"}).json()["briefing"] == shown

    changed = patch(analyst_api, url, {"briefing": {"source_notes": "From the filing.", "visibility": "internal"}},
                    written["ETag"])  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != written["ETag"] and changed.json()["version"] > written.json()["version"]
    staff_view = analyst_api.get(url).json()["briefing"]
    assert (staff_view["title"], staff_view["source_notes"], staff_view["visibility"]) == (
        "Outlook", "From the filing.", "internal")  # fmt: skip
    assert member_api.get(url).json()["briefing"] is None  # internal now: staff only

    assert patch(analyst_api, url, {"briefing": None}, written["ETag"]).status_code == 412
    removed = patch(analyst_api, url, {"briefing": None}, changed["ETag"])
    assert removed.status_code == 200 and removed.json()["version"] > changed.json()["version"]
    assert analyst_api.get(url).json()["briefing"] is None


def test_timeline_events_cite_sources_by_id(analyst_api, sourced):
    _profile, record, _other = sourced
    response = analyst_api.post(f"{API}/profiles/sourced/timeline/",
                            {"date": "2026-01-02", "title": "Filed", "evidence": [record.pk]}, format="json")
    assert response.status_code == 201 and response.json()["evidence"] == [record.pk]


def test_a_part_write_with_a_stale_etag_is_412(analyst_api, sourced):
    etag = etag_of(analyst_api, "sourced")
    assert analyst_api.post(f"{API}/profiles/sourced/faq/", {"question": "A?"}, format="json", HTTP_IF_MATCH=etag).status_code == 201
    response = analyst_api.post(f"{API}/profiles/sourced/faq/", {"question": "B?"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412


def test_members_only_parts_written_by_staff_stay_hidden_from_anonymous(analyst_api, anonymous_api, sourced):
    analyst_api.post(f"{API}/profiles/sourced/faq/", {"question": "Secret?", "visibility": Visibility.MEMBERS}, format="json")
    assert anonymous_api.get(f"{API}/profiles/sourced/faq/").json()["results"] == []
