"""History: every change to a profile and its parts is a version; diffs read; restores keep the workflow."""

from decimal import Decimal

import pytest
from reversion.models import Version

from profiles.selectors.history import profile_versions
from profiles.services import history
from profiles.services.recovery import restore_version
from profiles.models import Claim, Profile, ProfileChange, ProfileStatus, TimelineEvent, TimelineKind

from tests.admin_client import add_inline_row, change_form_data, change_url, form_errors, messages_of, move, user_with_role
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceFactory, ProfileFactory, WatchpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst():
    return user_with_role("analyst", username="ana")


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def profile():
    profile = ProfileFactory(status=ProfileStatus.DRAFT, name_en="Exchange", summary_en="First summary.")
    claim = ClaimFactory(profile=profile, text_en="First claim.")
    ClaimEvidenceFactory(claim=claim, evidence=EvidenceFactory(kind="direct", reliability="A", title_en="Filing"))
    WatchpointFactory(profile=profile, text_en="Watch the filing.")
    return profile


def save(client, profile, extra_rows=(), **changes):
    url = change_url(profile)
    data = change_form_data(client.get(url), **changes)
    for prefix, row in extra_rows:
        add_inline_row(data, prefix, **row)
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)


def versions(profile):
    return list(profile_versions(profile))


def test_an_admin_save_records_one_revision_holding_the_whole_profile(analyst_client, analyst, profile):
    save(analyst_client, profile, summary_en="Second summary.")
    [version] = versions(profile)
    assert version.revision.user == analyst
    assert "Summary [en]" in version.revision.get_comment()
    held = {(v.content_type.model, v.object_id) for v in version.revision.version_set.all()}
    claim = profile.claims.get()
    assert {("profile", str(profile.pk)), ("claim", str(claim.pk)), ("watchpoint", str(profile.watchpoints.get().pk)),
            ("claimevidence", str(claim.evidence_links.get().pk))} <= held  # fmt: skip
    assert version.field_dict["summary_en"] == "Second summary."
    assert version.field_dict["score"] == Decimal("0.80")  # the state after recomputation


def test_the_history_page_shows_who_changed_what(analyst_client, profile):
    save(analyst_client, profile, summary_en="Second summary.")
    save(analyst_client, profile, name_zh_hans="交易所")
    response = analyst_client.get(f"/admin/profiles/profile/{profile.pk}/history/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<td>ana</td>") == 2
    assert "Changed Name [zh-hans]." in page and "Changed Summary [en]." in page
    assert "Restore…" in page and "Show the changes" in page


def test_the_diff_shows_fields_in_both_languages_and_parts_added_removed_changed(analyst_client, profile):
    save(analyst_client, profile, summary_en="Second summary.")
    watchpoint_form = {"watchpoints-0-DELETE": "on"}
    save(
        analyst_client, profile,
        extra_rows=[("faq_entries", {"question_en": "Who runs it?", "question_zh_hans": "谁运营？", "answer_en": "A.",
                                     "visibility": "public", "position": "0"})],
        name_zh_hans="交易所", summary_en="Third summary.", **{"claims-0-text_en": "Rewritten claim."}, **watchpoint_form,
    )  # fmt: skip
    new, old = versions(profile)
    response = analyst_client.get(
        f"/admin/profiles/profile/{profile.pk}/history/compare/", {"from": old.pk, "to": new.pk}
    )
    diff = response.context["diff"]
    assert [(c.label, c.before, c.after) for c in diff.fields] == [
        ("Name (Simplified Chinese)", "—", "交易所"),
        ("Summary (English)", "Second summary.", "Third summary."),
    ]
    actions = [(p.action, p.kind, p.description) for p in diff.parts]
    assert ("changed", "Claim", "Rewritten claim.") in actions
    assert ("removed", "Watchpoint", "Watch the filing.") in actions
    assert ("added", "FAQ entry", "Who runs it?") in actions
    claim_change = next(p for p in diff.parts if p.kind == "Claim")
    assert [(c.label, c.before, c.after) for c in claim_change.changes] == [
        ("Text (English)", "First claim.", "Rewritten claim.")
    ]
    page = response.content.decode()
    assert "交易所" in page and "Third summary." in page and "Who runs it?" in page


def test_a_version_compares_with_the_profile_as_it_is_now(analyst_client, profile):
    save(analyst_client, profile, summary_en="Second summary.")
    Profile.objects.filter(pk=profile.pk).update(summary_en="Changed elsewhere.")
    [version] = versions(profile)
    response = analyst_client.get(f"/admin/profiles/profile/{profile.pk}/history/compare/", {"from": version.pk})
    assert [(c.before, c.after) for c in response.context["diff"].fields] == [("Second summary.", "Changed elsewhere.")]


def test_restoring_an_earlier_version_brings_back_its_content_and_parts(analyst_client, profile):
    save(analyst_client, profile, summary_en="Good summary.")
    save(analyst_client, profile, summary_en="Bad summary.", **{"watchpoints-0-DELETE": "on"},
         extra_rows=[("faq_entries", {"question_en": "Added later?", "visibility": "public", "position": "0"})])  # fmt: skip
    assert not profile.watchpoints.exists() and profile.faq_entries.exists()
    good = versions(profile)[1]
    current = Profile.objects.get(pk=profile.pk)
    changes = ProfileChange.objects.count()

    url = f"/admin/profiles/profile/{profile.pk}/history/{good.pk}/restore/"
    confirm = analyst_client.get(url)
    assert "Bad summary." in confirm.content.decode() and "Good summary." in confirm.content.decode()
    response = analyst_client.post(url, {"version": current.version})
    assert response.status_code == 302 and response["Location"] == change_url(profile)

    restored = Profile.objects.get(pk=profile.pk)
    assert restored.summary_en == "Good summary."
    assert list(restored.watchpoints.values_list("text_en", flat=True)) == ["Watch the filing."]
    assert not restored.faq_entries.exists()
    assert restored.version > current.version
    assert restored.claims.get().score == Decimal("0.80")  # recomputed
    assert ProfileChange.objects.count() == changes + 1
    newest = versions(profile)[0]
    assert "Restored the version saved on" in newest.revision.get_comment()


def test_restoring_keeps_the_workflow_state_and_publication_events(client, analyst, profile):
    client.force_login(analyst)
    save(client, profile, summary_en="Before publication.")
    early = versions(profile)[0]
    move(client, profile, "in_review")
    client.force_login(user_with_role("editor"))
    move(client, profile, "published")
    published = Profile.objects.get(pk=profile.pk)
    assert TimelineEvent.objects.filter(profile=profile, kind=TimelineKind.PROFILE_UPDATE).count() == 1

    result = restore_version(published, early, actor=analyst)
    restored = Profile.objects.get(pk=profile.pk)
    assert (restored.status, restored.published_at, restored.slug) == ("published", published.published_at, profile.slug)
    assert TimelineEvent.objects.filter(profile=profile, kind=TimelineKind.PROFILE_UPDATE).count() == 1
    assert result.skipped == 0
    last = ProfileChange.objects.last()
    assert (last.public_before, last.public_after) == (True, True)


def test_a_restore_from_a_stale_page_is_refused(analyst_client, profile):
    save(analyst_client, profile, summary_en="One.")
    save(analyst_client, profile, summary_en="Two.")
    older = versions(profile)[1]
    stale = Profile.objects.get(pk=profile.pk).version - 1
    response = analyst_client.post(f"/admin/profiles/profile/{profile.pk}/history/{older.pk}/restore/", {"version": stale})
    assert Profile.objects.get(pk=profile.pk).summary_en == "Two."
    assert any("Someone else saved this profile" in m for m in messages_of(analyst_client.get(response["Location"])))


def test_a_restore_leaves_out_links_to_sources_deleted_since(analyst_client, profile):
    save(analyst_client, profile, summary_en="With its source.")
    version = versions(profile)[0]
    Claim.objects.get(profile=profile).evidence_links.get().evidence.delete()
    result = restore_version(profile, version, actor=None, expected_version=Profile.objects.get(pk=profile.pk).version)
    assert result.skipped == 1
    assert Profile.objects.get(pk=profile.pk).summary_en == "With its source."
    assert not Claim.objects.get(profile=profile).evidence_links.exists()


def test_a_version_of_another_profile_is_not_found(analyst_client, profile):
    save(analyst_client, profile, summary_en="Mine.")
    other = ProfileFactory()
    version = versions(profile)[0]
    assert analyst_client.get(f"/admin/profiles/profile/{other.pk}/history/{version.pk}/restore/").status_code == 404


def test_imports_and_the_api_can_record_a_version_with_the_helper(profile):
    editor = user_with_role("editor")
    history.record_version(profile, actor=editor, comment="Imported")
    [version] = versions(profile)
    assert (version.revision.user, version.revision.comment) == (editor, "Imported")
    assert Version.objects.filter(revision=version.revision, content_type__model="claim").exists()


def test_translated_text_is_recorded_per_language_whatever_language_is_active(profile):
    from django.utils import translation

    profile.name_zh_hans = "交易所"
    profile.save()
    with translation.override("zh-hans"):
        history.record_version(profile)
    fields = versions(profile)[0].field_dict
    assert (fields["name_en"], fields["name_zh_hans"]) == ("Exchange", "交易所")
    assert "name" not in fields  # the language-dependent column is not recorded
