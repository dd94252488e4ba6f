"""Recovering deleted profiles from the analyst desk: the whole graph back, or nothing."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from profiles.models import (
    ChangeAction,
    Claim,
    Profile,
    ProfileChange,
    ProfileStatus,
    Relationship,
    TimelineEvent,
    Watchpoint,
)
from profiles.selectors.history import profile_versions
from profiles.services import history
from profiles.services.recovery import deleted_profiles
from tests.admin_client import messages_of
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
from tests.queries import session_queries

pytestmark = pytest.mark.django_db
LIST = "/admin/profiles/profile/recover/"
RECOVER_PAGE_QUERIES = 4  # beyond the session: the user, its two permission reads, the deleted profiles


def recover_url(version):
    return f"{LIST}{version.pk}/"


@pytest.fixture
def graph():
    """A published profile with a claim citing a source, a timeline event, a watchpoint, a briefing, FAQ, a relation."""
    profile = ProfileFactory(slug="exchange", name_en="Exchange", name_zh_hans="交易所", status=ProfileStatus.PUBLISHED,
                             published_at="2026-01-01T00:00:00Z")  # fmt: skip
    source = EvidenceFactory(title_en="Filing", kind="direct", reliability="A")
    ProfileEvidenceFactory(profile=profile, evidence=source, key="e1")
    claim = ClaimFactory(profile=profile, text_en="It runs the exchange.")
    ClaimEvidenceFactory(claim=claim, evidence=source, note_en="Stated in the filing.")
    event = TimelineEventFactory(profile=profile, title_en="Founded")
    event.evidence.add(source)
    WatchpointFactory(profile=profile, text_en="Watch the licence.")
    BriefingFactory(profile=profile, title_en="Deep background")
    FaqEntryFactory(profile=profile, question_en="Who runs it?")
    RelationshipFactory(source=profile, target=ProfileFactory(slug="regulator"))
    return profile


def delete_in_desk(client, profile):
    response = client.post(f"/admin/profiles/profile/{profile.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Profile.objects.filter(pk=profile.pk).exists()
    return deleted_profiles().get(object_id=str(profile.pk))


def test_a_deleted_profile_is_listed_with_who_deleted_it_and_when(editor_client, graph):
    version = delete_in_desk(editor_client, graph)
    response = editor_client.get(LIST)
    [item] = response.context["deleted"]
    assert (item.name, item.slug, item.status, item.deleted_by.username) == ("Exchange", "exchange", "Published", "eve")
    assert item.deleted_at == version.revision.date_created
    assert version.revision.get_comment() == "Deleted"
    assert 'action="%s"' % recover_url(version) in response.content.decode()


def test_the_profile_list_links_to_the_recovery_page(editor_client):
    assert f'href="{LIST}"' in editor_client.get("/admin/profiles/profile/").content.decode()


def test_recovering_brings_back_the_whole_graph(editor_client, graph):
    pk = graph.pk
    version = delete_in_desk(editor_client, graph)
    changes = ProfileChange.objects.count()

    response = editor_client.post(recover_url(version))

    assert response.status_code == 302 and response["Location"] == f"/admin/profiles/profile/{pk}/change/"
    profile = Profile.objects.get(pk=pk)
    assert (profile.slug, profile.name_en, profile.name_zh_hans, profile.status) == (
        "exchange", "Exchange", "交易所", ProfileStatus.PUBLISHED)  # fmt: skip
    assert profile.version > version.field_dict["version"]  # API clients holding an old ETag are refused
    claim = Claim.objects.get(profile=profile)
    link = claim.evidence_links.get()
    assert (link.evidence.title_en, link.note_en) == ("Filing", "Stated in the filing.")
    assert claim.score == Decimal("0.80") and profile.score == Decimal("0.80")  # recomputed
    assert list(profile.evidence_links.values_list("key", flat=True)) == ["e1"]
    event = TimelineEvent.objects.get(profile=profile)
    assert (event.title_en, list(event.evidence.values_list("title_en", flat=True))) == ("Founded", ["Filing"])
    assert Watchpoint.objects.get(profile=profile).text_en == "Watch the licence."
    assert profile.briefing.title_en == "Deep background"
    assert list(profile.faq_entries.values_list("question_en", flat=True)) == ["Who runs it?"]
    assert Relationship.objects.get(source=profile).target.slug == "regulator"
    [entry] = ProfileChange.objects.all()[changes:]
    assert (entry.action, entry.slug, entry.public_before, entry.public_after) == (ChangeAction.CREATED, "exchange",
                                                                                     False, True)  # fmt: skip
    newest = profile_versions(profile).first()
    assert newest.revision.get_comment() == "Recovered after deletion." and newest.revision.user.username == "eve"
    # Published again through the publishing service, recorded like every publication.
    [move] = profile.transitions.all()
    assert (move.from_status, move.to_status, move.note, move.actor.username) == (
        "draft", "published", "Recovered after deletion.", "eve")  # fmt: skip
    assert profile.published_at == version.field_dict["published_at"]
    assert not deleted_profiles().exists()
    assert any("is recovered" in m for m in messages_of(editor_client.get(response["Location"])))


def test_a_recovered_published_profile_is_served_again(client, editor_user, graph):
    client.force_login(editor_user)
    version = delete_in_desk(client, graph)
    client.logout()
    cache.clear()
    assert client.get("/en/profiles/exchange/").status_code == 404
    client.force_login(editor_user)
    client.post(recover_url(version))
    client.logout()
    page = client.get("/en/profiles/exchange/")
    assert page.status_code == 200 and "It runs the exchange." in page.content.decode()


def test_a_taken_slug_refuses_the_recovery_and_writes_nothing(editor_client, graph):
    pk = graph.pk
    version = delete_in_desk(editor_client, graph)
    newcomer = ProfileFactory(slug="exchange", name_en="New exchange")
    counts = (Profile.objects.count(), Claim.objects.count(), ProfileChange.objects.count(),
              history.Version.objects.count())  # fmt: skip

    response = editor_client.post(recover_url(version))

    assert response.status_code == 302 and response["Location"] == LIST
    assert (Profile.objects.count(), Claim.objects.count(), ProfileChange.objects.count(),
            history.Version.objects.count()) == counts  # fmt: skip
    assert not Profile.objects.filter(pk=pk).exists()
    assert Profile.objects.get(slug="exchange") == newcomer
    assert any("Another profile now has the address “exchange”" in m for m in messages_of(editor_client.get(LIST)))


def test_a_link_to_a_source_deleted_since_is_left_out(editor_client, graph):
    version = delete_in_desk(editor_client, graph)
    EvidenceFactory._meta.model.objects.filter(title_en="Filing").delete()
    response = editor_client.post(recover_url(version))
    profile = Profile.objects.get(pk=graph.pk)
    assert not Claim.objects.get(profile=profile).evidence_links.exists()
    assert any("could not be restored" in m for m in messages_of(editor_client.get(response["Location"])))


def test_recovering_needs_a_post(editor_client, graph):
    version = delete_in_desk(editor_client, graph)
    assert editor_client.get(recover_url(version)).status_code == 405
    assert not Profile.objects.filter(pk=graph.pk).exists()


def test_an_unknown_version_is_not_found(editor_client, graph):
    ProfileFactory()
    assert editor_client.post(f"{LIST}999999/").status_code == 404


def test_an_analyst_sees_the_list_but_cannot_recover(client, editor_user, graph):
    client.force_login(editor_user)
    version = delete_in_desk(client, graph)
    client.force_login(user_with_role("analyst"))
    page = client.get(LIST)
    assert page.status_code == 200 and "Exchange" in page.content.decode()
    assert recover_url(version) not in page.content.decode()
    assert client.post(recover_url(version)).status_code == 403
    assert not Profile.objects.filter(pk=graph.pk).exists()


def test_anonymous_readers_are_sent_to_sign_in(client, editor_user, graph):
    client.force_login(editor_user)
    version = delete_in_desk(client, graph)
    client.logout()
    for response in (client.get(LIST), client.post(recover_url(version))):
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Profile.objects.filter(pk=graph.pk).exists()


@pytest.mark.parametrize(
    ("language", "heading", "name"), [("en", "Recover deleted profiles", "Exchange"), ("zh-hans", "恢复已删除的档案", "交易所")]
)
def test_the_page_renders_in_both_languages(editor_client, graph, language, heading, name):
    delete_in_desk(editor_client, graph)
    page = editor_client.get(LIST, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert heading in page and name in page


def test_the_page_costs_a_fixed_number_of_queries(editor_client, graph, django_assert_num_queries):
    delete_in_desk(editor_client, graph)
    editor_client.get(LIST)  # the first visit after a deletion; measured: the next ones
    for more in (0, 3):
        for n in range(more):
            delete_in_desk(editor_client, ProfileFactory(name_en=f"Other {n}"))
        with django_assert_num_queries(session_queries() + RECOVER_PAGE_QUERIES):
            response = editor_client.get(LIST)
        assert response.status_code == 200
    assert len(response.context["deleted"]) == 4
