"""The planted registry of the leak tests, and the readers that crawl it (no tests, no fixtures).

Distinct marker strings are planted in every members-only and internal field, in
unverified and retracted claims, unreviewed evidence and unpublished profiles: a
response showing MEMBERS to an anonymous reader, or INTERNAL to anyone but staff,
leaked gated text. The `planted_registry` fixture (tests/conftest.py) plants it.
"""

from django.utils import timezone

from profiles.models import ProfileStatus, ReviewStatus, Visibility
from profiles.services.scoring import recompute_scores
from tests.api_support import API
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

MEMBERS = "zqmembers"  # seen by members, never by anonymous readers
INTERNAL = "zqinternal"  # seen by staff only
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


def plant_registry():
    """The planted registry (see the module docstring); returns the public profile."""
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


def everything_of(response):
    headers = " ".join(f"{name}: {value}" for name, value in response.items())
    return (headers + "\n" + response.content.decode("utf-8", "replace")).lower()


PARTS = ("claims", "evidence", "timeline", "watchpoints", "relationships", "faq")
SLUG_GUESSES = ["zqinternal-draft", "zqinternal-in-review", "zqinternal-archived", "public-exchange", "other-registry"]


def api_crawl(client):
    """Every API response reachable for this client; yields (url, response)."""
    seen = set()

    def fetch(url):
        if url in seen:
            return None
        seen.add(url)
        return client.get(url)

    for lang in ("en", "zh-hans", "all"):
        pages = [f"{API}/", f"{API}/confidence-bands/?lang={lang}", f"{API}/changes/?lang={lang}"]
        pages += [f"{API}/profiles/?lang={lang}&q={word}" for word in SEARCH_WORDS + [MEMBERS, INTERNAL]]
        pages += [f"{API}/profiles/?lang={lang}&ordering={o}&page_size=1" for o in ("slug", "-score")]
        for url in pages:
            response = fetch(url)
            if response is not None:
                yield url, response
        listed = fetch(f"{API}/profiles/?lang={lang}")
        yield f"{API}/profiles/?lang={lang}", listed
        slugs = {row["slug"] for row in listed.json()["results"]} | set(SLUG_GUESSES)
        for slug in sorted(slugs):
            url = f"{API}/profiles/{slug}/?lang={lang}"
            response = fetch(url)
            yield url, response
            if response.status_code != 200:
                continue
            for part in PARTS:
                url = f"{API}/profiles/{slug}/{part}/?lang={lang}"
                part_response = fetch(url)
                yield url, part_response
                for item in part_response.json()["results"]:
                    url = f"{API}/profiles/{slug}/{part}/{item['id']}/?lang={lang}"
                    yield url, fetch(url)
    assert len(seen) > 60
