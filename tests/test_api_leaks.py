"""No gated text reaches an API caller whose audience may not see it.

The planted registry of tests/planted.py (a distinct marker in every members-only and
internal field, in unverified and retracted claims, unreviewed evidence and
unpublished profiles) is read through every API endpoint — list, detail, each
part and each item, the changes feed, bands, searches for common words and for
the markers — in each language and with `lang=all`, as anonymous, expired member,
member and staff. Anonymous readers see no marker; members see the members'
markers and never an internal one; staff see both (so the markers did reach the API).
"""

import re

import pytest
from django.utils import timezone

from profiles.models import ChangeAction, Profile
from profiles.services.changes import change_entry, record_changes
from tests.api_support import API, client_with_token, token_client
from tests.factories import MembershipFactory
from tests.planted import INTERNAL, MEMBERS, api_crawl, everything_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]


@pytest.fixture(autouse=True)
def every_profile_in_the_changes_feed(planted_registry):
    """Factories write no feed entries: enter every planted profile, drafts included."""
    record_changes(
        change_entry(profile, ChangeAction.CREATED, public_before=False) for profile in Profile.objects.all()
    )


def crawl_text(client):
    for url, response in api_crawl(client):
        assert response.status_code < 500, url
        yield url, everything_of(response)


def test_anonymous_api_responses_never_show_gated_text(planted_registry):
    for url, text in crawl_text(client_with_token()):
        assert MEMBERS not in text, f"members-only text in {url}"
        assert INTERNAL not in text, f"internal text in {url}"


def test_expired_member_api_responses_are_anonymous(planted_registry, client):
    membership = MembershipFactory(valid_until=timezone.now() - timezone.timedelta(days=1))
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(membership.user)
    for url, text in crawl_text(api):
        assert MEMBERS not in text, f"members-only text in {url} after expiry"


def test_member_token_sees_members_text_and_never_internal(planted_registry):
    client, _user = token_client("member")
    found = set()
    for url, text in crawl_text(client):
        assert INTERNAL not in text, f"internal text in {url} for a member"
        found.update(re.findall(rf"{MEMBERS}[a-z_]+(?:en|zh)", text))
    for field in ["body", "source_notes", "text", "note", "title", "excerpt", "question", "answer"]:
        assert any(field in marker for marker in found), field


def test_staff_token_sees_internal_text_so_the_markers_reach_the_api(planted_registry):
    client, _user = token_client("analyst")
    texts = " ".join(text for _url, text in crawl_text(client))
    assert INTERNAL in texts and MEMBERS in texts
    assert "zqinternal-draft" in texts
    feed = " ".join(str(entry) for entry in client.get(f"{API}/changes/").json()["results"])
    assert "zqinternal-draft" in feed and "zqinternalnameen" in feed
