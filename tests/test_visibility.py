"""Every row of DESIGN.md's visibility table, asked of the one policy module."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from profiles.models import ProfileStatus, ReviewStatus, Visibility
from profiles.rules.visibility import (
    ANONYMOUS,
    MEMBER,
    STAFF,
    Audience,
    AudienceKind,
    profile_graph,
    visible_explanation,
    visible_profiles,
)
from tests.factories import (
    BriefingFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceFactory,
    FaqEntryFactory,
    MembershipFactory,
    ProfileEvidenceFactory,
    ProfileFactory,
    RelationshipFactory,
    StaffFactory,
    TimelineEventFactory,
    UserFactory,
    WatchpointFactory,
)

pytestmark = pytest.mark.django_db


# Who is who ------------------------------------------------------------------


def test_anonymous_user_is_anonymous_audience():
    assert Audience.for_user(AnonymousUser()) == ANONYMOUS


def test_logged_in_user_without_membership_is_anonymous():
    assert Audience.for_user(UserFactory()) == ANONYMOUS


def test_user_with_active_membership_is_member():
    membership = MembershipFactory()
    assert Audience.for_user(membership.user) == MEMBER


def test_expired_membership_is_treated_as_anonymous():
    membership = MembershipFactory(valid_until=timezone.now() - timedelta(minutes=1))
    assert Audience.for_user(membership.user) == ANONYMOUS


def test_inactive_user_is_anonymous_even_with_membership():
    membership = MembershipFactory(user=UserFactory(is_active=False))
    assert Audience.for_user(membership.user) == ANONYMOUS


def test_staff_user_is_staff_audience():
    assert Audience.for_user(StaffFactory()).kind == AudienceKind.STAFF


# Profiles --------------------------------------------------------------------


@pytest.mark.parametrize("status", [ProfileStatus.DRAFT, ProfileStatus.IN_REVIEW, ProfileStatus.ARCHIVED])
@pytest.mark.parametrize("audience", [ANONYMOUS, MEMBER])
def test_readers_never_see_unpublished_profiles(audience, status):
    profile = ProfileFactory(status=status)
    assert profile not in visible_profiles(audience)
    assert profile_graph(audience, profile.slug) is None


@pytest.mark.parametrize("status", ProfileStatus.values)
def test_staff_see_profiles_in_every_status(status):
    profile = ProfileFactory(status=status)
    assert profile_graph(STAFF, profile.slug) is not None


@pytest.mark.parametrize("audience", [ANONYMOUS, MEMBER, STAFF])
def test_everyone_sees_published_profiles(audience):
    profile = ProfileFactory(status=ProfileStatus.PUBLISHED)
    assert profile_graph(audience, profile.slug) is not None


# Items by visibility level ---------------------------------------------------

LEVELS_SEEN = {
    "anonymous": {Visibility.PUBLIC},
    "member": {Visibility.PUBLIC, Visibility.MEMBERS},
    "staff": {Visibility.PUBLIC, Visibility.MEMBERS, Visibility.INTERNAL},
}
AUDIENCES = {"anonymous": ANONYMOUS, "member": MEMBER, "staff": STAFF}


def _graph_with_one_item_per_level(make_item):
    profile = ProfileFactory()
    items = {level: make_item(profile, level) for level in Visibility.values}
    return profile, items


@pytest.mark.parametrize("audience_name", LEVELS_SEEN)
@pytest.mark.parametrize(
    "attribute, make_item",
    [
        ("visible_claims", lambda p, level: ClaimFactory(profile=p, visibility=level)),
        ("visible_timeline", lambda p, level: TimelineEventFactory(profile=p, visibility=level)),
        ("visible_watchpoints", lambda p, level: WatchpointFactory(profile=p, visibility=level)),
        ("visible_faq", lambda p, level: FaqEntryFactory(profile=p, visibility=level)),
        ("visible_relationships", lambda p, level: RelationshipFactory(source=p, visibility=level)),
    ],
)
def test_items_are_shown_by_visibility_level(audience_name, attribute, make_item):
    profile, items = _graph_with_one_item_per_level(make_item)
    graph = profile_graph(AUDIENCES[audience_name], profile.slug)
    seen = {item.pk for item in getattr(graph, attribute)}
    expected = {items[level].pk for level in LEVELS_SEEN[audience_name]}
    assert seen == expected


@pytest.mark.parametrize("audience_name", LEVELS_SEEN)
def test_evidence_is_shown_by_visibility_level(audience_name):
    profile = ProfileFactory()
    records = {level: ProfileEvidenceFactory(profile=profile, evidence__visibility=level) for level in Visibility.values}
    graph = profile_graph(AUDIENCES[audience_name], profile.slug)
    seen = {link.evidence_id for link in graph.visible_sources}
    assert seen == {records[level].evidence_id for level in LEVELS_SEEN[audience_name]}


@pytest.mark.parametrize("audience", [ANONYMOUS, MEMBER])
@pytest.mark.parametrize("status", [ReviewStatus.PENDING, ReviewStatus.REJECTED])
def test_readers_never_see_unreviewed_evidence(audience, status):
    profile = ProfileFactory()
    link = ProfileEvidenceFactory(profile=profile, evidence__review_status=status)
    claim = ClaimFactory(profile=profile)
    ClaimEvidenceFactory(claim=claim, evidence=link.evidence)
    graph = profile_graph(audience, profile.slug)
    assert graph.visible_sources == []
    assert graph.visible_claims[0].visible_evidence_links == []


def test_staff_see_unreviewed_evidence():
    profile = ProfileFactory()
    ProfileEvidenceFactory(profile=profile, evidence__review_status=ReviewStatus.PENDING)
    assert len(profile_graph(STAFF, profile.slug).visible_sources) == 1


@pytest.mark.parametrize("audience", [ANONYMOUS, MEMBER])
def test_readers_never_see_unverified_claims(audience):
    claim = ClaimFactory(verified=False, visibility=Visibility.PUBLIC)
    assert profile_graph(audience, claim.profile.slug).visible_claims == []


@pytest.mark.parametrize("audience", [ANONYMOUS, MEMBER])
def test_readers_never_see_retracted_claims(audience):
    claim = ClaimFactory(retracted_at=timezone.now(), retraction_reason="Source withdrawn.")
    assert profile_graph(audience, claim.profile.slug).visible_claims == []


def test_staff_see_unverified_and_retracted_claims():
    profile = ProfileFactory()
    ClaimFactory(profile=profile, verified=False)
    ClaimFactory(profile=profile, retracted_at=timezone.now(), retraction_reason="Wrong.")
    assert len(profile_graph(STAFF, profile.slug).visible_claims) == 2


@pytest.mark.parametrize("audience", [ANONYMOUS, MEMBER])
def test_readers_never_see_unverified_relationships(audience):
    relationship = RelationshipFactory(verified=False)
    assert profile_graph(audience, relationship.source.slug).visible_relationships == []


@pytest.mark.parametrize("audience", [ANONYMOUS, MEMBER])
@pytest.mark.parametrize("status", [ProfileStatus.DRAFT, ProfileStatus.ARCHIVED])
def test_relationship_to_hidden_profile_is_hidden(audience, status):
    relationship = RelationshipFactory(target__status=status)
    assert profile_graph(audience, relationship.source.slug).visible_relationships == []


def test_staff_see_relationship_to_draft_profile():
    relationship = RelationshipFactory(target__status=ProfileStatus.DRAFT)
    assert len(profile_graph(STAFF, relationship.source.slug).visible_relationships) == 1


def test_claim_evidence_basis_hides_gated_evidence_from_anonymous():
    claim = ClaimFactory()
    public = ClaimEvidenceFactory(claim=claim, evidence__visibility=Visibility.PUBLIC)
    ClaimEvidenceFactory(claim=claim, evidence__visibility=Visibility.MEMBERS)
    ClaimEvidenceFactory(claim=claim, evidence__visibility=Visibility.INTERNAL)
    graph = profile_graph(ANONYMOUS, claim.profile.slug)
    assert [link.pk for link in graph.visible_claims[0].visible_evidence_links] == [public.pk]


def test_timeline_and_watchpoint_evidence_is_filtered_too():
    profile = ProfileFactory()
    event = TimelineEventFactory(profile=profile)
    watchpoint = WatchpointFactory(profile=profile)
    hidden = EvidenceFactory(visibility=Visibility.INTERNAL)
    shown = EvidenceFactory()
    event.evidence.set([hidden, shown])
    watchpoint.triggered_by.set([hidden, shown])
    graph = profile_graph(ANONYMOUS, profile.slug)
    assert graph.visible_timeline[0].visible_evidence == [shown]
    assert graph.visible_watchpoints[0].visible_triggered_by == [shown]


# The briefing ----------------------------------------------------------------


def test_anonymous_never_sees_the_briefing():
    briefing = BriefingFactory(visibility=Visibility.MEMBERS)
    assert profile_graph(ANONYMOUS, briefing.profile.slug).visible_briefing is None


def test_member_sees_the_members_briefing():
    briefing = BriefingFactory(visibility=Visibility.MEMBERS)
    assert profile_graph(MEMBER, briefing.profile.slug).visible_briefing == briefing


def test_member_never_sees_an_internal_briefing():
    briefing = BriefingFactory(visibility=Visibility.INTERNAL)
    assert profile_graph(MEMBER, briefing.profile.slug).visible_briefing is None


def test_staff_see_an_internal_briefing():
    briefing = BriefingFactory(visibility=Visibility.INTERNAL)
    assert profile_graph(STAFF, briefing.profile.slug).visible_briefing == briefing


# Explanations ----------------------------------------------------------------


def test_explanation_folds_away_records_the_audience_may_not_see():
    explanation = {
        "score": "0.50",
        "evidence": [{"id": 1, "publisher": "Open"}, {"id": 2, "publisher": "Secret analyst"}],
    }
    shown = visible_explanation(explanation, [1])
    assert [entry["publisher"] for entry in shown["evidence"]] == ["Open"]
    assert shown["hidden_evidence"] == 1
    assert "Secret analyst" not in str(shown)
    assert explanation["evidence"][1]["publisher"] == "Secret analyst"  # the stored one is untouched
