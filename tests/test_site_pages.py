"""The pages around the profile pages: methodology, feed, sitemap, robots.txt, page meta, errors.

Every one of them is public and must carry public text only, whoever asks.
"""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext

from profiles.models import ConfidenceBand, ProfileKind, ProfileStatus, TimelineKind, Visibility
from profiles.rules import confidence
from profiles.rules.confidence import DEFAULT_BAND_ROWS
from profiles.services.band_table import replace_band_table
from profiles.web.structured_data import describe
from registry import urls as project_urls
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
    WatchpointFactory,
)

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
# SQL queries, whatever the number of profiles: the feed reads the newest public profiles, then
# the newest public update events with their profiles; the sitemap reads the published
# profiles' slugs and dates.
FEED_QUERIES = 2
SITEMAP_QUERIES = 1
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)

GATED_MARKERS = {
    "members_claim": "MARKER-MEMBERS-CLAIM",
    "internal_claim": "MARKER-INTERNAL-CLAIM",
    "unverified_claim": "MARKER-UNVERIFIED-CLAIM",
    "internal_evidence": "MARKER-INTERNAL-EVIDENCE",
    "members_evidence": "MARKER-MEMBERS-EVIDENCE",
    "evidence_note": "MARKER-EVIDENCE-NOTE",
    "briefing_title": "MARKER-BRIEFING-TITLE",
    "briefing_body": "MARKER-BRIEFING-BODY",
    "briefing_notes": "MARKER-BRIEFING-NOTES",
    "members_event": "MARKER-MEMBERS-EVENT",
    "internal_update": "MARKER-INTERNAL-UPDATE",
    "members_watchpoint": "MARKER-MEMBERS-WATCHPOINT",
    "members_faq": "MARKER-MEMBERS-FAQ",
    "members_relationship": "MARKER-MEMBERS-RELATIONSHIP",
    "draft_name": "MARKER-DRAFT-NAME",
    "draft_summary": "MARKER-DRAFT-SUMMARY",
}


def text_of(response):
    return response.content.decode()


def head_of(response):
    return text_of(response).split("</head>", 1)[0]


def json_ld_of(response):
    blocks = JSON_LD.findall(head_of(response))
    assert len(blocks) == 1
    return json.loads(blocks[0])


def plant_gated_markers(profile):
    """Put a distinct marker in every gated part of `profile`, and a draft profile beside it."""
    m = GATED_MARKERS
    ClaimFactory(profile=profile, text_en=m["members_claim"], visibility=Visibility.MEMBERS)
    ClaimFactory(profile=profile, text_en=m["internal_claim"], visibility=Visibility.INTERNAL)
    ClaimFactory(profile=profile, text_en=m["unverified_claim"], verified=False)
    public_claim = ClaimFactory(profile=profile)
    internal_evidence = EvidenceFactory(title_en=m["internal_evidence"], visibility=Visibility.INTERNAL)
    members_evidence = EvidenceFactory(title_en=m["members_evidence"], visibility=Visibility.MEMBERS)
    ProfileEvidenceFactory(profile=profile, evidence=internal_evidence)
    ProfileEvidenceFactory(profile=profile, evidence=members_evidence)
    ClaimEvidenceFactory(claim=public_claim, evidence=internal_evidence, note_en=m["evidence_note"])
    BriefingFactory(
        profile=profile, title_en=m["briefing_title"], body_en=m["briefing_body"],
        source_notes_en=m["briefing_notes"], visibility=Visibility.MEMBERS,
    )  # fmt: skip
    TimelineEventFactory(profile=profile, title_en=m["members_event"], visibility=Visibility.MEMBERS,
                         kind=TimelineKind.PROFILE_UPDATE)  # fmt: skip
    TimelineEventFactory(profile=profile, title_en=m["internal_update"], visibility=Visibility.INTERNAL,
                         kind=TimelineKind.PROFILE_UPDATE)  # fmt: skip
    WatchpointFactory(profile=profile, text_en=m["members_watchpoint"], visibility=Visibility.MEMBERS)
    FaqEntryFactory(profile=profile, question_en=m["members_faq"], visibility=Visibility.MEMBERS)
    RelationshipFactory(source=profile, note_en=m["members_relationship"], visibility=Visibility.MEMBERS)
    draft = ProfileFactory(status=ProfileStatus.DRAFT, name_en=m["draft_name"], summary_en=m["draft_summary"])
    TimelineEventFactory(profile=draft, title_en="Draft update", kind=TimelineKind.PROFILE_UPDATE)
    return draft


def assert_no_gated_marker(text):
    for where, marker in GATED_MARKERS.items():
        assert marker not in text, where


# --- Atom feed ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_feed_is_valid_atom_with_links_in_its_language(client, language):
    profile = ProfileFactory(summary_en="Public summary.", published_at=timezone.now())
    response = client.get(f"/{language}/feeds/updates.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == language
    with translation.override(language):
        assert feed.findtext(f"{ATOM}title") == gettext("Infrastructure Intelligence Registry: updates")
    for required in ("id", "updated", "subtitle"):
        assert feed.findtext(f"{ATOM}{required}"), required
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == profile.name_en
    assert entry.findtext(f"{ATOM}summary") == "Public summary."
    assert entry.find(f"{ATOM}link").get("href") == f"http://testserver/{language}/profiles/{profile.slug}/"
    for required in ("id", "updated", "published"):
        assert entry.findtext(f"{ATOM}{required}"), required


@pytest.mark.django_db
def test_feed_lists_only_published_profiles_newest_first(client):
    now = timezone.now()
    older = ProfileFactory(name_en="Older profile", updated_at=now - timedelta(days=3))
    newest = ProfileFactory(name_en="Newest profile", updated_at=now - timedelta(hours=1))
    middle = ProfileFactory(name_en="Middle profile", updated_at=now - timedelta(days=1))
    for status in (ProfileStatus.DRAFT, ProfileStatus.IN_REVIEW, ProfileStatus.ARCHIVED):
        ProfileFactory(name_en=f"Unpublished {status}", status=status, updated_at=now)
    feed = ET.fromstring(client.get("/en/feeds/updates.atom").content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
    assert titles == [newest.name_en, middle.name_en, older.name_en]


@pytest.mark.django_db
def test_feed_includes_public_profile_update_events_of_published_profiles(client):
    profile = ProfileFactory(name_en="Cable registry", updated_at=timezone.now() - timedelta(days=10))
    TimelineEventFactory(profile=profile, kind=TimelineKind.PROFILE_UPDATE, title_en="Role revised",
                         text_en="Public update text.", date=timezone.now().date())  # fmt: skip
    TimelineEventFactory(profile=profile, kind=TimelineKind.INCIDENT, title_en="An incident, not an update")
    feed = ET.fromstring(client.get("/en/feeds/updates.atom").content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Cable registry: Role revised", "Cable registry"]
    assert entries[0].findtext(f"{ATOM}summary") == "Public update text."
    assert entries[0].findtext(f"{ATOM}id") != entries[1].findtext(f"{ATOM}id")


@pytest.mark.django_db
@pytest.mark.parametrize("as_member", [False, True])
def test_feed_never_contains_gated_text_or_drafts(client, as_member):
    profile = ProfileFactory(summary_en="Public summary.")
    plant_gated_markers(profile)
    if as_member:
        client.force_login(MembershipFactory().user)
    feed = text_of(client.get("/en/feeds/updates.atom"))
    assert "Public summary." in feed
    assert_no_gated_marker(feed)
    assert "Draft update" not in feed


@pytest.mark.django_db
def test_feed_query_count_does_not_grow_with_the_number_of_profiles(client, django_assert_num_queries):
    for n, entries in ((2, 4), (18, 40)):  # each profile, and its update
        for _ in range(n):
            TimelineEventFactory(profile=ProfileFactory(), kind=TimelineKind.PROFILE_UPDATE)
        with django_assert_num_queries(FEED_QUERIES):
            response = client.get("/en/feeds/updates.atom")
        assert response.status_code == 200
        assert text_of(response).count("<entry>") == entries


# --- sitemap and robots.txt ----------------------------------------------------


def sitemap_urls(response):
    """{location: {hreflang: href}} of a sitemap response."""
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    return {
        url.findtext(f"{SITEMAP}loc"): {
            link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
        }
        for url in root.findall(f"{SITEMAP}url")
    }


@pytest.mark.django_db
def test_sitemap_lists_published_profiles_in_both_languages_with_hreflang_alternates(client):
    profile = ProfileFactory()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    urls = sitemap_urls(response)
    en = f"http://testserver/en/profiles/{profile.slug}/"
    zh = f"http://testserver/zh-hans/profiles/{profile.slug}/"
    assert urls[en] == {"en": en, "zh-hans": zh}
    assert urls[zh] == {"en": en, "zh-hans": zh}


@pytest.mark.django_db
def test_sitemap_lists_home_profile_list_and_methodology_in_both_languages(client):
    urls = sitemap_urls(client.get("/sitemap.xml"))
    for language in ("en", "zh-hans"):
        for page in ("", "profiles/", "methodology/"):
            assert f"http://testserver/{language}/{page}" in urls


@pytest.mark.django_db
def test_sitemap_never_lists_draft_in_review_or_archived_profiles(client):
    hidden = [ProfileFactory(status=status) for status in
              (ProfileStatus.DRAFT, ProfileStatus.IN_REVIEW, ProfileStatus.ARCHIVED)]  # fmt: skip
    client.force_login(StaffFactory())  # the sitemap is public whoever asks
    sitemap = text_of(client.get("/sitemap.xml"))
    for profile in hidden:
        assert f"/profiles/{profile.slug}/" not in sitemap


@pytest.mark.django_db
def test_sitemap_query_count_does_not_grow_with_the_number_of_profiles(client, django_assert_num_queries):
    for n, profiles in ((2, 2), (18, 20)):
        ProfileFactory.create_batch(n)
        with django_assert_num_queries(SITEMAP_QUERIES):
            response = client.get("/sitemap.xml")
        assert response.status_code == 200
        assert len([url for url in sitemap_urls(response) if "/profiles/profile-" in url]) == 2 * profiles  # both languages


def test_robots_txt_allows_the_site_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = text_of(response).splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    for private in ("/admin/", "/accounts/", "/api/"):
        assert f"Disallow: {private}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_robots_txt_sitemap_url_follows_the_request_host(client):
    response = client.get("/robots.txt", headers={"host": "localhost"}, secure=True)
    assert "Sitemap: https://localhost/sitemap.xml" in text_of(response).splitlines()


# --- methodology ----------------------------------------------------------------


@pytest.mark.django_db
def test_methodology_shows_the_live_band_table(client):
    ConfidenceBand.objects.filter(lower=Decimal("0.75")).update(label_en="Edited strong label")
    page = text_of(client.get("/en/methodology/"))
    assert "<td>0.75</td><td>0.89</td><td>A/B</td><td>Edited strong label</td>" in page
    assert "<td>0.90</td><td>1.00</td><td>A</td><td>High — direct sources</td>" in page


@pytest.mark.django_db
def test_methodology_cap_follows_the_band_table(client, django_capture_on_commit_callbacks):
    assert "which is 0.89 with the table above" in text_of(client.get("/en/methodology/"))
    rows = [
        {"lower": lower, "upper": upper, "grade": grade, "label_en": label}
        for lower, upper, grade, label, *_rest in DEFAULT_BAND_ROWS
    ]
    rows[0]["lower"], rows[1]["upper"] = "0.95", "0.94"
    with django_capture_on_commit_callbacks(execute=True):
        replace_band_table(rows)
    assert "which is 0.94 with the table above" in text_of(client.get("/en/methodology/"))


@pytest.mark.django_db
def test_methodology_shows_the_weights_factors_and_half_life_from_the_code(client):
    page = text_of(client.get("/en/methodology/"))
    for kind, weight in confidence.KIND_WEIGHTS.items():
        assert f"<td>{weight}</td>" in page, kind
    for code, factor in confidence.RELIABILITY_FACTORS.items():
        assert f"<td>{factor}</td>" in page, code
    assert f"half-life {confidence.HALF_LIFE_DAYS:,} days" in page
    assert "<td>one half-life old</td><td>50%</td>" in page
    assert f"Scoring policy {confidence.POLICY_VERSION}" in page


@pytest.mark.django_db
def test_methodology_in_chinese_shows_chinese_band_labels(client):
    ConfidenceBand.objects.filter(lower=Decimal("0.90")).update(label_zh_hans="高")
    response = client.get("/zh-hans/methodology/")
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="zh-hans">' in page
    assert "<td>0.90</td><td>1.00</td><td>A</td><td>高" in page


# --- profile page meta and JSON-LD ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
def test_profile_meta_carries_public_text_only_whoever_looks(client, who):
    profile = ProfileFactory(name_en="Northbridge IX", summary_en="A public summary.", aliases=["NBIX"])
    plant_gated_markers(profile)
    if who == "member":
        client.force_login(MembershipFactory().user)
    elif who == "staff":
        client.force_login(StaffFactory())
    response = client.get(f"/en/profiles/{profile.slug}/")
    assert response.status_code == 200
    head = head_of(response)
    assert_no_gated_marker(head)
    assert '<meta name="description" content="A public summary.">' in head
    assert '<meta property="og:title" content="Northbridge IX">' in head
    assert 'name="robots"' not in head  # published: indexable, whoever looks
    data = json_ld_of(response)
    assert data["name"] == "Northbridge IX"
    assert data["alternateName"] == ["NBIX"]
    assert data["description"] == "A public summary."
    if who != "anonymous":  # the gated text is on the page, just never in the head
        assert GATED_MARKERS["members_claim"] in text_of(response)
        assert GATED_MARKERS["briefing_body"] in text_of(response)


@pytest.mark.django_db
def test_institution_json_ld_is_an_organization_with_its_area_served(client):
    profile = ProfileFactory(kind=ProfileKind.INSTITUTION, region="Asia-Pacific", published_at=timezone.now())
    data = json_ld_of(client.get(f"/en/profiles/{profile.slug}/"))
    url = f"http://testserver/en/profiles/{profile.slug}/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Organization"
    assert data["url"] == url
    assert data["areaServed"] == "Asia-Pacific"
    assert data["mainEntityOfPage"]["@type"] == "ProfilePage"
    assert data["mainEntityOfPage"]["url"] == url
    assert data["mainEntityOfPage"]["inLanguage"] == "en"
    assert {"datePublished", "dateModified"} <= data["mainEntityOfPage"].keys()


@pytest.mark.django_db
def test_topic_json_ld_is_an_article_about_the_topic(client):
    profile = ProfileFactory(kind=ProfileKind.TOPIC, name_en="RPKI adoption", aliases=["ROV"],
                             region="Global", published_at=timezone.now())  # fmt: skip
    response = client.get(f"/en/profiles/{profile.slug}/")
    data = json_ld_of(response)
    assert data["@type"] == "Article"
    assert data["headline"] == "RPKI adoption"
    assert data["about"] == {"@type": "Thing", "name": "RPKI adoption", "alternateName": ["ROV"]}
    assert data["url"] == f"http://testserver/en/profiles/{profile.slug}/"
    assert {"datePublished", "dateModified", "publisher"} <= data.keys()
    assert "areaServed" not in data
    assert '<meta property="og:type" content="article">' in head_of(response)


@pytest.mark.django_db
def test_summary_with_script_tags_is_escaped_inside_json_ld(client):
    summary = "Safe </script><script>alert(1)</script> & <!-- more"
    profile = ProfileFactory(summary_en=summary)
    response = client.get(f"/en/profiles/{profile.slug}/")
    page = text_of(response)
    assert "<script>alert(1)" not in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e \\u0026 \\u003c!--" in page
    assert json_ld_of(response)["description"] == summary


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language,locale,alternate", [("en", "en_GB", "zh_CN"), ("zh-hans", "zh_CN", "en_GB")]
)
def test_canonical_and_og_url_are_this_profile_in_the_current_language(client, language, locale, alternate):
    profile = ProfileFactory(name_en="Registry", name_zh_hans="注册机构")
    response = client.get(f"/{language}/profiles/{profile.slug}/?utm_source=x")
    head = head_of(response)
    url = f"http://testserver/{language}/profiles/{profile.slug}/"
    assert f'<link rel="canonical" href="{url}">' in head
    assert f'<meta property="og:url" content="{url}">' in head
    assert f'<meta property="og:locale" content="{locale}">' in head
    assert f'<meta property="og:locale:alternate" content="{alternate}">' in head
    assert json_ld_of(response)["name"] == ("Registry" if language == "en" else "注册机构")


@pytest.mark.django_db
def test_profile_without_summary_gets_a_generic_description(client):
    profile = ProfileFactory(name_en="Quiet registry", summary_en="")
    head = head_of(client.get(f"/en/profiles/{profile.slug}/"))
    assert (
        '<meta name="description" content="Quiet registry: an evidence-graded profile '
        'in the Infrastructure Intelligence Registry.">'
    ) in head


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ProfileStatus.DRAFT, ProfileStatus.IN_REVIEW, ProfileStatus.ARCHIVED])
def test_unpublished_profile_viewed_by_staff_is_marked_noindex(client, status):
    draft, published = ProfileFactory(status=status), ProfileFactory()
    client.force_login(StaffFactory())
    assert '<meta name="robots" content="noindex">' in head_of(client.get(f"/en/profiles/{draft.slug}/"))
    assert 'name="robots"' not in head_of(client.get(f"/en/profiles/{published.slug}/"))


def test_description_is_cut_at_a_word_boundary_in_english():
    text = "word " * 60
    cut = describe(text)
    assert len(cut) <= 160
    assert cut.endswith("word…")


def test_description_is_cut_between_characters_in_chinese():
    cut = describe("数据枯竭" * 60)
    assert len(cut) == 160
    assert cut.endswith("…")


def test_short_description_is_kept_whole_on_one_line():
    assert describe("  A short\n summary.  ") == "A short summary."


# --- error pages ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_404_page_is_in_the_language_of_the_url(client, language):
    response = client.get(f"/{language}/profiles/nonexistent/")
    assert response.status_code == 404
    page = text_of(response)
    assert f'<html lang="{language}">' in page
    with translation.override(language):
        assert gettext("Page not found") in page
        assert gettext("Infrastructure Intelligence Registry") in page
    assert '<meta name="robots" content="noindex">' in page


@pytest.mark.django_db
def test_404_in_chinese_uses_the_chinese_catalogue(client):
    page = text_of(client.get("/zh-hans/profiles/nonexistent/"))
    with translation.override("zh-hans"):
        brand = gettext("Infrastructure Intelligence Registry")
    assert brand != "Infrastructure Intelligence Registry"
    assert brand in page


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ProfileStatus.DRAFT, ProfileStatus.ARCHIVED])
def test_404_for_an_unpublished_profile_looks_like_any_other_404(client, status):
    draft = ProfileFactory(status=status, slug="hidden-one", name_en=GATED_MARKERS["draft_name"],
                           summary_en=GATED_MARKERS["draft_summary"])  # fmt: skip
    client.force_login(MembershipFactory().user)
    hidden = client.get(f"/en/profiles/{draft.slug}/?q=probe")
    missing = client.get("/en/profiles/never-was/?q=probe")
    assert hidden.status_code == missing.status_code == 404
    assert_no_gated_marker(text_of(hidden))
    def normalised(response, slug):  # the masked CSRF token differs on every render
        return CSRF_TOKEN.sub("TOKEN", text_of(response).replace(slug, "SLUG"))

    assert normalised(hidden, "hidden-one") == normalised(missing, "never-was")


@pytest.mark.django_db
def test_404_language_switcher_offers_home_pages_for_unknown_paths(client):
    page = text_of(client.get("/zh-hans/no-such-page/?secret=1"))
    assert 'hreflang="en" href="/en/"' in page
    assert "secret=1" not in page.split("<main", 1)[1]


def _raise_error(request):
    raise RuntimeError("MARKER-TRACEBACK-DETAIL")


urlpatterns = [
    path("en/boom/", _raise_error),
    path("zh-hans/boom/", _raise_error),
    *project_urls.urlpatterns,
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_500_page_renders_in_the_url_language_without_the_database(client, settings, language):
    # No django_db mark: any database access here raises.
    settings.DEBUG = False
    client.raise_request_exception = False
    response = client.get(f"/{language}/boom/")
    assert response.status_code == 500
    page = text_of(response)
    assert f'<html lang="{language}">' in page
    with translation.override(language):
        assert gettext("Something went wrong on our side") in page
        assert gettext("Infrastructure Intelligence Registry") in page
        assert f'href="/{language}/"' in page
    assert "MARKER-TRACEBACK-DETAIL" not in page
    assert "Traceback" not in page
    assert "RuntimeError" not in page


def test_500_page_without_a_language_prefix_is_in_the_default_language(rf):
    from profiles.web.views.site import server_error

    response = server_error(rf.get("/no-prefix/"))
    assert response.status_code == 500
    assert '<html lang="en">' in text_of(response)
