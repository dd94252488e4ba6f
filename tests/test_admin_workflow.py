"""Workflow buttons on the profile page: every move through publishing.transition, recorded."""

import pytest
from reversion.models import Version

from profiles.models import Profile, ProfileStatus, ProfileTransition, TimelineEvent, TimelineKind

from tests.admin_client import change_url, messages_of, move, user_with_role
from tests.factories import ClaimFactory, ProfileFactory, StaffFactory

pytestmark = pytest.mark.django_db

DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED = "draft", "in_review", "published", "archived"


@pytest.fixture
def analyst():
    return user_with_role("analyst")


@pytest.fixture
def editor():
    return user_with_role("editor")


@pytest.fixture
def draft():
    profile = ProfileFactory(status=ProfileStatus.DRAFT, summary_en="First summary.")
    ClaimFactory(profile=profile, text_en="A public claim.")
    return profile


def as_user(client, user):
    client.force_login(user)
    return client


def buttons(client, profile):
    response = client.get(change_url(profile))
    return [m["to_status"] for m in response.context["workflow_moves"]], response.content.decode()


def status_of(profile):
    return Profile.objects.get(pk=profile.pk).status


def last_move(profile):
    return ProfileTransition.objects.filter(profile=profile).order_by("-id").first()


def test_an_analyst_submits_a_draft_and_the_move_is_recorded_and_listed(client, analyst, draft):
    as_user(client, analyst)
    moves, page = buttons(client, draft)
    assert moves == [IN_REVIEW]
    assert "Submit for review" in page and "Publish</button>" not in page
    response = move(client, draft, IN_REVIEW, note="Ready.")
    assert response.status_code == 302 and response["Location"] == change_url(draft)
    assert status_of(draft) == IN_REVIEW
    record = last_move(draft)
    assert (record.from_status, record.to_status, record.actor, record.note) == (DRAFT, IN_REVIEW, analyst, "Ready.")
    page = client.get(change_url(draft)).content.decode()
    assert "Draft → In review" in page and analyst.username in page  # the profile's list of moves


def test_an_analyst_cannot_publish_no_button_and_the_server_refuses(client, analyst, draft):
    as_user(client, analyst)
    move(client, draft, IN_REVIEW)
    moves, page = buttons(client, draft)
    assert PUBLISHED not in moves and "Publish</button>" not in page
    response = move(client, draft, PUBLISHED)
    assert status_of(draft) == IN_REVIEW
    assert "Only an editor can do this." in messages_of(client.get(response["Location"]))


def test_an_editor_publishes_and_a_public_timeline_event_is_added(client, analyst, editor, draft):
    move(as_user(client, analyst), draft, IN_REVIEW)
    as_user(client, editor)
    moves, page = buttons(client, draft)
    assert set(moves) == {PUBLISHED, DRAFT}
    assert "Publish</button>" in page
    move(client, draft, PUBLISHED)
    profile = Profile.objects.get(pk=draft.pk)
    assert profile.status == PUBLISHED and profile.published_at is not None
    record = last_move(draft)
    assert (record.from_status, record.to_status, record.actor) == (IN_REVIEW, PUBLISHED, editor)
    assert record.public_snapshot is not None
    event = TimelineEvent.objects.get(profile=draft, kind=TimelineKind.PROFILE_UPDATE)
    assert (event.title_en, event.visibility) == ("Public profile updated", "public")
    assert event.text_en.startswith("Changed: Summary")


def test_an_editor_returns_a_submission_to_draft(client, analyst, editor, draft):
    move(as_user(client, analyst), draft, IN_REVIEW)
    move(as_user(client, editor), draft, DRAFT)
    assert status_of(draft) == DRAFT
    assert (last_move(draft).from_status, last_move(draft).to_status) == (IN_REVIEW, DRAFT)


def test_the_submitter_takes_their_own_submission_back(client, analyst, draft):
    as_user(client, analyst)
    move(client, draft, IN_REVIEW)
    assert buttons(client, draft)[0] == [DRAFT]
    move(client, draft, DRAFT)
    assert status_of(draft) == DRAFT


@pytest.fixture
def published(client, analyst, editor, draft):
    move(as_user(client, analyst), draft, IN_REVIEW)
    move(as_user(client, editor), draft, PUBLISHED)
    client.logout()
    return draft


def test_an_editor_archives_and_reopens_a_published_profile(client, editor, published):
    as_user(client, editor)
    assert set(buttons(client, published)[0]) == {ARCHIVED, DRAFT}
    move(client, published, ARCHIVED)
    assert status_of(published) == ARCHIVED
    assert buttons(client, published)[0] == [DRAFT]
    move(client, published, DRAFT)
    assert status_of(published) == DRAFT
    assert [(m.from_status, m.to_status) for m in ProfileTransition.objects.filter(profile=published)] == [
        (DRAFT, IN_REVIEW), (IN_REVIEW, PUBLISHED), (PUBLISHED, ARCHIVED), (ARCHIVED, DRAFT),
    ]  # fmt: skip


def test_an_editor_unpublishes(client, editor, published):
    move(as_user(client, editor), published, DRAFT)
    assert status_of(published) == DRAFT


def test_an_analyst_cannot_archive(client, analyst, published):
    as_user(client, analyst)
    assert buttons(client, published)[0] == []
    move(client, published, ARCHIVED)
    assert status_of(published) == PUBLISHED


def test_an_editor_cannot_approve_their_own_submission(client, editor, draft):
    as_user(client, editor)
    move(client, draft, IN_REVIEW)
    assert PUBLISHED not in buttons(client, draft)[0]
    response = move(client, draft, PUBLISHED)
    assert status_of(draft) == IN_REVIEW
    assert any("another editor" in m for m in messages_of(client.get(response["Location"])))


def test_a_superuser_may_approve_their_own_submission(client, draft):
    as_user(client, StaffFactory(is_superuser=True))
    move(client, draft, IN_REVIEW)
    move(client, draft, PUBLISHED)
    assert status_of(draft) == PUBLISHED


def test_a_move_from_a_stale_page_is_refused(client, analyst, draft):
    as_user(client, analyst)
    version = Profile.objects.get(pk=draft.pk).version
    move(client, draft, IN_REVIEW)
    response = move(client, draft, DRAFT, version=version)
    assert status_of(draft) == IN_REVIEW
    assert any("Someone else changed this profile" in m for m in messages_of(client.get(response["Location"])))


def test_moves_must_be_posted(client, analyst, draft):
    as_user(client, analyst)
    assert client.get(f"/admin/profiles/profile/{draft.pk}/transition/").status_code == 405
    assert status_of(draft) == DRAFT


def test_an_unknown_move_changes_nothing(client, editor, draft):
    as_user(client, editor)
    move(client, draft, "deleted")
    assert status_of(draft) == DRAFT
    assert not ProfileTransition.objects.exists()


def test_each_move_is_a_revision_of_the_whole_profile(client, analyst, draft):
    move(as_user(client, analyst), draft, IN_REVIEW)
    version = Version.objects.get_for_object(draft).select_related("revision").first()
    assert version.revision.user == analyst
    assert "Draft → In review" in version.revision.get_comment()
    models = {v.content_type.model for v in version.revision.version_set.all()}
    assert {"profile", "claim"} <= models
