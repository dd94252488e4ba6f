"""The analyst desk (/admin/): who gets in, and how a profile is edited and saved."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from profiles.accounts.roles import assign_role
from profiles.models import (
    ChangeAction,
    Claim,
    EvidenceKind,
    Profile,
    ProfileChange,
    ProfileStatus,
    Reliability,
    ReviewStatus,
    TimeHorizon,
)
from tests.admin_client import add_inline_row, change_form_data, change_url, form_errors, post_change
from tests.factories import (
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceFactory,
    MembershipFactory,
    ProfileEvidenceFactory,
    ProfileFactory,
    UserFactory,
)
from tests.queries import session_queries

pytestmark = pytest.mark.django_db
STALE_MESSAGE = "Someone else saved this profile since you opened it"


# Who gets in ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_admin_login(client, draft_profile):
    for url in ("/admin/", "/admin/profiles/profile/", change_url(draft_profile)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_members_get_no_admin_access(client, draft_profile):
    member = MembershipFactory(user=UserFactory()).user
    client.force_login(member)
    for url in ("/admin/", "/admin/profiles/profile/", change_url(draft_profile), "/admin/profiles/confidenceband/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_a_member_cannot_log_in_to_the_admin(client):
    member = assign_role(UserFactory(username="reader"), "member")
    response = client.post("/admin/login/?next=/admin/", {"username": member.username, "password": "a-long-test-password"})
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_analysts_and_editors_get_the_branded_desk(client, analyst_user, editor_user):
    for user in (analyst_user, editor_user):
        client.force_login(user)
        response = client.get("/admin/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "Infrastructure Intelligence Registry — analyst desk" in page
        assert "Review queue" in page


# Adding and changing a profile ----------------------------------------------------------


def test_an_analyst_adds_a_profile_with_a_claim_in_both_languages(analyst_client):
    response = analyst_client.get("/admin/profiles/profile/add/")
    data = change_form_data(
        response,
        slug="new-registry",
        kind="institution",
        name_en="New Registry",
        name_zh_hans="新注册局",
        summary_en="A registry.",
        summary_zh_hans="一个注册局。",
        **{"claims-0-section": "public_role", "claims-0-text_en": "It runs a registry.",
           "claims-0-text_zh_hans": "它运营一个注册局。", "claims-0-visibility": "public",
           "claims-0-verified": "on", "claims-0-position": "0"},
    )  # fmt: skip
    response = analyst_client.post("/admin/profiles/profile/add/", data)
    assert response.status_code == 302, form_errors(response)
    profile = Profile.objects.get(slug="new-registry")
    assert (profile.name_en, profile.name_zh_hans, profile.status) == ("New Registry", "新注册局", ProfileStatus.DRAFT)
    claim = profile.claims.get()
    assert (claim.text_en, claim.text_zh_hans) == ("It runs a registry.", "它运营一个注册局。")
    assert profile.version == 1
    last = ProfileChange.objects.last()
    assert (last.slug, last.action, last.public_before, last.public_after) == ("new-registry", "created", False, False)


def test_every_save_raises_the_version_sets_updated_at_recomputes_and_records_a_change(analyst_client, draft_profile):
    before = Profile.objects.get(pk=draft_profile.pk)
    changes_before = ProfileChange.objects.count()
    response = post_change(analyst_client, change_url(draft_profile), score_override="0.42", override_reason="Analyst view.")
    assert response.status_code == 302, form_errors(response)
    draft_profile.refresh_from_db()
    assert draft_profile.version > before.version
    assert draft_profile.updated_at > before.updated_at
    assert draft_profile.score == Decimal("0.42")  # recomputed: the override is the effective score
    assert draft_profile.explanation["override"] == "0.42"
    assert ProfileChange.objects.count() == changes_before + 1
    assert ProfileChange.objects.last().action == ChangeAction.UPDATED


def test_the_form_carries_the_version_it_was_loaded_with(analyst_client, draft_profile):
    response = analyst_client.get(change_url(draft_profile))
    assert f'name="loaded_version" value="{draft_profile.version}"' in response.content.decode()


def test_status_cannot_be_changed_through_the_form(analyst_client, draft_profile):
    url = change_url(draft_profile)
    data = change_form_data(analyst_client.get(url), status="published", summary_en="Changed.")
    response = analyst_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    draft_profile.refresh_from_db()
    assert draft_profile.summary_en == "Changed."
    assert draft_profile.status == ProfileStatus.DRAFT
    assert "status" not in analyst_client.get(url).context["adminform"].form.fields


def test_computed_score_grade_and_explanation_show_read_only_beside_the_override(analyst_client):
    profile = ProfileFactory(status=ProfileStatus.DRAFT)
    claim = ClaimFactory(profile=profile)
    ClaimEvidenceFactory(claim=claim, evidence=EvidenceFactory(kind=EvidenceKind.DIRECT, reliability=Reliability.A))
    post_change(analyst_client, change_url(profile))  # a save computes the scores
    response = analyst_client.get(change_url(profile))
    page = response.content.decode()
    form = response.context["adminform"].form
    assert "computed_score" not in form.fields and "score_override" in form.fields and "override_reason" in form.fields
    assert "Mean of 1 verified claims: 0.80, rounds to 0.80." in page
    assert "A/B — Strong" in page  # 0.80 is in the A/B band
    claim_page = analyst_client.get(f"/admin/profiles/claim/{claim.pk}/change/").content.decode()
    assert "0.8000 × 1.0000 = 0.8000 — counted" in claim_page


# No lost updates ------------------------------------------------------------------------


def test_a_save_based_on_an_older_version_is_refused_and_the_other_edit_stays(client, analyst_user, editor_user, draft_profile):
    url = change_url(draft_profile)
    client.force_login(analyst_user)
    stale_page = client.get(url)  # the analyst opens the profile…

    other = type(client)()
    other.force_login(editor_user)
    assert post_change(other, url, summary_en="The editor's summary.").status_code == 302  # …an editor saves first

    data = change_form_data(stale_page, summary_en="The analyst's summary.")
    response = client.post(url, data)
    assert response.status_code == 200
    assert STALE_MESSAGE in response.content.decode()
    assert any(STALE_MESSAGE in error for error in response.context["adminform"].form.non_field_errors())
    draft_profile.refresh_from_db()
    assert draft_profile.summary_en == "The editor's summary."


def test_a_stale_save_of_inlines_only_is_refused_too(client, analyst_user, editor_user, draft_profile):
    url = change_url(draft_profile)
    client.force_login(analyst_user)
    stale_page = client.get(url)
    other = type(client)()
    other.force_login(editor_user)
    assert post_change(other, url, summary_en="Edited meanwhile.").status_code == 302

    data = change_form_data(stale_page, **{"claims-0-text_en": "Rewritten claim."})
    response = client.post(url, data)
    assert STALE_MESSAGE in response.content.decode()
    assert Claim.objects.get(profile=draft_profile).text_en == "A public claim."


def test_a_save_without_a_version_is_refused(analyst_client, draft_profile):
    url = change_url(draft_profile)
    data = change_form_data(analyst_client.get(url), loaded_version=None, summary_en="No version.")
    response = analyst_client.post(url, data)
    assert STALE_MESSAGE in response.content.decode()
    draft_profile.refresh_from_db()
    assert draft_profile.summary_en == "First summary."


def test_the_whole_save_is_atomic_an_invalid_inline_saves_nothing(analyst_client, draft_profile):
    url = change_url(draft_profile)
    version = Profile.objects.get(pk=draft_profile.pk).version
    data = change_form_data(analyst_client.get(url), summary_en="Should not be saved.")
    add_inline_row(data, "watchpoints", text_en="Watch this.", kind="other", status="open", visibility="public",
                   position="0", review_by=(date.today() - timedelta(days=3)).isoformat())  # fmt: skip
    response = analyst_client.post(url, data)
    assert response.status_code == 200
    draft_profile.refresh_from_db()
    assert (draft_profile.summary_en, draft_profile.version) == ("First summary.", version)
    assert not draft_profile.watchpoints.exists()


def test_saving_a_claim_on_its_own_page_is_an_edit_of_its_profile(analyst_client, draft_profile):
    claim = draft_profile.claims.get()
    version = Profile.objects.get(pk=draft_profile.pk).version
    url = f"/admin/profiles/claim/{claim.pk}/change/"
    evidence = EvidenceFactory()
    data = change_form_data(analyst_client.get(url))
    add_inline_row(data, "evidence_links", evidence=str(evidence.pk), stance="supports", note_en="Basis.",
                   note_zh_hans="依据。", position="0")  # fmt: skip
    response = analyst_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    assert response["Location"] == change_url(draft_profile)  # back to the profile
    link = claim.evidence_links.get()
    assert (link.evidence, link.note_en, link.note_zh_hans) == (evidence, "Basis.", "依据。")
    draft_profile.refresh_from_db()
    assert draft_profile.version > version
    claim.refresh_from_db()
    assert claim.score == Decimal("0.80")


def test_a_stale_claim_page_is_refused(client, analyst_user, editor_user, draft_profile):
    claim = draft_profile.claims.get()
    url = f"/admin/profiles/claim/{claim.pk}/change/"
    client.force_login(analyst_user)
    stale_page = client.get(url)
    other = type(client)()
    other.force_login(editor_user)
    assert post_change(other, change_url(draft_profile), summary_en="Meanwhile.").status_code == 302
    response = client.post(url, change_form_data(stale_page, text_en="Overwritten?"))
    assert STALE_MESSAGE in response.content.decode()
    claim.refresh_from_db()
    assert claim.text_en == "A public claim."


def test_a_published_profiles_slug_is_read_only(analyst_client):
    profile = ProfileFactory(status=ProfileStatus.PUBLISHED, published_at=timezone.now())
    form = analyst_client.get(change_url(profile)).context["adminform"].form
    assert "slug" not in form.fields


def test_claims_of_a_published_profile_are_retracted_not_deleted(analyst_client):
    profile = ProfileFactory(status=ProfileStatus.PUBLISHED, published_at=timezone.now())
    ClaimFactory(profile=profile)
    formsets = {f.formset.prefix: f.formset for f in analyst_client.get(change_url(profile)).context["inline_admin_formsets"]}
    assert formsets["claims"].can_delete is False


# The profile list -----------------------------------------------------------------------


def _listed(client, query=""):
    response = client.get(f"/admin/profiles/profile/{query}")
    assert response.status_code == 200
    return {profile.slug for profile in response.context["cl"].result_list}


def test_profiles_filter_by_grade_from_the_live_band_table(analyst_client):
    ProfileFactory(slug="strong", score=Decimal("0.80"))
    ProfileFactory(slug="high", score=Decimal("0.95"))
    ProfileFactory(slug="weak", score=Decimal("0.05"))
    assert _listed(analyst_client, "?grade=A") == {"high"}
    assert _listed(analyst_client, "?grade=A/B") == {"strong"}
    assert _listed(analyst_client, "?grade=D") == {"weak"}


def test_profiles_filter_by_status_kind_and_region_and_search(analyst_client):
    ProfileFactory(slug="a-draft", status=ProfileStatus.DRAFT, region="Asia", name_en="Pacific Registry")
    ProfileFactory(slug="a-topic", kind="topic", region="Europe", name_en="Route Security")
    assert _listed(analyst_client, "?status__exact=draft") == {"a-draft"}
    assert _listed(analyst_client, "?kind__exact=topic") == {"a-topic"}
    assert _listed(analyst_client, "?region=Asia") == {"a-draft"}
    assert _listed(analyst_client, "?q=pacific") == {"a-draft"}


def test_profiles_filter_by_staleness(analyst_client):
    old = timezone.now() - timedelta(days=40)
    ProfileFactory(slug="stale", time_horizon=TimeHorizon.NEXT_MONTH, last_reviewed_at=old)
    ProfileFactory(slug="fresh", time_horizon=TimeHorizon.NEXT_QUARTER, last_reviewed_at=old)
    assert _listed(analyst_client, "?stale=yes") == {"stale"}
    assert _listed(analyst_client, "?stale=no") == {"fresh"}


def test_profiles_filter_by_pending_evidence(analyst_client):
    listed = ProfileFactory(slug="listed")
    ProfileEvidenceFactory(profile=listed, evidence=EvidenceFactory(review_status=ReviewStatus.PENDING))
    cited = ProfileFactory(slug="cited")
    ClaimEvidenceFactory(claim=ClaimFactory(profile=cited), evidence=EvidenceFactory(review_status=ReviewStatus.PENDING))
    ProfileEvidenceFactory(profile=ProfileFactory(slug="clean"))
    assert _listed(analyst_client, "?pending_evidence=yes") == {"listed", "cited"}
    assert _listed(analyst_client, "?pending_evidence=no") == {"clean"}


def test_evidence_and_related_profiles_are_found_by_autocomplete(analyst_client, draft_profile):
    EvidenceFactory(title_en="Annual report 2025", publisher="Registry Inc")
    response = analyst_client.get(
        "/admin/autocomplete/",
        {"term": "annual", "app_label": "profiles", "model_name": "claimevidence", "field_name": "evidence"},
    )
    assert [result["text"] for result in response.json()["results"]] == ["Annual report 2025"]
    response = analyst_client.get(
        "/admin/autocomplete/",
        {"term": draft_profile.name_en, "app_label": "profiles", "model_name": "relationship", "field_name": "target"},
    )
    assert [result["id"] for result in response.json()["results"]] == [str(draft_profile.pk)]


# SQL queries per page of a desk list beyond the session (tests/queries.py), the same whatever
# the number of rows. Both: the user, its two permission reads, a savepoint and its release, the
# count twice (filtered, total) and the page of rows. The profile list adds the band table, read
# three times, and the region filter's choices.
PROFILE_LIST_QUERIES = 12
EVIDENCE_LIST_QUERIES = 8


def test_the_profile_list_runs_a_fixed_number_of_queries(analyst_client, django_assert_num_queries):
    for batch in (1, 15):
        ProfileFactory.create_batch(batch)
        with django_assert_num_queries(session_queries() + PROFILE_LIST_QUERIES):
            response = analyst_client.get("/admin/profiles/profile/")
        assert response.status_code == 200
    assert response.context["cl"].result_count == 16


def test_the_evidence_list_runs_a_fixed_number_of_queries(analyst_client, django_assert_num_queries):
    EvidenceFactory()
    for batch in (0, 15):
        ClaimEvidenceFactory.create_batch(batch)  # each a source cited by a claim of its own profile
        with django_assert_num_queries(session_queries() + EVIDENCE_LIST_QUERIES):
            response = analyst_client.get("/admin/profiles/evidencerecord/")
        assert response.status_code == 200
    assert response.context["cl"].result_count == 16


def test_every_demo_profile_saves_unchanged_through_the_desk(analyst_client):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo", "--no-accounts", stdout=StringIO())
    for profile in Profile.objects.all():
        response = post_change(analyst_client, change_url(profile))
        assert response.status_code == 302, (profile.slug, form_errors(response))


def test_a_text_in_chinese_only_is_enough(analyst_client, draft_profile):
    response = post_change(analyst_client, change_url(draft_profile), **{"claims-0-text_en": "", "claims-0-text_zh_hans": "仅中文。"})
    assert response.status_code == 302, form_errors(response)
    assert draft_profile.claims.get().text == "仅中文。"


def test_a_required_text_in_neither_language_is_refused_next_to_the_english_field(analyst_client, draft_profile):
    response = post_change(analyst_client, change_url(draft_profile), **{"claims-0-text_en": "", "claims-0-text_zh_hans": ""})
    assert response.status_code == 200
    assert form_errors(response)["claims-0-text_en"] == ["Fill this in, in English or Simplified Chinese (or both)."]
    assert draft_profile.claims.get().text_en == "A public claim."


def test_an_editor_deletes_a_profile_and_the_changes_feed_keeps_a_tombstone(client, editor_user):
    profile = ProfileFactory(slug="going-away")
    client.force_login(editor_user)
    response = client.post(f"/admin/profiles/profile/{profile.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Profile.objects.filter(slug="going-away").exists()
    last = ProfileChange.objects.last()
    assert (last.slug, last.action, last.public_before, last.public_after) == ("going-away", "deleted", True, False)


def test_analysts_cannot_delete_profiles(analyst_client, draft_profile):
    assert analyst_client.post(f"/admin/profiles/profile/{draft_profile.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Profile.objects.filter(pk=draft_profile.pk).exists()
