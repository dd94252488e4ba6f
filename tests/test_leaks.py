"""No gated text ever reaches an audience that may not see it.

Distinct marker strings are planted in every members-only and internal field,
in unverified and retracted claims, unreviewed evidence and unpublished
profiles (the `planted_registry` fixture, tests/planted.py). A crawler then follows every link an anonymous reader can reach from
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

from tests.factories import MembershipFactory
from tests.planted import INTERNAL, MEMBERS, SEARCH_WORDS, everything_of

pytestmark = pytest.mark.django_db

MAX_PAGES = 600


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
