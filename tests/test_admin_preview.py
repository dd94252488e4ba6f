"""Previewing a profile in any status as an anonymous reader or a member would see it published."""

import pytest

from profiles.models import ProfileStatus, Visibility
from tests.admin_client import change_url
from tests.factories import BriefingFactory, ClaimFactory, MembershipFactory, ProfileFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    profile = ProfileFactory(status=ProfileStatus.DRAFT, name_en="Draft Exchange", summary_en="Draft summary.")
    ClaimFactory(profile=profile, text_en="PUBLIC-CLAIM-MARKER")
    ClaimFactory(profile=profile, text_en="MEMBERS-CLAIM-MARKER", visibility=Visibility.MEMBERS)
    ClaimFactory(profile=profile, text_en="INTERNAL-CLAIM-MARKER", visibility=Visibility.INTERNAL)
    ClaimFactory(profile=profile, text_en="UNVERIFIED-CLAIM-MARKER", verified=False)
    TimelineEventFactory(profile=profile, title_en="INTERNAL-EVENT-MARKER", visibility=Visibility.INTERNAL)
    BriefingFactory(profile=profile, body_en="BRIEFING-MARKER")
    return profile


def preview_url(profile, audience):
    return f"/admin/profiles/profile/{profile.pk}/preview/{audience}/"


def test_a_draft_previewed_as_an_anonymous_reader_shows_only_what_readers_would_see(analyst_client, draft):
    response = analyst_client.get(preview_url(draft, "anonymous"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "PUBLIC-CLAIM-MARKER" in page and "Draft Exchange" in page
    for hidden in ("MEMBERS-CLAIM-MARKER", "INTERNAL-CLAIM-MARKER", "UNVERIFIED-CLAIM-MARKER", "INTERNAL-EVENT-MARKER",
                   "BRIEFING-MARKER"):  # fmt: skip
        assert hidden not in page
    assert "Log in to unlock the full profile briefing" in page


def test_a_draft_previewed_as_a_member_shows_the_members_items_and_briefing(analyst_client, draft):
    page = analyst_client.get(preview_url(draft, "member")).content.decode()
    assert "PUBLIC-CLAIM-MARKER" in page and "MEMBERS-CLAIM-MARKER" in page and "BRIEFING-MARKER" in page
    assert "INTERNAL-CLAIM-MARKER" not in page and "INTERNAL-EVENT-MARKER" not in page


@pytest.mark.parametrize("status", [ProfileStatus.IN_REVIEW, ProfileStatus.PUBLISHED, ProfileStatus.ARCHIVED])
def test_a_profile_in_any_status_can_be_previewed(analyst_client, status):
    profile = ProfileFactory(status=status)
    assert analyst_client.get(preview_url(profile, "anonymous")).status_code == 200


def test_the_preview_is_the_real_page_with_a_banner_never_indexed_or_cached(analyst_client, draft):
    response = analyst_client.get(preview_url(draft, "anonymous"))
    page = response.content.decode()
    assert [t.name for t in response.templates][:2] == ["profiles/preview.html", "profiles/profile_detail.html"]
    assert 'class="preview-banner"' in page and "This is how an anonymous reader would see this profile" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert 'application/ld+json' not in page


def test_the_preview_can_be_read_in_chinese(analyst_client, draft):
    draft.name_zh_hans = "草稿交易所"
    draft.save()
    page = analyst_client.get(preview_url(draft, "anonymous"), {"lang": "zh-hans"}).content.decode()
    assert '<html lang="zh-hans">' in page and "草稿交易所" in page


def test_the_change_page_links_to_both_previews(analyst_client, draft):
    page = analyst_client.get(change_url(draft)).content.decode()
    assert preview_url(draft, "anonymous") in page and preview_url(draft, "member") in page


def test_an_unknown_audience_is_not_found(analyst_client, draft):
    assert analyst_client.get(preview_url(draft, "staff")).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_previews_are_for_staff_only(client, draft, who):
    if who == "member":
        client.force_login(MembershipFactory().user)
    response = client.get(preview_url(draft, "member"))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
