"""Workflow buttons on the profile page: every move through publishing.transition, recorded."""

import pytest
from reversion.models import Version

from profiles.models import Profile, ProfileTransition, TimelineEvent, TimelineKind
from tests.admin_client import change_url, messages_of, move
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED = "draft", "in_review", "published", "archived"


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


def test_an_analyst_submits_a_draft_and_the_move_is_recorded_and_listed(client, analyst_user, draft_profile):
    as_user(client, analyst_user)
    moves, page = buttons(client, draft_profile)
    assert moves == [IN_REVIEW]
    assert "Submit for review" in page and "Publish</button>" not in page
    response = move(client, draft_profile, IN_REVIEW, note="Ready.")
    assert response.status_code == 302 and response["Location"] == change_url(draft_profile)
    assert status_of(draft_profile) == IN_REVIEW
    record = last_move(draft_profile)
    assert (record.from_status, record.to_status, record.actor, record.note) == (DRAFT, IN_REVIEW, analyst_user, "Ready.")
    page = client.get(change_url(draft_profile)).content.decode()
    assert "Draft → In review" in page and analyst_user.username in page  # the profile's list of moves


def test_an_analyst_cannot_publish_no_button_and_the_server_refuses(client, analyst_user, draft_profile):
    as_user(client, analyst_user)
    move(client, draft_profile, IN_REVIEW)
    moves, page = buttons(client, draft_profile)
    assert PUBLISHED not in moves and "Publish</button>" not in page
    response = move(client, draft_profile, PUBLISHED)
    assert status_of(draft_profile) == IN_REVIEW
    assert "Only an editor can do this." in messages_of(client.get(response["Location"]))


def test_an_editor_publishes_and_a_public_timeline_event_is_added(client, analyst_user, editor_user, draft_profile):
    move(as_user(client, analyst_user), draft_profile, IN_REVIEW)
    as_user(client, editor_user)
    moves, page = buttons(client, draft_profile)
    assert set(moves) == {PUBLISHED, DRAFT}
    assert "Publish</button>" in page
    move(client, draft_profile, PUBLISHED)
    profile = Profile.objects.get(pk=draft_profile.pk)
    assert profile.status == PUBLISHED and profile.published_at is not None
    record = last_move(draft_profile)
    assert (record.from_status, record.to_status, record.actor) == (IN_REVIEW, PUBLISHED, editor_user)
    assert record.public_snapshot is not None
    event = TimelineEvent.objects.get(profile=draft_profile, kind=TimelineKind.PROFILE_UPDATE)
    assert (event.title_en, event.visibility) == ("Public profile updated", "public")
    assert event.text_en.startswith("Changed: Summary")


def test_an_editor_returns_a_submission_to_draft(client, analyst_user, editor_user, draft_profile):
    move(as_user(client, analyst_user), draft_profile, IN_REVIEW)
    move(as_user(client, editor_user), draft_profile, DRAFT)
    assert status_of(draft_profile) == DRAFT
    assert (last_move(draft_profile).from_status, last_move(draft_profile).to_status) == (IN_REVIEW, DRAFT)


def test_the_submitter_takes_their_own_submission_back(client, analyst_user, draft_profile):
    as_user(client, analyst_user)
    move(client, draft_profile, IN_REVIEW)
    assert buttons(client, draft_profile)[0] == [DRAFT]
    move(client, draft_profile, DRAFT)
    assert status_of(draft_profile) == DRAFT


@pytest.fixture
def published(client, analyst_user, editor_user, draft_profile):
    move(as_user(client, analyst_user), draft_profile, IN_REVIEW)
    move(as_user(client, editor_user), draft_profile, PUBLISHED)
    client.logout()
    return draft_profile


def test_an_editor_archives_and_reopens_a_published_profile(client, editor_user, published):
    as_user(client, editor_user)
    assert set(buttons(client, published)[0]) == {ARCHIVED, DRAFT}
    move(client, published, ARCHIVED)
    assert status_of(published) == ARCHIVED
    assert buttons(client, published)[0] == [DRAFT]
    move(client, published, DRAFT)
    assert status_of(published) == DRAFT
    assert [(m.from_status, m.to_status) for m in ProfileTransition.objects.filter(profile=published)] == [
        (DRAFT, IN_REVIEW), (IN_REVIEW, PUBLISHED), (PUBLISHED, ARCHIVED), (ARCHIVED, DRAFT),
    ]  # fmt: skip


def test_an_editor_unpublishes(client, editor_user, published):
    move(as_user(client, editor_user), published, DRAFT)
    assert status_of(published) == DRAFT


def test_an_analyst_cannot_archive(client, analyst_user, published):
    as_user(client, analyst_user)
    assert buttons(client, published)[0] == []
    move(client, published, ARCHIVED)
    assert status_of(published) == PUBLISHED


def test_an_editor_cannot_approve_their_own_submission(client, editor_user, draft_profile):
    as_user(client, editor_user)
    move(client, draft_profile, IN_REVIEW)
    assert PUBLISHED not in buttons(client, draft_profile)[0]
    response = move(client, draft_profile, PUBLISHED)
    assert status_of(draft_profile) == IN_REVIEW
    assert any("another editor" in m for m in messages_of(client.get(response["Location"])))


def test_a_superuser_may_approve_their_own_submission(client, draft_profile):
    as_user(client, StaffFactory(is_superuser=True))
    move(client, draft_profile, IN_REVIEW)
    move(client, draft_profile, PUBLISHED)
    assert status_of(draft_profile) == PUBLISHED


def test_a_move_from_a_stale_page_is_refused(client, analyst_user, draft_profile):
    as_user(client, analyst_user)
    version = Profile.objects.get(pk=draft_profile.pk).version
    move(client, draft_profile, IN_REVIEW)
    response = move(client, draft_profile, DRAFT, version=version)
    assert status_of(draft_profile) == IN_REVIEW
    assert any("Someone else changed this profile" in m for m in messages_of(client.get(response["Location"])))


def test_moves_must_be_posted(client, analyst_user, draft_profile):
    as_user(client, analyst_user)
    assert client.get(f"/admin/profiles/profile/{draft_profile.pk}/transition/").status_code == 405
    assert status_of(draft_profile) == DRAFT


def test_an_unknown_move_changes_nothing(client, editor_user, draft_profile):
    as_user(client, editor_user)
    move(client, draft_profile, "deleted")
    assert status_of(draft_profile) == DRAFT
    assert not ProfileTransition.objects.exists()


def test_each_move_is_a_revision_of_the_whole_profile(client, analyst_user, draft_profile):
    move(as_user(client, analyst_user), draft_profile, IN_REVIEW)
    version = Version.objects.get_for_object(draft_profile).select_related("revision").first()
    assert version.revision.user == analyst_user
    assert "Draft → In review" in version.revision.get_comment()
    models = {v.content_type.model for v in version.revision.version_set.all()}
    assert {"profile", "claim"} <= models
