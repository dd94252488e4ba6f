"""Keeping a copy in sync: cursor pagination while profiles are added, and the changes feed replay."""

import json

import pytest
from django.utils import timezone

from profiles.interchange.service import import_text
from profiles.models import Profile, ProfileStatus
from profiles.services import editing
from profiles.services.publishing import transition
from tests.api_support import API, client_with_token, error_of, token_client
from tests.factories import ProfileFactory, user_with_role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits", "band_table")]


# --- Cursor pagination ----------------------------------------------------------------------


def walk(client, params, *, between=None):
    """Every slug of every page, following `next`; `between(i)` runs after page i."""
    seen, url, page = [], f"{API}/profiles/", 0
    while url:
        response = client.get(url, params if page == 0 else None)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["slug"] for row in body["results"]]
        url = body["next"]
        page += 1
        if between:
            between(page)
    return seen


@pytest.mark.parametrize("ordering", ["-updated_at", "updated_at", "slug", "-slug", "-score", "id", "-id"])
def test_pages_have_no_duplicates_or_gaps_while_profiles_are_added(ordering):
    same_moment = timezone.now()
    originals = [ProfileFactory(slug=f"p{i:02d}", updated_at=same_moment).slug for i in range(0, 50, 2)]
    added = []

    def add_some(page):
        for _ in range(2):
            slug = f"p{len(added) * 2 + 1:02d}"  # odd slugs fall between the originals
            ProfileFactory(slug=slug)
            added.append(slug)

    seen = walk(client_with_token(), {"ordering": ordering, "page_size": 4}, between=add_some)
    assert len(seen) == len(set(seen)), "a profile was listed twice"
    assert set(originals) <= set(seen), "a profile was skipped"


def test_a_cursor_of_another_ordering_is_refused():
    for i in range(3):
        ProfileFactory(slug=f"p{i}")
    body = client_with_token().get(f"{API}/profiles/", {"ordering": "slug", "page_size": 1}).json()
    response = client_with_token().get(f"{API}/profiles/", {"ordering": "-score", "cursor": body["cursor"]})
    assert response.status_code == 400 and "cursor" in error_of(response)["fields"]


def test_filters_apply_on_every_page():
    for i in range(6):
        ProfileFactory(slug=f"t{i}", kind="topic")
        ProfileFactory(slug=f"i{i}", kind="institution")
    seen = walk(client_with_token(), {"kind": "topic", "page_size": 4})
    assert sorted(seen) == [f"t{i}" for i in range(6)]


# --- The changes feed -----------------------------------------------------------------------


class Replica:
    """A consumer's local copy, kept by the changes feed."""

    def __init__(self, client, limit):
        self.client, self.limit = client, limit
        self.profiles, self.cursor, self.slugs_ever_seen = {}, None, set()

    def sync(self):
        while True:
            params = {"limit": self.limit, **({"since": self.cursor} if self.cursor else {})}
            response = self.client.get(f"{API}/changes/", params)
            assert response.status_code == 200, response.content
            body = response.json()
            for entry in body["results"]:
                self.slugs_ever_seen.add(entry["slug"])
                if entry["action"] == "deleted":
                    assert entry["profile"] is None
                    self.profiles.pop(entry["slug"], None)
                else:
                    assert entry["profile"]["slug"] == entry["slug"]
                    self.profiles[entry["slug"]] = entry["profile"]
            self.cursor = body["next"]
            if not body["has_more"]:
                return

    def check_against_registry(self):
        listed = set()
        url, params = f"{API}/profiles/", {"page_size": 100}
        while url:
            body = self.client.get(url, params).json()
            listed |= {row["slug"] for row in body["results"]}
            url, params = body["next"], None
        assert set(self.profiles) == listed
        for slug, copy in self.profiles.items():
            assert copy == self.client.get(f"{API}/profiles/{slug}/").json(), slug


def document(slug, status="published", summary="First."):
    return json.dumps({"format": "registry-profile/1", "slug": slug, "kind": "topic", "status": status,
                       "name": {"en": slug.title()}, "summary": {"en": summary}})  # fmt: skip


def clients():
    member, _ = token_client("member")
    staff, _ = token_client("analyst")
    return {"anonymous": client_with_token(), "member": member, "staff": staff}


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_replaying_the_feed_ends_with_exactly_the_visible_set(limit):
    analyst, editor = user_with_role("analyst"), user_with_role("editor")
    audiences = clients()
    live = {name: Replica(client, limit) for name, client in audiences.items()}

    def publish(profile):
        transition(profile, ProfileStatus.IN_REVIEW, actor=analyst)
        transition(profile, ProfileStatus.PUBLISHED, actor=editor)

    def sync_all():
        for replica in live.values():
            replica.sync()
            replica.check_against_registry()

    # Round 1: creates, one published by import, a draft, an update.
    draft = editing.create_profile(slug="secret-draft", kind="topic", fields={"name": {"en": "Secret draft"}})
    import_text(document("alpha"))
    beta = editing.create_profile(slug="beta", kind="institution", fields={"name": {"en": "Beta"}})
    sync_all()
    publish(beta)
    import_text(document("alpha", summary="Second."))
    editing.update_profile(draft, fields={"region": "Hidden"}, actor=analyst)
    sync_all()

    # Round 2: unpublish, archive, republish, a short-lived public profile deleted, a draft deleted.
    transition(Profile.objects.get(slug="alpha"), ProfileStatus.DRAFT, actor=editor)
    import_text(document("gamma"))
    transition(Profile.objects.get(slug="beta"), ProfileStatus.ARCHIVED, actor=editor)
    editing.delete_profile(Profile.objects.get(slug="gamma"))
    doomed = editing.create_profile(slug="doomed-draft", kind="topic", fields={"name": {"en": "Doomed"}})
    editing.delete_profile(doomed)
    sync_all()
    alpha = Profile.objects.get(slug="alpha")
    publish(alpha)
    transition(Profile.objects.get(slug="beta"), ProfileStatus.DRAFT, actor=editor)
    publish(Profile.objects.get(slug="beta"))
    editing.update_profile(Profile.objects.get(slug="beta"), fields={"region": "Global"}, actor=analyst)
    import_text(document("delta"))
    sync_all()

    # A consumer starting from scratch now reaches the same state as the live ones.
    for name, client in audiences.items():
        fresh = Replica(client, limit)
        fresh.sync()
        fresh.check_against_registry()
        assert fresh.profiles == live[name].profiles

    for name in ("anonymous", "member"):
        assert set(live[name].profiles) == {"alpha", "beta", "delta"}
        assert not {"secret-draft", "doomed-draft"} & live[name].slugs_ever_seen, "a draft reached a reader's feed"
    assert set(live["staff"].profiles) == {"alpha", "beta", "delta", "secret-draft"}


def test_the_feed_says_created_updated_and_deleted():
    client = client_with_token()
    import_text(document("alpha"))
    body = client.get(f"{API}/changes/").json()
    assert [(e["action"], e["slug"]) for e in body["results"]] == [("created", "alpha")]
    import_text(document("alpha", summary="Changed."))
    body = client.get(f"{API}/changes/", {"since": body["next"]}).json()
    assert [(e["action"], e["slug"]) for e in body["results"]] == [("updated", "alpha")]
    assert body["results"][0]["profile"]["summary"] == "Changed."
    editing.delete_profile(Profile.objects.get(slug="alpha"))
    body = client.get(f"{API}/changes/", {"since": body["next"]}).json()
    assert body["results"] == [{"action": "deleted", "slug": "alpha", "changed_at": body["results"][0]["changed_at"],
                                "profile": None}]  # fmt: skip
    again = client.get(f"{API}/changes/", {"since": body["next"]}).json()
    assert again["results"] == [] and again["next"] == body["next"] and again["has_more"] is False


@pytest.mark.parametrize("since", ["garbage", "Y2hhbmdlOi0x", "0" * 200, "Y2hhbmdlOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"])
def test_a_bad_cursor_is_400_on_since(since):
    response = client_with_token().get(f"{API}/changes/", {"since": since})
    assert response.status_code == 400 and "since" in error_of(response)["fields"]
