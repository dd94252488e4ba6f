"""History: every change to a profile and its parts is a version; diffs read; restores keep the workflow."""

import datetime
import json
from decimal import Decimal

import pytest
import reversion
from django.contrib.contenttypes.models import ContentType
from reversion.models import Revision, Version

from profiles.models import Claim, Profile, ProfileChange, ProfileStatus, ProfileTopic, TimelineEvent, TimelineKind
from profiles.selectors.history import current_snapshot, diff_snapshots, profile_versions, revision_snapshot
from profiles.services import history
from profiles.services.recovery import restore_version
from tests.admin_client import add_inline_row, change_form_data, change_url, form_errors, messages_of, move
from tests.factories import (
    BriefingFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceFactory,
    FaqEntryFactory,
    ProfileEvidenceFactory,
    ProfileFactory,
    RelationshipFactory,
    TimelineEventFactory,
    WatchpointFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


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


def test_an_admin_save_records_one_revision_holding_the_whole_profile(analyst_client, analyst_user, profile):
    save(analyst_client, profile, summary_en="Second summary.")
    [version] = versions(profile)
    assert version.revision.user == analyst_user
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


def test_restoring_keeps_the_workflow_state_and_publication_events(client, analyst_user, profile):
    client.force_login(analyst_user)
    save(client, profile, summary_en="Before publication.")
    early = versions(profile)[0]
    move(client, profile, "in_review")
    client.force_login(user_with_role("editor"))
    move(client, profile, "published")
    published = Profile.objects.get(pk=profile.pk)
    assert TimelineEvent.objects.filter(profile=profile, kind=TimelineKind.PROFILE_UPDATE).count() == 1

    result = restore_version(published, early, actor=analyst_user)
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


# Revisions written in bulk (`capture_profiles`, an operator's import) ----------------------


def full_graph(index=0):
    """A profile with every part, its many-to-many links given out of primary-key order."""
    today = datetime.date(2024, 5, 1)
    later = EvidenceFactory(published_on=today, title_en=f"Later {index}")
    earlier = EvidenceFactory(published_on=today - datetime.timedelta(days=30), title_en=f"Earlier {index}")
    undated = EvidenceFactory(published_on=None, title_en=f"Undated {index}")
    profile = ProfileFactory(status=ProfileStatus.DRAFT, name_en=f"Graph {index}", name_zh_hans=f"图 {index}",
                             summary_en="Summary.", summary_zh_hans="摘要。")  # fmt: skip
    ProfileTopic.objects.create(profile=profile, name="payments", position=0)
    ProfileTopic.objects.create(profile=profile, name="clearing", position=1)
    ProfileEvidenceFactory(profile=profile, evidence=later, position=0)
    ProfileEvidenceFactory(profile=profile, evidence=earlier, position=1)
    claim = ClaimFactory(profile=profile, text_en="A claim.", text_zh_hans="一个论断。")
    ClaimEvidenceFactory(claim=claim, evidence=later, position=0)
    ClaimEvidenceFactory(claim=claim, evidence=earlier, position=1)
    ClaimFactory(profile=profile, text_en="A claim without sources.", position=1)
    event = TimelineEventFactory(profile=profile, title_en="Founded", text_en="Founded.")
    event.evidence.set([later, undated, earlier])
    TimelineEventFactory(profile=profile, title_en="Nothing cited", position=1)
    watchpoint = WatchpointFactory(profile=profile, text_en="Watch the filing.", review_by=today)
    watchpoint.triggered_by.set([later, earlier])
    BriefingFactory(profile=profile, title_en="Briefing", body_en="Body.")
    relationship = RelationshipFactory(source=profile, target=ProfileFactory(name_en=f"Target {index}"), note_en="See.")
    relationship.evidence.set([undated, later])
    FaqEntryFactory(profile=profile, question_en="Why?", answer_en="Because.", question_zh_hans="为什么？")
    return profile


def recorded(revision):
    return {
        (v.content_type_id, v.object_id): v
        for v in Version.objects.filter(revision=revision).select_related("content_type")
    }


def test_revisions_written_in_bulk_hold_exactly_what_reversion_records():
    profiles = [full_graph(0), full_graph(1)]
    with reversion.create_revision(manage_manually=True):
        for profile in profiles:
            history.capture_profile(profile)
    by_reversion = Revision.objects.latest("pk")

    editor = user_with_role("editor")
    bulk = history.capture_profiles([p.pk for p in profiles], actor=editor, comment="Imported")

    expected, written = recorded(by_reversion), recorded(bulk)
    assert written.keys() == expected.keys()
    assert {v.content_type.model for v in written.values()} >= {
        "profile", "profiletopic", "profileevidence", "claim", "claimevidence", "timelineevent", "watchpoint",
        "briefing", "relationship", "faqentry",
    }  # fmt: skip
    for key, version in written.items():
        assert json.loads(version.serialized_data) == json.loads(expected[key].serialized_data), key
        assert version.serialized_data == expected[key].serialized_data  # the very text, keys in order too
        assert (version.db, version.format, version.object_repr) == (
            expected[key].db, expected[key].format, expected[key].object_repr,
        )  # fmt: skip
    cited = profiles[0].timeline_events.first()
    event = written[(ContentType.objects.get_for_model(TimelineEvent).id, str(cited.pk))]
    assert event.field_dict["evidence"] == list(cited.evidence.values_list("pk", flat=True))  # Meta.ordering, then pk
    assert len(event.field_dict["evidence"]) == 3
    assert (bulk.user, bulk.comment) == (editor, "Imported")

    for profile in profiles:
        assert diff_snapshots(current_snapshot(profile), revision_snapshot(bulk, profile.pk)).is_empty


def test_a_revision_written_in_bulk_restores():
    profile = full_graph()
    revision = history.capture_profiles([profile.pk], comment="Imported")
    Profile.objects.filter(pk=profile.pk).update(summary_en="Changed since.")
    profile.watchpoints.all().delete()
    profile.faq_entries.all().delete()
    TimelineEvent.objects.filter(profile=profile).first().evidence.clear()
    version = Version.objects.get_for_object(profile).get(revision=revision)

    current = Profile.objects.get(pk=profile.pk)
    result = restore_version(current, version, actor=None, expected_version=current.version)
    restored = Profile.objects.get(pk=profile.pk)
    assert result.skipped == 0
    assert restored.summary_en == "Summary."
    assert list(restored.watchpoints.get().triggered_by.order_by("pk").values_list("title_en", flat=True)) == [
        "Later 0", "Earlier 0",
    ]  # fmt: skip
    assert restored.faq_entries.get().question_zh_hans == "为什么？"
    first = TimelineEvent.objects.filter(profile=profile).first()
    assert set(first.evidence.values_list("title_en", flat=True)) == {"Earlier 0", "Later 0", "Undated 0"}
    diff = diff_snapshots(revision_snapshot(revision, profile.pk), current_snapshot(restored))
    assert {change.label for change in diff.fields} <= {"Score", "Computed score"}  # recomputed by the restore


def test_revisions_written_in_bulk_take_the_same_queries_for_one_profile_as_for_ten(django_assert_num_queries):
    one = [full_graph(0).pk]
    ten = [full_graph(index).pk for index in range(1, 11)]
    ContentType.objects.clear_cache()
    history.capture_profiles(one)  # content types cached, as they are after the first batch
    # a savepoint, a query a model of the graph (10) and a many-to-many field (3), the revision, its versions
    with django_assert_num_queries(17) as first:
        history.capture_profiles(one)
    with django_assert_num_queries(len(first.captured_queries)):
        history.capture_profiles(ten)
    assert Version.objects.filter(revision=Revision.objects.latest("pk")).count() == len(
        recorded(Revision.objects.latest("pk"))
    )


def test_no_revision_is_written_for_profiles_that_do_not_exist():
    assert history.capture_profiles([]) is None
    assert history.capture_profiles([987654]) is None
    assert not Revision.objects.exists()
