"""Every read endpoint runs a fixed number of SQL queries, whatever the size of the profiles."""

import pytest

from profiles.models import ProfileStatus, Visibility
from profiles.rules.confidence import DEFAULT_BAND_ROWS
from profiles.selectors.bands import current_bands
from profiles.services.band_table import ensure_band_table, replace_band_table
from profiles.services.scoring import recompute_scores
from tests.api_support import API, client_with_token, token_client
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
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rate_limits")]

# The counts documented in docs/api.md, for anonymous callers with the band table in the
# shared cache. A token adds one query (the token), a member one more (the membership);
# members and staff read the briefing too (the detail's one more). The cached band table
# holds both languages, so lang=all costs nothing more.
DETAIL_QUERIES = 12
LIST_QUERIES = 2
EXTRA = {"anonymous": 0, "member": 2, "staff": 1}
BRIEFING = {"anonymous": 0, "member": 1, "staff": 1}


def grow(profile, n):
    """Give a profile n of every part, each citing evidence, with some gated ones."""
    for i in range(n):
        record = EvidenceFactory(url=f"https://example.org/{profile.slug}/{i}")
        ProfileEvidenceFactory(profile=profile, evidence=record, key=f"k{i}")
        claim = ClaimFactory(profile=profile, visibility=Visibility.MEMBERS if i % 3 == 0 else Visibility.PUBLIC)
        ClaimEvidenceFactory(claim=claim, evidence=record)
        TimelineEventFactory(profile=profile).evidence.add(record)
        WatchpointFactory(profile=profile).triggered_by.add(record)
        FaqEntryFactory(profile=profile)
        RelationshipFactory(source=profile, target=ProfileFactory()).evidence.add(record)
    BriefingFactory(profile=profile)


@pytest.fixture
def small_and_large(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # committed, as before any real read
        ensure_band_table()
        small, large = ProfileFactory(slug="small"), ProfileFactory(slug="large")
        grow(small, 2)  # one public and one members-only item of each kind: no list is empty
        grow(large, 12)
        for i in range(30):
            ProfileFactory(slug=f"filler-{i}", status=ProfileStatus.PUBLISHED if i % 2 else ProfileStatus.DRAFT)
        recompute_scores()
    return small, large


def warm_bands():
    """Fill the shared cache's band table, as the first read after any change does."""
    current_bands(cached=True)


@pytest.fixture
def read(django_assert_num_queries):
    """read(client, url, queries): a GET answered 200 in exactly that many SQL queries; the response."""

    def read(client, url, queries):
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        return response

    return read


def clients():
    member, _ = token_client("member")
    staff, _ = token_client("analyst")
    return {"anonymous": client_with_token(), "member": member, "staff": staff}


@pytest.mark.parametrize("audience", ["anonymous", "member", "staff"])
@pytest.mark.parametrize("suffix", ["", "timeline/", "evidence/", "watchpoints/", "relationships/", "claims/", "faq/"])
def test_detail_and_parts_run_the_same_queries_for_small_and_large_profiles(small_and_large, read, audience, suffix):
    client = clients()[audience]
    client.get(f"{API}/")  # a token's first use records it; later ones do not write
    warm_bands()
    expected = DETAIL_QUERIES + EXTRA[audience] + BRIEFING[audience]
    small = read(client, f"{API}/profiles/small/{suffix}", expected).json()
    large = read(client, f"{API}/profiles/large/{suffix}", expected).json()
    read(client, f"{API}/profiles/large/{suffix}?lang=all", expected)
    if suffix:  # every item shown: 2 and 12 of each part, less the members-only claims (1 in 3) for anonymous
        gated = suffix == "claims/" and audience == "anonymous"
        assert (len(small["results"]), len(large["results"])) == ((1, 8) if gated else (2, 12))


@pytest.mark.parametrize("audience", ["anonymous", "member", "staff"])
def test_the_list_runs_the_same_queries_for_one_row_and_a_full_page(small_and_large, read, audience):
    client = clients()[audience]
    client.get(f"{API}/")
    warm_bands()
    expected = LIST_QUERIES + EXTRA[audience]  # search and filters are in the one query
    assert len(read(client, f"{API}/profiles/?page_size=1", expected).json()["results"]) == 1
    full = read(client, f"{API}/profiles/?page_size=100", expected).json()["results"]
    assert len(full) > 1
    read(client, f"{API}/profiles/?page_size=100&q=profile&kind=institution&grade=D", expected)


def test_the_changes_feed_runs_the_same_queries_for_one_and_many_changes(small_and_large, read):
    client = client_with_token()
    warm_bands()
    expected = DETAIL_QUERIES + 1  # the change rows, then the graphs of their profiles
    assert len(read(client, f"{API}/changes/?limit=1", expected).json()["results"]) == 1
    assert len(read(client, f"{API}/changes/?limit=500", expected).json()["results"]) > 1



def test_a_cold_band_cache_costs_one_query_then_none(small_and_large, read):
    client = client_with_token()
    read(client, f"{API}/profiles/large/", DETAIL_QUERIES + 1)
    read(client, f"{API}/profiles/large/?lang=en", DETAIL_QUERIES)  # another URL: rendered, not the stored response
    read(client, f"{API}/profiles/large/", 0)  # the stored response (tests/test_api_cache.py)


def test_a_band_table_change_reaches_the_api_at_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ensure_band_table()
        ProfileFactory(slug="harbour")
    client = client_with_token()
    before = client.get(f"{API}/profiles/harbour/?lang=all").json()["confidence"]["label"]  # now cached
    rows = [
        {"lower": lower, "upper": upper, "grade": grade, "label_en": f"{label_en} (renamed)", "label_zh_hans": f"{label_zh}（新）"}
        for lower, upper, grade, label_en, label_zh, *_descriptions in DEFAULT_BAND_ROWS
    ]
    with django_capture_on_commit_callbacks(execute=True):
        replace_band_table(rows)
    after = client.get(f"{API}/profiles/harbour/?lang=all").json()["confidence"]["label"]
    assert after == {"en": f"{before['en']} (renamed)", "zh-hans": f"{before['zh-hans']}（新）"}
