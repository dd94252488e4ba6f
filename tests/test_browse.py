"""The profile list (filters, counts, sorting, pagination), facet pages and the home page."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from profiles.models import ConfidenceBand, Criticality, ProfileKind, ProfileStatus, ProfileTopic
from tests.factories import ClaimFactory, MembershipFactory, ProfileFactory, StaffFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/en/profiles/"


def slugs(response):
    assert response.status_code == 200
    return [row.profile.slug for row in response.context["page_obj"]]


def counts(response, name):
    """{option value: count} of one filter as the page shows it."""
    group = next(group for group in response.context["result"].groups if group.name == name)
    return {option.value: option.count for option in group.options}


def text_of(response):
    return response.content.decode()


def topic(profile, *names):
    for position, name in enumerate(names):
        ProfileTopic.objects.create(profile=profile, name=name, position=position)
    return profile


# Visibility -----------------------------------------------------------------------


def test_readers_see_only_published_profiles(client):
    ProfileFactory(slug="shown")
    for status in (ProfileStatus.DRAFT, ProfileStatus.IN_REVIEW, ProfileStatus.ARCHIVED):
        ProfileFactory(slug=f"hidden-{status}", name_en=f"Hidden {status}", status=status)
    response = client.get(LIST_URL)
    assert slugs(response) == ["shown"]
    assert "Hidden" not in text_of(response)


def test_members_see_only_published_profiles(client):
    ProfileFactory(slug="shown")
    ProfileFactory(slug="draft", status=ProfileStatus.DRAFT)
    client.force_login(MembershipFactory().user)
    assert slugs(client.get(LIST_URL)) == ["shown"]


def test_staff_see_every_status_and_can_filter_by_status(client):
    ProfileFactory(slug="published")
    ProfileFactory(slug="draft", status=ProfileStatus.DRAFT)
    ProfileFactory(slug="archived", status=ProfileStatus.ARCHIVED)
    client.force_login(StaffFactory())
    assert sorted(slugs(client.get(LIST_URL))) == ["archived", "draft", "published"]
    response = client.get(LIST_URL, {"status": "draft"})
    assert slugs(response) == ["draft"]
    assert counts(response, "status") == {"draft": 1, "in_review": 0, "published": 1, "archived": 1}


def test_status_filter_does_not_exist_for_readers(client):
    ProfileFactory(slug="published")
    ProfileFactory(slug="draft", status=ProfileStatus.DRAFT)
    response = client.get(LIST_URL, {"status": "draft"})
    assert slugs(response) == ["published"]
    assert 'name="status"' not in text_of(response)


# Filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parameter, field, wanted, other",
    [
        ("kind", "kind", ProfileKind.TOPIC, ProfileKind.INSTITUTION),
        ("category", "category", "Internet exchange", "Regulator"),
        ("region", "region", "Asia Pacific", "Europe"),
        ("criticality", "criticality", Criticality.CRITICAL, Criticality.LOW),
        ("primary_domain", "primary_domain", "Routing", "Naming"),
        ("signal_focus", "signal_focus", "Governance", "Security"),
        ("content_type", "content_type", "profile", "article"),
    ],
)
def test_each_filter_keeps_only_matching_profiles(client, parameter, field, wanted, other):
    ProfileFactory(slug="wanted", **{field: wanted})
    ProfileFactory(slug="other", **{field: other})
    ProfileFactory(slug="hidden", status=ProfileStatus.DRAFT, **{field: wanted})
    assert slugs(client.get(LIST_URL, {parameter: wanted})) == ["wanted"]


def test_topic_filter_keeps_profiles_with_that_topic(client):
    topic(ProfileFactory(slug="rpki"), "RPKI", "IPv6")
    topic(ProfileFactory(slug="ipv6"), "IPv6")
    assert slugs(client.get(LIST_URL, {"topic": "RPKI"})) == ["rpki"]
    assert sorted(slugs(client.get(LIST_URL, {"topic": "IPv6"}))) == ["ipv6", "rpki"]


def test_filters_combine_with_and(client):
    ProfileFactory(slug="both", kind=ProfileKind.TOPIC, region="Europe", primary_domain="Routing")
    ProfileFactory(slug="kind-only", kind=ProfileKind.TOPIC, region="Africa", primary_domain="Routing")
    ProfileFactory(slug="region-only", kind=ProfileKind.INSTITUTION, region="Europe", primary_domain="Routing")
    response = client.get(LIST_URL, {"kind": "topic", "region": "Europe", "primary_domain": "Routing"})
    assert slugs(response) == ["both"]


def test_a_value_nobody_has_gives_an_empty_list(client):
    ProfileFactory(region="Europe")
    response = client.get(LIST_URL, {"region": "Atlantis"})
    assert slugs(response) == []
    assert "No profiles match these filters." in text_of(response)


def test_an_unknown_choice_is_ignored_with_a_notice(client):
    ProfileFactory(slug="a")
    response = client.get(LIST_URL, {"kind": "planet", "grade": "Z"})
    assert slugs(response) == ["a"]
    assert "Some filter values were not recognised and have been ignored." in text_of(response)


def test_a_nul_character_in_a_value_is_ignored_not_an_error(client):
    ProfileFactory(slug="a", region="Europe")
    response = client.get(LIST_URL, {"region": "Eu\x00rope", "q": "a\x00b"})
    assert response.status_code == 200
    assert client.get("/en/facets/region/Eu%00rope/").status_code == 404


# Grades ---------------------------------------------------------------------------


def test_grade_filter_uses_the_band_range(client):
    # By the default table: 0.75–0.89 is A/B, 0.90–1.00 is A, 0.55–0.74 is B/C.
    ProfileFactory(slug="low-ab", score=Decimal("0.75"))
    ProfileFactory(slug="high-ab", score=Decimal("0.89"))
    ProfileFactory(slug="a", score=Decimal("0.90"))
    ProfileFactory(slug="bc", score=Decimal("0.74"))
    assert sorted(slugs(client.get(LIST_URL, {"grade": "A/B"}))) == ["high-ab", "low-ab"]
    assert slugs(client.get(LIST_URL, {"grade": "A"})) == ["a"]


def test_grade_d_matches_both_d_bands(client):
    # Two bands are graded D: 0.10–0.34 (weak signal) and 0.00–0.09 (internal monitoring).
    ProfileFactory(slug="monitoring", score=Decimal("0.00"))
    ProfileFactory(slug="monitoring-top", score=Decimal("0.09"))
    ProfileFactory(slug="weak", score=Decimal("0.34"))
    ProfileFactory(slug="cd", score=Decimal("0.35"))
    response = client.get(LIST_URL, {"grade": "D"})
    assert sorted(slugs(response)) == ["monitoring", "monitoring-top", "weak"]
    assert counts(response, "grade") == {"A": 0, "A/B": 0, "B/C": 0, "C/D": 1, "D": 3}


def test_grade_filter_follows_the_live_band_table(client):
    ProfileFactory(slug="strong", score=Decimal("0.80"))
    ConfidenceBand.objects.filter(lower=Decimal("0.75")).update(grade="B+")
    assert slugs(client.get(LIST_URL, {"grade": "B+"})) == ["strong"]
    # "A/B" is no longer a grade of the table: ignored, so everything is listed.
    response = client.get(LIST_URL, {"grade": "A/B"})
    assert "Some filter values were not recognised" in text_of(response)


def test_grade_option_lists_each_grade_once_with_its_labels(client):
    ProfileFactory()
    page = text_of(client.get(LIST_URL))
    assert page.count('<option value="D"') == 1
    assert "D — Weak signal, Internal monitoring (1)" in page


# Counts ---------------------------------------------------------------------------


def test_counts_apply_the_other_filters_but_not_their_own(client):
    for i in range(3):
        ProfileFactory(slug=f"inst-eu-{i}", kind=ProfileKind.INSTITUTION, region="Europe")
    ProfileFactory(slug="topic-eu", kind=ProfileKind.TOPIC, region="Europe")
    ProfileFactory(slug="inst-af", kind=ProfileKind.INSTITUTION, region="Africa")

    unfiltered = client.get(LIST_URL)
    assert counts(unfiltered, "kind") == {"institution": 4, "topic": 1}
    assert counts(unfiltered, "region") == {"Africa": 1, "Europe": 4}

    by_kind = client.get(LIST_URL, {"kind": "institution"})
    assert len(slugs(by_kind)) == 4
    assert counts(by_kind, "kind") == {"institution": 4, "topic": 1}  # its own filter is not applied
    assert counts(by_kind, "region") == {"Africa": 1, "Europe": 3}  # the kind filter is

    both = client.get(LIST_URL, {"kind": "institution", "region": "Europe"})
    assert counts(both, "kind") == {"institution": 3, "topic": 1}
    assert counts(both, "region") == {"Africa": 1, "Europe": 3}


def test_counts_are_shown_next_to_each_option(client):
    ProfileFactory(region="Europe")
    ProfileFactory(region="Europe")
    page = text_of(client.get(LIST_URL))
    assert '<option value="Europe">Europe (2)</option>' in page
    assert '<option value="topic">Topic (0)</option>' in page


def test_counts_never_include_profiles_the_reader_may_not_see(client):
    ProfileFactory(region="Europe")
    ProfileFactory(region="Europe", status=ProfileStatus.DRAFT)
    ProfileFactory(region="Secret region", status=ProfileStatus.DRAFT)
    response = client.get(LIST_URL)
    assert counts(response, "region") == {"Europe": 1}
    assert "Secret region" not in text_of(response)


def test_topic_counts_count_profiles(client):
    topic(ProfileFactory(), "RPKI", "IPv6")
    topic(ProfileFactory(), "RPKI")
    topic(ProfileFactory(status=ProfileStatus.DRAFT), "RPKI", "Draft-only topic")
    assert counts(client.get(LIST_URL), "topic") == {"IPv6": 1, "RPKI": 2}


def test_counts_follow_the_search(client):
    ProfileFactory(name_en="Northbridge Exchange", region="Europe")
    ProfileFactory(name_en="Southbridge Exchange", region="Africa")
    ProfileFactory(name_en="Harbour Registry", region="Europe")
    response = client.get(LIST_URL, {"q": "exchange"})
    assert counts(response, "region") == {"Africa": 1, "Europe": 1}


def test_counts_apply_topic_and_grade_filters_to_the_other_filters(client):
    topic(ProfileFactory(slug="rpki-a", region="Europe", score=Decimal("0.95")), "RPKI")
    topic(ProfileFactory(slug="rpki-d", region="Africa", score=Decimal("0.05")), "RPKI")
    topic(ProfileFactory(slug="ipv6-a", region="Europe", score=Decimal("0.92")), "IPv6")
    response = client.get(LIST_URL, {"topic": "RPKI", "grade": "A"})
    assert slugs(response) == ["rpki-a"]
    assert counts(response, "region") == {"Europe": 1}  # both filters apply
    assert counts(response, "topic") == {"IPv6": 1, "RPKI": 1}  # the grade filter applies
    assert counts(response, "grade") == {"A": 1, "A/B": 0, "B/C": 0, "C/D": 0, "D": 1}  # the topic filter applies


def test_the_number_of_results_drives_the_pages(client):
    _many(45, region="Europe")
    for i in range(3):
        ProfileFactory(slug=f"africa-{i}", region="Africa")
    response = client.get(LIST_URL, {"region": "Europe", "page": 3})
    assert response.context["page_obj"].paginator.count == 45
    assert slugs(response) == [f"p-{i:02d}" for i in range(40, 45)]
    assert '<h2 id="results-h">45 profiles</h2>' in text_of(response)


# Sorting --------------------------------------------------------------------------


def test_default_sort_is_newest_update_first(client):
    now = timezone.now()
    ProfileFactory(slug="old", updated_at=now - timedelta(days=30))
    ProfileFactory(slug="new", updated_at=now)
    ProfileFactory(slug="mid", updated_at=now - timedelta(days=3))
    assert slugs(client.get(LIST_URL)) == ["new", "mid", "old"]
    assert slugs(client.get(LIST_URL, {"sort": "updated"})) == ["new", "mid", "old"]


def test_sort_by_name_is_alphabetical_in_the_page_language(client):
    ProfileFactory(slug="b", name_en="beta", name_zh_hans="甲")
    ProfileFactory(slug="a", name_en="Alpha", name_zh_hans="乙")
    ProfileFactory(slug="c", name_en="Gamma")  # no Chinese name: sorts by its English one
    assert slugs(client.get(LIST_URL, {"sort": "name"})) == ["a", "b", "c"]
    # Code points: "Gamma" < "乙" (U+4E59) < "甲" (U+7532).
    assert slugs(client.get("/zh-hans/profiles/", {"sort": "name"})) == ["c", "a", "b"]


def test_sort_by_confidence_is_highest_score_first(client):
    ProfileFactory(slug="weak", score=Decimal("0.20"))
    ProfileFactory(slug="strong", score=Decimal("0.95"))
    ProfileFactory(slug="medium", score=Decimal("0.60"))
    assert slugs(client.get(LIST_URL, {"sort": "confidence"})) == ["strong", "medium", "weak"]


def test_an_unknown_sort_falls_back_to_newest_first(client):
    now = timezone.now()
    ProfileFactory(slug="old", updated_at=now - timedelta(days=1))
    ProfileFactory(slug="new", updated_at=now)
    assert slugs(client.get(LIST_URL, {"sort": "shoe-size"})) == ["new", "old"]


# Pagination -----------------------------------------------------------------------


def _many(n, **fields):
    now = timezone.now()
    for i in range(n):
        ProfileFactory(slug=f"p-{i:02d}", updated_at=now - timedelta(minutes=i), **fields)


def test_pages_hold_twenty_profiles(client):
    _many(45)
    assert slugs(client.get(LIST_URL)) == [f"p-{i:02d}" for i in range(20)]
    assert slugs(client.get(LIST_URL, {"page": 2})) == [f"p-{i:02d}" for i in range(20, 40)]
    assert slugs(client.get(LIST_URL, {"page": 3})) == [f"p-{i:02d}" for i in range(40, 45)]


def test_a_page_out_of_range_shows_the_last_page(client):
    _many(25)
    assert slugs(client.get(LIST_URL, {"page": 99})) == [f"p-{i:02d}" for i in range(20, 25)]
    assert slugs(client.get(LIST_URL, {"page": "x"})) == [f"p-{i:02d}" for i in range(20)]


def test_page_links_keep_the_filters(client):
    _many(25, region="Europe", kind=ProfileKind.TOPIC)
    page = text_of(client.get(LIST_URL, {"region": "Europe", "kind": "topic", "q": "profile", "sort": "name"}))
    nav = re.search(r'<nav class="pagination" aria-label="Pagination">.*?</nav>', page, re.S).group()
    assert 'aria-current="page"' in nav
    link = re.search(r'<a href="\?([^"]+)" rel="next">', nav).group(1)
    assert sorted(link.split("&amp;")) == ["kind=topic", "page=2", "q=profile", "region=Europe", "sort=name"]


def test_removing_an_active_filter_keeps_the_others(client):
    ProfileFactory(region="Europe", kind=ProfileKind.TOPIC)
    page = text_of(client.get(LIST_URL, {"region": "Europe", "kind": "topic", "page": "1"}))
    assert '<a href="?kind=topic">Remove<span class="visually-hidden"> Region</span></a>' in page


# The form and the rows ---------------------------------------------------------------


def test_filter_form_works_without_javascript(client):
    ProfileFactory()
    page = text_of(client.get(LIST_URL))
    form = re.search(r'<form class="browse-form" method="get" action="/en/profiles/">.*?</form>', page, re.S).group()
    assert '<button type="submit">' in form
    for name in ("q", "sort", "kind", "category", "region", "grade", "criticality", "primary_domain",
                 "signal_focus", "content_type", "topic"):  # fmt: skip
        assert f'<label for="browse-{name}">' in form, name
        assert f'id="browse-{name}" ' in form and f'name="{name}"' in form, name
    assert "<script" not in page


def test_rows_show_grade_badge_and_link_facet_values_to_facet_pages(client):
    topic(ProfileFactory(region="Asia Pacific", primary_domain="Routing", score=Decimal("0.80")), "RPKI")
    page = text_of(client.get(LIST_URL))
    assert "Confidence: <strong>A/B</strong> · Strong · 0.80" in page
    assert 'href="/en/facets/region/Asia%20Pacific/"' in page
    assert 'href="/en/facets/primary_domain/Routing/"' in page
    assert 'href="/en/facets/topic/RPKI/"' in page


def test_a_facet_value_with_a_slash_links_to_the_filtered_list(client):
    ProfileFactory(category="Registry / operator")
    page = text_of(client.get(LIST_URL))
    assert 'href="/en/profiles/?category=Registry+%2F+operator"' in page


def test_the_list_renders_in_chinese(client):
    ProfileFactory(name_en="Harbour Exchange", name_zh_hans="港口交换中心", kind=ProfileKind.INSTITUTION)
    page = text_of(client.get("/zh-hans/profiles/"))
    assert '<html lang="zh-hans">' in page
    assert "港口交换中心" in page
    assert 'action="/zh-hans/profiles/"' in page


# Facet pages ------------------------------------------------------------------------


def test_facet_page_lists_visible_profiles_with_that_value(client):
    ProfileFactory(slug="apac", region="Asia Pacific")
    ProfileFactory(slug="europe", region="Europe")
    ProfileFactory(slug="apac-draft", region="Asia Pacific", status=ProfileStatus.DRAFT)
    response = client.get("/en/facets/region/Asia%20Pacific/")
    assert slugs(response) == ["apac"]
    page = text_of(response)
    assert "<h1>Region: Asia Pacific</h1>" in page
    assert 'href="/en/profiles/?region=Asia+Pacific"' in page


@pytest.mark.parametrize(
    "facet, field",
    [("primary_domain", "primary_domain"), ("signal_focus", "signal_focus"), ("content_type", "content_type"),
     ("region", "region"), ("category", "category")],
)  # fmt: skip
def test_each_facet_has_a_page(client, facet, field):
    ProfileFactory(slug="yes", **{field: "Value"})
    ProfileFactory(slug="no", **{field: "Other"})
    assert slugs(client.get(f"/en/facets/{facet}/Value/")) == ["yes"]


def test_topic_facet_page(client):
    topic(ProfileFactory(slug="yes"), "IP addresses")
    topic(ProfileFactory(slug="no"), "Naming")
    assert slugs(client.get("/en/facets/topic/IP%20addresses/")) == ["yes"]


def test_chinese_facet_value_page(client):
    ProfileFactory(slug="yes", region="亚太")
    response = client.get("/zh-hans/facets/region/%E4%BA%9A%E5%A4%AA/")
    assert slugs(response) == ["yes"]


def test_unknown_facet_is_404(client):
    ProfileFactory(kind=ProfileKind.TOPIC)
    assert client.get("/en/facets/kind/topic/").status_code == 404
    assert client.get("/en/facets/colour/blue/").status_code == 404


def test_a_value_nobody_has_is_404(client):
    ProfileFactory(region="Europe")
    assert client.get("/en/facets/region/Atlantis/").status_code == 404


def test_a_value_used_only_by_drafts_is_404_for_readers_and_members(client):
    ProfileFactory(slug="draft", region="Secret region", status=ProfileStatus.DRAFT)
    response = client.get("/en/facets/region/Secret%20region/")
    assert response.status_code == 404
    assert "draft" not in [line.strip() for line in text_of(response).splitlines()]
    client.force_login(MembershipFactory().user)
    assert client.get("/en/facets/region/Secret%20region/").status_code == 404


def test_staff_see_facet_values_of_drafts(client):
    ProfileFactory(slug="draft", region="Secret region", status=ProfileStatus.DRAFT)
    client.force_login(StaffFactory())
    assert slugs(client.get("/en/facets/region/Secret%20region/")) == ["draft"]


def test_facet_pages_are_paginated(client):
    _many(21, region="Europe")
    assert len(slugs(client.get("/en/facets/region/Europe/"))) == 20
    assert slugs(client.get("/en/facets/region/Europe/", {"page": 2})) == ["p-20"]


# Home -----------------------------------------------------------------------------


def test_home_has_a_labelled_search_form(client):
    page = text_of(client.get("/en/"))
    assert '<label for="home-q">Search profiles</label>' in page
    assert '<input id="home-q" type="search" name="q"' in page
    assert re.search(r'<form class="home-search" role="search" method="get" action="/en/profiles/">', page)


def test_home_lists_latest_published_updates_newest_first_with_grades(client):
    now = timezone.now()
    ProfileFactory(name_en="Older profile", updated_at=now - timedelta(days=2), score=Decimal("0.95"))
    ProfileFactory(name_en="Newer profile", updated_at=now, score=Decimal("0.40"))
    ProfileFactory(name_en="Draft profile", updated_at=now + timedelta(days=1), status=ProfileStatus.DRAFT)
    page = text_of(client.get("/en/"))
    assert page.index("Newer profile") < page.index("Older profile")
    assert "Draft profile" not in page
    assert "Confidence: <strong>C/D</strong> · Weak–medium" in page
    assert "Confidence: <strong>A</strong> · High" in page


def test_staff_home_still_lists_only_published_updates(client):
    ProfileFactory(name_en="Published profile")
    ProfileFactory(name_en="Draft profile", status=ProfileStatus.DRAFT)
    client.force_login(StaffFactory())
    latest = client.get("/en/").context["overview"].latest
    assert [profile.name for profile, _band in latest] == ["Published profile"]


def test_home_counts_by_kind_and_grade_link_to_the_filtered_list(client):
    ProfileFactory(kind=ProfileKind.INSTITUTION, score=Decimal("0.05"))
    ProfileFactory(kind=ProfileKind.INSTITUTION, score=Decimal("0.30"))
    ProfileFactory(kind=ProfileKind.TOPIC, score=Decimal("0.92"))
    ProfileFactory(kind=ProfileKind.TOPIC, status=ProfileStatus.DRAFT)
    page = text_of(client.get("/en/"))
    assert '<a href="/en/profiles/?kind=institution">Institution</a> <span class="count">(2)</span>' in page
    assert '<a href="/en/profiles/?kind=topic">Topic</a> <span class="count">(1)</span>' in page
    d_link = '<a href="/en/profiles/?grade=D">D — Weak signal, Internal monitoring</a>'
    assert f'{d_link} <span class="count">(2)</span>' in page
    assert '<a href="/en/profiles/?grade=A">A — High</a> <span class="count">(1)</span>' in page
    assert '<a href="/en/profiles/?grade=A%2FB">A/B — Strong</a> <span class="count">(0)</span>' in page


def test_home_renders_in_chinese(client):
    ProfileFactory(name_en="Harbour Exchange", name_zh_hans="港口交换中心")
    page = text_of(client.get("/zh-hans/"))
    assert '<html lang="zh-hans">' in page
    assert "港口交换中心" in page


# Query counts ------------------------------------------------------------------------


def _populate(n, start=0):
    now = timezone.now()
    for i in range(start, start + n):
        profile = ProfileFactory(
            name_en=f"Harbour Exchange {i}",
            name_zh_hans=f"港口交换中心 {i}",
            kind=ProfileKind.TOPIC if i % 3 else ProfileKind.INSTITUTION,
            region=f"Region {i % 4}",
            category=f"Category {i % 5}",
            primary_domain=f"Domain {i % 2}",
            signal_focus="Governance",
            content_type="profile",
            criticality=Criticality.HIGH,
            score=Decimal(i % 100) / 100,
            updated_at=now - timedelta(minutes=i),
        )
        topic(profile, f"Topic {i % 6}", f"Topic {i % 6 + 1}")
        for _ in range(3):
            ClaimFactory(profile=profile, text_en=f"Harbour claim {i}")


def _rendered_queries(client, url, data, expected, django_assert_num_queries):
    """Render a page (the cache emptied: not the stored page, nor the cached band table) in `expected` queries."""
    cache.clear()
    with django_assert_num_queries(expected):
        assert client.get(url, data).status_code == 200, url


# SQL queries of a rendered page, anonymous. The list: the band table, every filter's counts
# with the number of results (one query), the page of profiles, their topics; a search adds the
# claims that matched, for snippets. A facet page: bands, count, page, topics. Home: bands,
# latest, kinds, grades.
PAGE_QUERIES = {"list": 4, "search": 5, "facet": 4, "home": 4}
# What the audience adds: the session and the user; for a member, the membership too.
AUDIENCE_QUERIES = {"anonymous": 0, "member": 3, "staff": 2}


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
@pytest.mark.parametrize(
    "page, url, data",
    [
        ("list", LIST_URL, {}),
        ("list", LIST_URL, {"kind": "topic", "grade": "D", "sort": "name"}),
        ("search", LIST_URL, {"q": "harbour", "region": "Region 1"}),
        ("search", "/zh-hans/profiles/", {"q": "港口", "sort": "confidence"}),
        ("facet", "/en/facets/signal_focus/Governance/", {}),
        ("home", "/en/", {}),
    ],
)
def test_query_count_does_not_grow_with_the_data(client, who, page, url, data, django_assert_num_queries):
    if who == "member":
        client.force_login(MembershipFactory().user)
    elif who == "staff":
        client.force_login(StaffFactory())
    expected = PAGE_QUERIES[page] + AUDIENCE_QUERIES[who]
    _populate(5)
    _rendered_queries(client, url, data, expected, django_assert_num_queries)
    _populate(40, start=5)
    _rendered_queries(client, url, data, expected, django_assert_num_queries)


def test_anonymous_pages_run_their_exact_queries(client, django_assert_num_queries):
    _populate(25)
    for page, url, data in [
        ("list", LIST_URL, {}),
        ("list", LIST_URL, {"kind": "topic", "region": "Region 1", "topic": "Topic 2"}),
        ("search", LIST_URL, {"q": "harbour"}),
        ("facet", "/en/facets/signal_focus/Governance/", {}),
        ("home", "/en/", {}),
    ]:
        _rendered_queries(client, url, data, PAGE_QUERIES[page], django_assert_num_queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_filter_counts_read_only_the_narrow_facet_index(client):
    _populate(5)
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST_URL, {"kind": "topic", "region": "Region 1", "grade": "D", "topic": "Topic 1"})
    sql = next(query["sql"] for query in queries if query["sql"].startswith("WITH base AS"))
    # With every other way to read the table made prohibitive, an index-only scan is only
    # possible when one index covers every column the counts read.
    settings = ("enable_seqscan", "enable_indexscan", "enable_bitmapscan")
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET {setting} = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            for setting in settings:
                cursor.execute(f"SET {setting} = on")
    assert "Index Only Scan using profile_facet_columns on profiles_profile" in plan, plan
    assert "Seq Scan on profiles_profile" not in plan, plan
