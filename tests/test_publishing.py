"""The workflow: each move, who may make it, and what publishing records."""

import json

import pytest

from profiles.interchange.service import import_text
from profiles.models import (
    Profile,
    ProfileChange,
    ProfileStatus,
    SecurityEvent,
    SecurityEventKind,
    TimelineEvent,
    TimelineKind,
)
from profiles.rules.publishing import NoSuchMove, NotAllowed, OwnWork, StaleVersion, TransitionError
from profiles.selectors.history import profile_versions
from profiles.services.publishing import public_snapshot, transition
from tests.factories import ProfileFactory, StaffFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_analyst_submits_a_draft_for_review_and_the_move_is_recorded(draft_profile, analyst_user):
    record = transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    draft_profile.refresh_from_db()
    assert draft_profile.status == ProfileStatus.IN_REVIEW
    assert (record.from_status, record.to_status, record.actor) == ("draft", "in_review", analyst_user)
    assert record.at is not None


def test_analyst_cannot_publish(draft_profile, analyst_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    with pytest.raises(NotAllowed, match="Only an editor"):
        transition(draft_profile, ProfileStatus.PUBLISHED, actor=user_with_role("analyst"))
    draft_profile.refresh_from_db()
    assert draft_profile.status == ProfileStatus.IN_REVIEW


def test_editor_publishes_and_a_public_timeline_event_names_every_section(draft_profile, analyst_user, editor_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user)
    draft_profile.refresh_from_db()
    assert draft_profile.status == ProfileStatus.PUBLISHED and draft_profile.published_at is not None
    event = TimelineEvent.objects.get(profile=draft_profile, kind=TimelineKind.PROFILE_UPDATE)
    assert event.title_en == "Public profile updated"
    assert event.visibility == "public"
    assert event.text_en.startswith("Changed: Summary, Domain of operation")
    assert "更新内容" in event.text_zh_hans


def test_republishing_names_only_the_sections_that_changed(draft_profile, analyst_user, editor_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user)
    transition(draft_profile, ProfileStatus.DRAFT, actor=editor_user)
    draft_profile.refresh_from_db()
    draft_profile.summary_en = "A better summary."
    draft_profile.save()
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user)
    latest = TimelineEvent.objects.filter(profile=draft_profile, kind=TimelineKind.PROFILE_UPDATE).order_by("-id").first()
    assert latest.text_en == "Changed: Summary."


def test_republishing_without_public_changes_adds_no_event(draft_profile, analyst_user, editor_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user)
    transition(draft_profile, ProfileStatus.DRAFT, actor=editor_user)
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user)
    assert TimelineEvent.objects.filter(profile=draft_profile, kind=TimelineKind.PROFILE_UPDATE).count() == 1


def test_editor_cannot_approve_their_own_submission(draft_profile, editor_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=editor_user)
    with pytest.raises(OwnWork, match="another editor"):
        transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user)


def test_superuser_may_approve_their_own_submission(draft_profile):
    admin = StaffFactory(is_superuser=True)
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=admin)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=admin)
    draft_profile.refresh_from_db()
    assert draft_profile.status == ProfileStatus.PUBLISHED


def test_submitter_may_take_a_profile_back_to_draft(draft_profile, analyst_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.DRAFT, actor=analyst_user)
    draft_profile.refresh_from_db()
    assert draft_profile.status == ProfileStatus.DRAFT


def test_another_analyst_may_not_take_it_back(draft_profile, analyst_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    with pytest.raises(NotAllowed):
        transition(draft_profile, ProfileStatus.DRAFT, actor=user_with_role("analyst"))


@pytest.mark.parametrize("to_status", [ProfileStatus.PUBLISHED, ProfileStatus.ARCHIVED])
def test_a_draft_cannot_skip_review(draft_profile, editor_user, to_status):
    with pytest.raises(NoSuchMove, match="cannot go from"):
        transition(draft_profile, to_status, actor=editor_user)


def test_only_editors_archive(draft_profile, analyst_user, editor_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user)
    with pytest.raises(NotAllowed):
        transition(draft_profile, ProfileStatus.ARCHIVED, actor=analyst_user)
    transition(draft_profile, ProfileStatus.ARCHIVED, actor=editor_user)
    draft_profile.refresh_from_db()
    assert draft_profile.status == ProfileStatus.ARCHIVED


@pytest.mark.parametrize("role", [None, "member"])
def test_members_and_anonymous_cannot_move_profiles(draft_profile, role):
    actor = user_with_role(role) if role else None
    with pytest.raises(NotAllowed, match="Only analysts and editors"):
        transition(draft_profile, ProfileStatus.IN_REVIEW, actor=actor)


def test_a_stale_version_is_refused(draft_profile, analyst_user):
    version = draft_profile.version
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    with pytest.raises(StaleVersion, match="Someone else changed"):
        transition(draft_profile, ProfileStatus.DRAFT, actor=analyst_user, expected_version=version)


def test_publication_enters_the_changes_feed_as_becoming_public(draft_profile, analyst_user, editor_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user)
    last = ProfileChange.objects.last()
    assert (last.slug, last.action, last.public_before, last.public_after) == (draft_profile.slug, "updated", False, True)


# --- Every publication, whatever its path, is recorded the same way -------------------------


def publication_records(profile):
    """(transitions to published, revisions of the profile, publication audit events)."""
    transitions = list(profile.transitions.filter(to_status=ProfileStatus.PUBLISHED))
    revisions = list(profile_versions(profile))
    audits = list(SecurityEvent.objects.filter(kind=SecurityEventKind.PUBLICATION, detail__slug=profile.slug))
    return transitions, revisions, audits


def test_a_workflow_publication_records_the_transition_a_revision_and_an_audit_event(draft_profile, analyst_user, editor_user):
    transition(draft_profile, ProfileStatus.IN_REVIEW, actor=analyst_user)
    transition(draft_profile, ProfileStatus.PUBLISHED, actor=editor_user, note="Checked the filings.")
    [move], [revision, *_], [audit] = publication_records(draft_profile)
    assert (move.actor, move.note) == (editor_user, "Checked the filings.") and move.public_snapshot
    assert revision.revision.user == editor_user and revision.revision.get_comment() == "Workflow: In review → Published"
    assert (audit.actor, audit.detail["from_status"], audit.detail["to_status"]) == (editor_user, "in_review", "published")


def test_an_operators_import_publishes_through_the_same_record(seed_document):
    import_text(json.dumps(dict(seed_document, relationships=[])))  # the file says "published"
    profile = Profile.objects.get(slug=seed_document["slug"])
    [move], [revision, *_], [audit] = publication_records(profile)
    assert profile.status == ProfileStatus.PUBLISHED and profile.published_at == move.at
    assert (move.from_status, move.actor, move.note) == ("draft", None, "Operator import") and move.public_snapshot
    assert revision.revision.get_comment() == "Operator import"
    assert (audit.actor, audit.detail["to_status"]) == (None, "published")
    # An operator's import keeps the file's own timeline: no "Public profile updated" event is added.
    assert profile.timeline_events.count() == len(seed_document["timeline"])
    # Snapshots taken in a batch are the ones a single publication takes.
    assert move.public_snapshot == public_snapshot(profile)


def test_an_operators_import_can_unpublish_and_that_is_recorded_too(seed_document):
    document = dict(seed_document, relationships=[])
    import_text(json.dumps(document))
    import_text(json.dumps(dict(document, status="archived")))
    profile = Profile.objects.get(slug=seed_document["slug"])
    assert profile.status == ProfileStatus.ARCHIVED
    assert [(m.from_status, m.to_status) for m in profile.transitions.order_by("at", "id")] == [
        ("draft", "published"), ("published", "archived"),
    ]  # fmt: skip
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.PUBLICATION, detail__to_status="archived").count() == 1


@pytest.mark.parametrize(
    "move,error",
    [
        ((ProfileStatus.DRAFT, ProfileStatus.PUBLISHED, "editor"), NoSuchMove),
        ((ProfileStatus.IN_REVIEW, ProfileStatus.PUBLISHED, "analyst"), NotAllowed),
        ((ProfileStatus.PUBLISHED, ProfileStatus.ARCHIVED, "analyst"), NotAllowed),
    ],
)
def test_every_refusal_is_a_transition_error_and_leaves_nothing_behind(move, error):
    from_status, to_status, role = move
    profile = ProfileFactory(status=from_status)
    with pytest.raises(error) as refused:
        transition(profile, to_status, actor=user_with_role(role))
    assert isinstance(refused.value, TransitionError)
    profile.refresh_from_db()
    assert profile.status == from_status and not profile.transitions.exists()
    assert not ProfileChange.objects.filter(slug=profile.slug).exists()
