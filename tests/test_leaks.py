"""No gated text ever reaches an audience that may not see it.

Distinct marker strings are planted in every members-only and internal field,
in unverified and retracted claims, unreviewed evidence and unpublished
profiles. A crawler then follows every link an anonymous reader can reach from
the home page, the sitemap, the feeds and search results (for common words and
for the markers themselves), in both languages, and checks every response body
and header. A second pass as a member must find the members' markers and still
no internal ones.
"""

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.utils import timezone

from profiles.models import ProfileStatus, ReviewStatus, Visibility
from profiles.services.scoring import recompute_scores

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
    TimelineEventFactory,
    WatchpointFactory,
)

pytestmark = pytest.mark.django_db

MEMBERS = "zqmembers"  # seen by members, never by anonymous readers
INTERNAL = "zqinternal"  # seen by staff only
MAX_PAGES = 600
# "marker" and "标记" occur in every planted text: a search that matched gated text would show it.
SEARCH_WORDS = ["the", "internet", "exchange", "registry", "network", "data", "网络", "互联网", "marker", "marker text", "标记"]


def plant(kind, field):
    """A marker word for one field; both languages get their own."""
    return {f"{field}_en": f"{kind}{field}en marker text", f"{field}_zh_hans": f"{kind}{field}zh 标记"}


def evidence(level, review_status=ReviewStatus.REVIEWED, marker=None, **kwargs):
    kind = marker or (MEMBERS if level == Visibility.MEMBERS else INTERNAL)
    return EvidenceFactory(
        visibility=level,
        review_status=review_status,
        publisher=f"{kind}publisher{review_status}",
        **plant(kind, "title"),
        **plant(kind, "excerpt"),
        **kwargs,
    )


def gated_items(profile, level):
    """One of each gated part at this level, each carrying the level's markers."""
    kind = MEMBERS if level == Visibility.MEMBERS else INTERNAL
    record = evidence(level, url=f"https://{kind}.example.org/source")
    ProfileEvidenceFactory(profile=profile, evidence=record, key=f"{kind}-source")
    claim = ClaimFactory(profile=profile, visibility=level, **plant(kind, "text"))
    ClaimEvidenceFactory(claim=claim, evidence=record, **plant(kind, "note"))
    event = TimelineEventFactory(profile=profile, visibility=level, **plant(kind, "title"), **plant(kind, "text"))
    event.evidence.add(record)
    watchpoint = WatchpointFactory(profile=profile, visibility=level, **plant(kind, "text"))
    watchpoint.triggered_by.add(record)
    FaqEntryFactory(profile=profile, visibility=level, **plant(kind, "question"), **plant(kind, "answer"))
    RelationshipFactory(source=profile, visibility=level, **plant(kind, "note"))


@pytest.fixture
def planted_registry():
    public = ProfileFactory(
        slug="public-exchange",
        name_en="Public internet exchange",
        name_zh_hans="公开互联网交换中心",
        summary_en="The registry profile of a network exchange.",
        summary_zh_hans="一个网络交换中心的档案。",
    )
    public_record = EvidenceFactory(title_en="Public source on the exchange", url="https://example.org/public")
    ProfileEvidenceFactory(profile=public, evidence=public_record, key="public")
    public_claim = ClaimFactory(profile=public, text_en="The exchange is a public internet data network.")
    ClaimEvidenceFactory(claim=public_claim, evidence=public_record, note_en="public note")
    TimelineEventFactory(profile=public, title_en="Public profile updated", kind="profile_update")
    FaqEntryFactory(profile=public, question_en="What is the exchange?", answer_en="A network.")
    BriefingFactory(profile=public, visibility=Visibility.MEMBERS, **plant(MEMBERS, "title"),
                    **plant(MEMBERS, "body"), **plant(MEMBERS, "source_notes"))  # fmt: skip
    gated_items(public, Visibility.MEMBERS)
    gated_items(public, Visibility.INTERNAL)

    # Things no reader may see, whatever their visibility says.
    ClaimFactory(profile=public, verified=False, **plant(INTERNAL, "text"))
    ClaimFactory(profile=public, retracted_at=timezone.now(), retraction_reason=f"{INTERNAL}retraction",
                 **plant(INTERNAL, "text"))  # fmt: skip
    for status in (ReviewStatus.PENDING, ReviewStatus.REJECTED):
        record = evidence(Visibility.PUBLIC, review_status=status, marker=INTERNAL)
        ProfileEvidenceFactory(profile=public, evidence=record, key=f"unreviewed-{status}")
        ClaimEvidenceFactory(claim=public_claim, evidence=record, **plant(INTERNAL, "note"))
    RelationshipFactory(source=public, verified=False, **plant(INTERNAL, "note"))
    for status in (ProfileStatus.DRAFT, ProfileStatus.IN_REVIEW, ProfileStatus.ARCHIVED):
        hidden = ProfileFactory(
            slug=f"{INTERNAL}-{status}".replace("_", "-"),
            status=status,
            **plant(INTERNAL, "name"),
            **plant(INTERNAL, "summary"),
            primary_domain=f"{INTERNAL}domain",
            region=f"{INTERNAL}region",
        )
        TimelineEventFactory(profile=hidden, **plant(INTERNAL, "title"))
        RelationshipFactory(source=public, target=hidden, **plant(INTERNAL, "note"))

    # A second published profile with an internal briefing.
    other = ProfileFactory(slug="other-registry", name_en="Other registry", summary_en="Another internet registry.")
    BriefingFactory(profile=other, visibility=Visibility.INTERNAL, **plant(INTERNAL, "body"))
    RelationshipFactory(source=other, target=public, note_en="See the exchange.")
    recompute_scores()
    return public


def start_urls():
    urls = ["/", "/robots.txt", "/sitemap.xml"]
    for language in ("en", "zh-hans"):
        urls += [f"/{language}/", f"/{language}/profiles/", f"/{language}/feeds/updates.atom",
                 f"/{language}/methodology/"]  # fmt: skip
        urls += [f"/{language}/profiles/?q={word}" for word in SEARCH_WORDS]
    return urls


LINK = re.compile(r"""(?:href|src|action)=["']([^"'#]+)|<loc>([^<]+)</loc>|<link[^>]+href=["']([^"']+)""")


def crawl(client):
    """Fetch every same-site URL reachable from the start URLs; yield (url, response)."""
    queue, seen = deque(start_urls()), set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        path = urlsplit(url)
        if path.netloc not in ("", "testserver"):
            continue
        local = path.path + (f"?{path.query}" if path.query else "")
        if local in seen or local.startswith(("/admin", "/accounts/logout", "/static/", "/api/")):
            continue
        seen.add(local)
        response = client.get(local, follow=True)
        yield local, response
        body = response.content.decode("utf-8", "replace")
        for match in LINK.finditer(body):
            link = next(group for group in match.groups() if group).replace("&amp;", "&")
            queue.append(urljoin(local, link))
    assert len(seen) > 10, "the crawl reached too few pages to mean anything"


def everything_of(response):
    headers = " ".join(f"{name}: {value}" for name, value in response.items())
    return (headers + "\n" + response.content.decode("utf-8", "replace")).lower()


def test_anonymous_crawl_never_shows_gated_text(client, planted_registry):
    fetched = 0
    for url, response in crawl(client):
        fetched += 1
        text = everything_of(response)
        assert MEMBERS not in text, f"members-only text on {url}"
        assert INTERNAL not in text, f"internal text on {url}"
    assert fetched >= 20


def test_member_crawl_shows_members_text_and_never_internal(client, planted_registry):
    client.force_login(MembershipFactory().user)
    found_members_text = set()
    for url, response in crawl(client):
        text = everything_of(response)
        assert INTERNAL not in text, f"internal text on {url} for a member"
        found_members_text.update(re.findall(rf"{MEMBERS}[a-z_]+(?:en|zh)", text))
    # The briefing, claims, notes, evidence, timeline, watchpoints, FAQ and relationships.
    for field in ["body", "source_notes", "text", "note", "title", "excerpt", "question", "answer"]:
        assert any(field in marker for marker in found_members_text), field


def test_expired_member_crawl_is_anonymous(client, planted_registry):
    membership = MembershipFactory(valid_until=timezone.now() - timezone.timedelta(days=1))
    client.force_login(membership.user)
    for url, response in crawl(client):
        assert MEMBERS not in everything_of(response), f"members-only text on {url} after expiry"
