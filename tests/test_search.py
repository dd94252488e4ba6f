"""Search with ?q=: what matches (only text the reader may see), ranking, highlighting."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from profiles.models import ProfileStatus, Visibility
from profiles.selectors import search
from tests.factories import ClaimFactory, MembershipFactory, ProfileFactory, StaffFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/en/profiles/"
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


def found(client, q, url=LIST_URL, **params):
    response = client.get(url, {"q": q, **params})
    assert response.status_code == 200
    return [row.profile.slug for row in response.context["page_obj"]]


def text_of(response):
    return response.content.decode()


# Parsing (no database) ----------------------------------------------------------------


@pytest.mark.django_db(False)
def test_a_query_is_cut_into_letter_and_digit_runs():
    assert search.parse_query("  RPKI, route-origin  v6! ", vendor="sqlite").terms == ("RPKI", "route", "origin", "v6")


@pytest.mark.django_db(False)
def test_repeated_terms_count_once_whatever_their_case():
    assert search.parse_query("rpki RPKI Rpki", vendor="sqlite").terms == ("rpki",)


@pytest.mark.django_db(False)
def test_a_query_of_punctuation_only_is_no_search():
    assert not search.parse_query("!!! ???", vendor="postgresql")


@pytest.mark.django_db(False)
def test_terms_are_capped():
    query = search.parse_query(" ".join(f"w{i}" for i in range(20)), vendor="sqlite")
    assert len(query.terms) == search.MAX_TERMS


@pytest.mark.django_db(False)
@pytest.mark.parametrize(
    "text, vendor, full_text",
    [
        ("registry", "postgresql", True),
        ("registry", "sqlite", False),
        ("注册机构", "postgresql", True),
        ("RPKI 信任锚", "postgresql", True),
        ("レジストリ", "postgresql", True),
        ("注册机构", "sqlite", False),
    ],
)
def test_full_text_on_postgresql_for_every_script_substrings_elsewhere(text, vendor, full_text):
    assert search.parse_query(text, vendor=vendor).full_text is full_text


@pytest.mark.django_db(False)
@pytest.mark.parametrize(
    "term, tsquery",
    [
        ("RPKI", "rpki:*"),
        ("路由器", "(路由 <-> 由器)"),
        ("路由", "(路由)"),
        ("路", "路:*"),
        ("IPv6地址", "ipv6:* & (地址)"),
        ("地址v6", "(地址) & v6:*"),
    ],
)
def test_a_term_becomes_word_prefixes_and_cjk_bigrams_in_a_row(term, tsquery):
    assert search.term_tsquery(term) == tsquery


# Highlighting (no database) -----------------------------------------------------------


@pytest.mark.django_db(False)
def test_highlight_escapes_text_and_marks_matches():
    pattern = search.match_pattern(search.parse_query("exchange", vendor="sqlite"))
    html = search.highlight('<b>Harbour</b> "Exchange" & co', pattern)
    assert html == "&lt;b&gt;Harbour&lt;/b&gt; &quot;<mark>Exchange</mark>&quot; &amp; co"


@pytest.mark.django_db(False)
def test_highlight_never_matches_inside_an_escaped_entity():
    pattern = search.match_pattern(search.parse_query("amp", vendor="sqlite"))
    assert search.highlight("Tom & Jerry", pattern) is None


@pytest.mark.django_db(False)
def test_full_text_highlight_marks_word_starts_only():
    pattern = search.match_pattern(search.parse_query("net", vendor="postgresql"))
    assert search.highlight("internet network", pattern) == "internet <mark>net</mark>work"


@pytest.mark.django_db(False)
def test_full_text_highlight_marks_chinese_inside_words_and_words_after_chinese():
    pattern = search.match_pattern(search.parse_query("路由 ipv6", vendor="postgresql"))
    html = search.highlight("负责路由器 地址IPv6 xipv6", pattern)
    assert html == "负责<mark>路由</mark>器 地址<mark>IPv6</mark> xipv6"


@pytest.mark.django_db(False)
def test_substring_highlight_marks_chinese_inside_words():
    pattern = search.match_pattern(search.parse_query("注册", vendor="sqlite"))
    assert search.highlight("太平洋号码注册机构", pattern) == "太平洋号码<mark>注册</mark>机构"


@pytest.mark.django_db(False)
def test_a_long_text_is_cut_to_a_window_around_the_first_match():
    pattern = search.match_pattern(search.parse_query("needle", vendor="sqlite"))
    text = "hay " * 100 + "needle" + " straw" * 100
    html = search.highlight(text, pattern, around=120)
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>needle</mark>" in html
    assert len(html) < 200


# What matches ------------------------------------------------------------------------


def test_search_matches_the_english_name(client):
    ProfileFactory(slug="hit", name_en="Northbridge Internet Exchange")
    ProfileFactory(slug="miss", name_en="Pacific Numbers Registry")
    assert found(client, "northbridge") == ["hit"]


def test_search_matches_a_word_prefix(client):
    ProfileFactory(slug="hit", name_en="Pacific Numbers Registry")
    assert found(client, "regist") == ["hit"]


def test_search_matches_the_chinese_name_from_the_english_page(client):
    ProfileFactory(slug="hit", name_en="Pacific Numbers Registry", name_zh_hans="太平洋号码注册机构")
    ProfileFactory(slug="miss", name_en="Harbour Exchange", name_zh_hans="港口交换中心")
    response = client.get(LIST_URL, {"q": "注册"})
    assert [row.profile.slug for row in response.context["page_obj"]] == ["hit"]
    # The Chinese name that matched is shown, marked, in its own language.
    assert '<p class="snippet" lang="zh-hans">太平洋号码<mark>注册</mark>机构</p>' in text_of(response)


def test_search_matches_aliases(client):
    ProfileFactory(slug="hit", name_en="Pacific Numbers Registry", aliases=["PNR", "太平洋注册"])
    ProfileFactory(slug="miss", name_en="Harbour Exchange", aliases=["HX"])
    assert found(client, "pnr") == ["hit"]
    assert found(client, "太平洋") == ["hit"]


def test_search_matches_summaries_in_both_languages(client):
    ProfileFactory(slug="en", summary_en="Runs the route servers at the exchange.")
    ProfileFactory(slug="zh", summary_zh_hans="负责运营路由服务器。")
    ProfileFactory(slug="miss", summary_en="Allocates numbers.")
    assert found(client, "servers") == ["en"]
    assert found(client, "路由") == ["zh"]


def test_search_matches_public_verified_claims(client):
    ClaimFactory(profile=ProfileFactory(slug="hit"), text_en="Operates an anycast cluster in Fiji.")
    ClaimFactory(profile=ProfileFactory(slug="miss"), text_en="Publishes an annual report.")
    assert found(client, "anycast") == ["hit"]


def test_every_term_must_match_somewhere(client):
    profile = ProfileFactory(slug="hit", name_en="Pacific Numbers Registry")
    ClaimFactory(profile=profile, text_en="Operates an RPKI trust anchor.")
    ProfileFactory(slug="name-only", name_en="Pacific Cable Company")
    assert found(client, "pacific rpki") == ["hit"]  # one term in the name, one in a claim
    assert found(client, "pacific nonexistentword") == []


def test_search_combines_with_filters(client):
    ProfileFactory(slug="eu", name_en="Harbour Exchange Europe", region="Europe")
    ProfileFactory(slug="af", name_en="Harbour Exchange Africa", region="Africa")
    assert found(client, "harbour", region="Europe") == ["eu"]


def test_a_search_of_punctuation_only_lists_everything(client):
    ProfileFactory(slug="a")
    assert found(client, "?!") == ["a"]


# Never more than the reader may see -----------------------------------------------------


@pytest.fixture
def gated():
    """One published profile whose claims carry marker words at every level of visibility."""
    profile = ProfileFactory(slug="gated", name_en="Gated Profile")
    ClaimFactory(profile=profile, text_en="Public marker zzpublicmarker.")
    ClaimFactory(profile=profile, text_en="Members marker zzmembersmarker.", visibility=Visibility.MEMBERS)
    ClaimFactory(profile=profile, text_en="Internal marker zzinternalmarker.", visibility=Visibility.INTERNAL)
    ClaimFactory(profile=profile, text_en="Unverified marker zzunverifiedmarker.", verified=False)
    ClaimFactory(
        profile=profile,
        text_en="Retracted marker zzretractedmarker.",
        retracted_at=timezone.now(),
        retraction_reason="Wrong.",
    )
    ClaimFactory(
        profile=profile,
        text_zh_hans="会员标记词测试",
        visibility=Visibility.MEMBERS,
    )
    ProfileFactory(slug="draft", name_en="zzdraftmarker Draft Profile", status=ProfileStatus.DRAFT)
    return profile


HIDDEN_FROM_READERS = ["zzmembersmarker", "zzinternalmarker", "zzunverifiedmarker", "zzretractedmarker",
                       "zzdraftmarker", "会员标记词"]  # fmt: skip


def test_anonymous_search_matches_public_claims(client, gated):
    assert found(client, "zzpublicmarker") == ["gated"]


@pytest.mark.parametrize("marker", HIDDEN_FROM_READERS)
def test_anonymous_search_never_matches_gated_text(client, gated, marker):
    response = client.get(LIST_URL, {"q": marker})
    assert [row.profile.slug for row in response.context["page_obj"]] == []
    assert "/en/profiles/gated/" not in text_of(response)
    assert "/en/profiles/draft/" not in text_of(response)


def test_anonymous_snippets_come_only_from_public_claims(client, gated):
    # The profile matches by name; the snippet must not fall back to gated claim text.
    page = text_of(client.get(LIST_URL, {"q": "gated marker"}))
    assert "Public <mark>marker</mark>" in page
    for marker in HIDDEN_FROM_READERS:
        assert marker not in page, marker


def test_expired_member_searches_as_anonymous(client, gated):
    membership = MembershipFactory(valid_until=timezone.now() - timedelta(days=1))
    client.force_login(membership.user)
    assert found(client, "zzmembersmarker") == []


def test_member_search_matches_members_claims_but_not_internal_ones(client, gated):
    client.force_login(MembershipFactory().user)
    response = client.get(LIST_URL, {"q": "zzmembersmarker"})
    assert [row.profile.slug for row in response.context["page_obj"]] == ["gated"]
    assert "<mark>zzmembersmarker</mark>" in text_of(response)
    assert found(client, "会员标记词") == ["gated"]
    for marker in ("zzinternalmarker", "zzunverifiedmarker", "zzretractedmarker", "zzdraftmarker"):
        assert found(client, marker) == [], marker


def test_staff_search_covers_internal_claims_and_drafts(client, gated):
    client.force_login(StaffFactory())
    assert found(client, "zzinternalmarker") == ["gated"]
    assert found(client, "zzunverifiedmarker") == ["gated"]
    assert found(client, "zzdraftmarker") == ["draft"]


# Ranking ---------------------------------------------------------------------------------


def test_a_name_match_ranks_above_a_claim_only_match(client):
    now = timezone.now()
    # The claim-only match is the newer one, so recency alone would put it first.
    claim_only = ProfileFactory(slug="claim-only", name_en="Harbour Exchange", updated_at=now)
    ClaimFactory(profile=claim_only, text_en="Peers with the anycast operator at three sites; anycast everywhere.")
    ProfileFactory(slug="by-name", name_en="Anycast Operators Forum", updated_at=now - timedelta(days=30))
    assert found(client, "anycast") == ["by-name", "claim-only"]


def test_a_summary_match_ranks_above_a_claim_only_match(client):
    now = timezone.now()
    claim_only = ProfileFactory(slug="claim-only", updated_at=now)
    ClaimFactory(profile=claim_only, text_en="Mentions peering once.")
    ProfileFactory(slug="by-summary", summary_en="An exchange built for peering.", updated_at=now - timedelta(days=9))
    assert found(client, "peering") == ["by-summary", "claim-only"]


def test_chinese_name_match_ranks_above_chinese_claim_match(client):
    now = timezone.now()
    claim_only = ProfileFactory(slug="claim-only", name_zh_hans="港口交换中心", updated_at=now)
    ClaimFactory(profile=claim_only, text_zh_hans="与任播运营商互联。")
    ProfileFactory(slug="by-name", name_zh_hans="任播运营商论坛", updated_at=now - timedelta(days=30))
    assert found(client, "任播", url="/zh-hans/profiles/") == ["by-name", "claim-only"]


def test_search_can_still_be_sorted_by_name(client):
    ProfileFactory(slug="b", name_en="Beta Exchange")
    ProfileFactory(slug="a", name_en="Alpha Exchange")
    assert found(client, "exchange", sort="name") == ["a", "b"]


# Highlighting on the page -----------------------------------------------------------------


def test_a_name_containing_markup_is_escaped_and_highlighted(client):
    ProfileFactory(name_en="Bold <b>Exchange</b> & Co")
    page = text_of(client.get(LIST_URL, {"q": "exchange"}))
    assert "Bold &lt;b&gt;<mark>Exchange</mark>&lt;/b&gt; &amp; Co" in page
    assert "<b>Exchange" not in page


def test_a_query_containing_markup_is_escaped(client):
    ProfileFactory(name_en="Script Exchange")
    page = text_of(client.get(LIST_URL, {"q": "<script>alert(1)</script> exchange"}))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; exchange" in page


def test_a_claim_snippet_is_escaped_and_highlighted(client):
    ClaimFactory(profile=ProfileFactory(), text_en='Runs <img src=x onerror="alert(1)"> anycast nodes.')
    page = text_of(client.get(LIST_URL, {"q": "anycast"}))
    assert "Runs &lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>anycast</mark> nodes." in page
    assert "<img" not in page


# Languages --------------------------------------------------------------------------------


def test_chinese_query_on_the_chinese_page(client):
    profile = ProfileFactory(slug="hit", name_en="Harbour Exchange", name_zh_hans="港口交换中心")
    ClaimFactory(profile=profile, text_zh_hans="该交换中心连接约210个成员网络。")
    ProfileFactory(slug="miss", name_zh_hans="太平洋号码注册机构")
    response = client.get("/zh-hans/profiles/", {"q": "成员网络"})
    assert [row.profile.slug for row in response.context["page_obj"]] == ["hit"]
    page = text_of(response)
    assert '<html lang="zh-hans">' in page
    assert "该交换中心连接约210个<mark>成员网络</mark>。" in page


def test_english_query_on_the_chinese_page(client):
    ProfileFactory(slug="hit", name_en="Harbour Exchange", name_zh_hans="港口交换中心")
    response = client.get("/zh-hans/profiles/", {"q": "harbour"})
    assert [row.profile.slug for row in response.context["page_obj"]] == ["hit"]
    assert '<p class="snippet" lang="en"><mark>Harbour</mark> Exchange</p>' in text_of(response)


# Query counts ---------------------------------------------------------------------------


# A search rendered for an anonymous reader: the band table, the filters' counts with the number
# of results, the page of profiles, their topics and the claims that matched (for snippets).
SEARCH_QUERIES = 5


@pytest.mark.parametrize("q", ["harbour", "港口"])
def test_search_query_count_does_not_grow_with_matches(client, q, django_capture_on_commit_callbacks,
                                                      django_assert_num_queries):  # fmt: skip
    def grow(n):
        with django_capture_on_commit_callbacks(execute=True):  # committed: cached lists go stale
            for _ in range(n):
                profile = ProfileFactory(name_en="Harbour Exchange", name_zh_hans="港口交换中心")
                for _ in range(4):
                    ClaimFactory(profile=profile, text_en="Harbour claim", text_zh_hans="港口声明")

    for n, matches in ((2, 2), (30, 32)):
        grow(n)
        with django_assert_num_queries(SEARCH_QUERIES):
            response = client.get(LIST_URL, {"q": q})
        assert response.status_code == 200
        assert response.context["page_obj"].paginator.count == matches


# PostgreSQL: the indexes ------------------------------------------------------------------


def _plan(queryset):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        return queryset.explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = on")


@on_postgresql
@pytest.mark.parametrize("q", ["harbour", "路由"])
def test_full_text_search_and_ranking_use_the_gin_indexes(q):
    from profiles.rules.visibility import ANONYMOUS, visible_profiles

    query = search.parse_query(q)
    profiles = search.with_rank(visible_profiles(ANONYMOUS).filter(search.search_filter(query, ANONYMOUS)), query)
    plan = _plan(profiles.order_by("-search_rank"))
    for index in ("profile_search_names", "profile_search_summaries", "claim_search_document"):
        assert re.search(rf"Bitmap Index Scan on {index}", plan), plan
    # Ranking asks the indexes where a term was found: no stored vector is read per row.
    assert "ts_rank" not in plan


@on_postgresql
def test_the_database_keeps_the_vectors_of_every_writer(client):
    # A bulk insert and a queryset update run no model code: the columns follow anyway.
    from profiles.models import Claim, Profile

    profile = Profile.objects.bulk_create(
        [Profile(slug="bulk", kind="topic", name_en="Bulkmade Exchange", status=ProfileStatus.PUBLISHED)]
    )[0]
    claim = Claim(profile=profile, section="function", text_en="Claims zzbulkmarker.", verified=True)
    Claim.objects.bulk_create([claim])
    assert found(client, "bulkmade") == ["bulk"]
    assert found(client, "zzbulkmarker") == ["bulk"]
    Profile.objects.filter(pk=profile.pk).update(summary_zh_hans="批量写入的路由器摘要")
    Claim.objects.filter(profile=profile).update(text_en="Claims zzupdatedmarker.")
    assert found(client, "路由器") == ["bulk"]
    assert found(client, "zzupdatedmarker") == ["bulk"]


# Chinese, Japanese, Korean: bigrams on PostgreSQL, substrings on SQLite ---------------------


def test_a_chinese_word_inside_a_longer_run_is_found(client):
    ProfileFactory(slug="router", summary_zh_hans="负责运营路由器和交换机。")
    ProfileFactory(slug="other", summary_zh_hans="负责运营交换机。")
    assert found(client, "路由", url="/zh-hans/profiles/") == ["router"]
    assert found(client, "路由器", url="/zh-hans/profiles/") == ["router"]
    assert found(client, "由器", url="/zh-hans/profiles/") == ["router"]  # any two characters side by side


def test_characters_apart_in_the_text_do_not_match_as_a_pair(client):
    # 由 ends one phrase and 器 starts the next: "由器" is not in the text, nor is "路器".
    ProfileFactory(slug="apart", summary_zh_hans="数据经过路由，器件另行采购。")
    assert found(client, "由器", url="/zh-hans/profiles/") == []
    assert found(client, "路器", url="/zh-hans/profiles/") == []
    assert found(client, "器件", url="/zh-hans/profiles/") == ["apart"]


def test_a_chinese_phrase_must_match_in_order(client):
    ProfileFactory(slug="hit", summary_zh_hans="互联网交换中心")
    assert found(client, "交换中心") == ["hit"]
    assert found(client, "中心交换") == []


def test_a_one_character_query_finds_it_anywhere_in_a_run(client):
    ProfileFactory(slug="start", name_zh_hans="网络中心")
    ProfileFactory(slug="end", name_zh_hans="中心网")
    ProfileFactory(slug="alone", summary_zh_hans="一个 网 字")
    ProfileFactory(slug="none", name_zh_hans="路由器")
    assert sorted(found(client, "网", url="/zh-hans/profiles/")) == ["alone", "end", "start"]


def test_a_mixed_chinese_and_english_query_needs_both(client):
    ProfileFactory(slug="both", name_en="Harbour Exchange", summary_zh_hans="港口交换中心的路由服务器")
    ProfileFactory(slug="english-only", name_en="Harbour Registry")
    ProfileFactory(slug="chinese-only", summary_zh_hans="另一个路由服务器")
    assert found(client, "harbour 路由") == ["both"]
    assert found(client, "路由 harbour", url="/zh-hans/profiles/") == ["both"]


def test_a_term_mixing_scripts_without_a_space_matches_text_written_the_same_way(client):
    ProfileFactory(slug="hit", summary_zh_hans="支持IPv6地址分配。")
    ProfileFactory(slug="miss", summary_zh_hans="支持地址分配。")
    assert found(client, "IPv6地址") == ["hit"]


def test_chinese_claims_are_searched_with_their_visibility(client, gated):
    ClaimFactory(profile=ProfileFactory(slug="public-claim"), text_zh_hans="公开的路由器声明")
    assert found(client, "路由器") == ["public-claim"]
    assert found(client, "标记词") == []  # the members-only claim of `gated`
