"""The audience policy: who may see which profiles and which of their parts.

This is the one place that decides visibility. Pages, the API, search, feeds,
sitemaps, exports and caches ask it; nothing else filters by visibility.

| audience  | sees                                                                  |
|-----------|-----------------------------------------------------------------------|
| anonymous | published profiles; `public` items that are verified (claims,         |
|           | relationships) or reviewed (evidence); no briefing                    |
| member    | the same plus `members` items and the members' briefing               |
| staff     | everything: drafts, archived profiles, `internal` items, unreviewed   |

A member whose membership has expired is anonymous. A relationship shows only
when its target profile is visible to the same audience.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Prefetch
from django.utils import timezone

from profiles.rules.confidence_sql import COUNTED_CLAIMS
from profiles.models import (
    Briefing,
    Claim,
    ClaimEvidence,
    EvidenceRecord,
    FaqEntry,
    Membership,
    Profile,
    ProfileEvidence,
    ProfileStatus,
    ProfileTopic,
    Relationship,
    ReviewStatus,
    TimelineEvent,
    Visibility,
    Watchpoint,
)


class AudienceKind(StrEnum):
    ANONYMOUS = "anonymous"
    MEMBER = "member"
    STAFF = "staff"


_LEVELS = {
    AudienceKind.ANONYMOUS: (Visibility.PUBLIC,),
    AudienceKind.MEMBER: (Visibility.PUBLIC, Visibility.MEMBERS),
    AudienceKind.STAFF: (Visibility.PUBLIC, Visibility.MEMBERS, Visibility.INTERNAL),
}


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind

    @classmethod
    def for_user(cls, user, *, now=None):
        """The audience a user belongs to right now."""
        if user is None or not user.is_authenticated or not user.is_active:
            return ANONYMOUS
        if user.is_staff:
            return STAFF
        now = now or timezone.now()
        if Membership.objects.filter(user=user, valid_until__gt=now).exists():
            return MEMBER
        return ANONYMOUS

    @classmethod
    def for_request(cls, request):
        """The request's audience, worked out once per request."""
        audience = getattr(request, "_registry_audience", None)
        if audience is None:
            audience = cls.for_user(getattr(request, "user", None))
            request._registry_audience = audience
        return audience

    @property
    def levels(self):
        return _LEVELS[self.kind]

    @property
    def is_staff(self):
        return self.kind == AudienceKind.STAFF

    @property
    def sees_members_items(self):
        return Visibility.MEMBERS in self.levels


ANONYMOUS = Audience(AudienceKind.ANONYMOUS)
MEMBER = Audience(AudienceKind.MEMBER)
STAFF = Audience(AudienceKind.STAFF)


def visible_profiles(audience):
    """Profiles the audience may open."""
    profiles = Profile.objects.all()
    if audience.is_staff:
        return profiles
    return profiles.filter(status=ProfileStatus.PUBLISHED)


def is_public(profile):
    """Whether anonymous readers may open this profile (no query)."""
    return profile.status == ProfileStatus.PUBLISHED


def visible_evidence(audience):
    evidence = EvidenceRecord.objects.all()
    if audience.is_staff:
        return evidence
    return evidence.filter(review_status=ReviewStatus.REVIEWED, visibility__in=audience.levels)


def visible_claims(audience):
    claims = Claim.objects.all()
    if audience.is_staff:
        return claims
    return claims.filter(COUNTED_CLAIMS, visibility__in=audience.levels)


def visible_timeline(audience):
    return _by_level(TimelineEvent.objects.all(), audience)


def visible_watchpoints(audience):
    return _by_level(Watchpoint.objects.all(), audience)


def visible_faq(audience):
    return _by_level(FaqEntry.objects.all(), audience)


def visible_relationships(audience):
    relationships = Relationship.objects.all()
    if audience.is_staff:
        return relationships
    return relationships.filter(
        verified=True, visibility__in=audience.levels, target__in=visible_profiles(audience)
    )


def visible_briefings(audience):
    briefings = Briefing.objects.all()
    if audience.is_staff:
        return briefings
    if audience.sees_members_items:
        return briefings.filter(visibility=Visibility.MEMBERS)
    return briefings.none()


def _by_level(queryset, audience):
    if audience.is_staff:
        return queryset
    return queryset.filter(visibility__in=audience.levels)


def profile_graph_queryset(audience, *, as_if_published=False):
    """Visible profiles with every visible part prefetched into `visible_*` lists.

    Iterating the result runs a fixed number of queries whatever the size of
    each profile, so pages and endpoints can render without further queries.
    `as_if_published` drops the status rule only (for staff previews and
    publication snapshots): every part is still filtered for the audience.
    """
    evidence = visible_evidence(audience)
    profiles = Profile.objects.all() if as_if_published else visible_profiles(audience)
    return profiles.prefetch_related(
        Prefetch("topic_links", queryset=ProfileTopic.objects.all(), to_attr="topics_list"),
        Prefetch(
            "evidence_links",
            queryset=ProfileEvidence.objects.filter(evidence__in=evidence).select_related("evidence"),
            to_attr="visible_sources",
        ),
        Prefetch(
            "claims",
            queryset=visible_claims(audience).prefetch_related(
                Prefetch(
                    "evidence_links",
                    queryset=ClaimEvidence.objects.filter(evidence__in=evidence).select_related("evidence"),
                    to_attr="visible_evidence_links",
                )
            ),
            to_attr="visible_claims",
        ),
        Prefetch(
            "timeline_events",
            queryset=visible_timeline(audience).prefetch_related(
                Prefetch("evidence", queryset=evidence, to_attr="visible_evidence")
            ),
            to_attr="visible_timeline",
        ),
        Prefetch(
            "watchpoints",
            queryset=visible_watchpoints(audience).prefetch_related(
                Prefetch("triggered_by", queryset=evidence, to_attr="visible_triggered_by")
            ),
            to_attr="visible_watchpoints",
        ),
        Prefetch(
            "relationships",
            queryset=visible_relationships(audience)
            .select_related("target")
            .prefetch_related(Prefetch("evidence", queryset=evidence, to_attr="visible_evidence")),
            to_attr="visible_relationships",
        ),
        Prefetch("faq_entries", queryset=visible_faq(audience), to_attr="visible_faq"),
        Prefetch("briefing", queryset=visible_briefings(audience), to_attr="visible_briefing"),
    )


def profile_graph(audience, slug, *, as_if_published=False):
    """The profile with this slug as the audience may see it, or None."""
    return profile_graph_queryset(audience, as_if_published=as_if_published).filter(slug=slug).first()


def profile_graphs(audience, queryset=None):
    """Every visible profile (optionally narrowed) with its visible parts."""
    profiles = profile_graph_queryset(audience)
    if queryset is not None:
        profiles = profiles.filter(pk__in=queryset.values("pk"))
    return profiles.iterator(chunk_size=200)


def visible_explanation(explanation, visible_evidence_ids):
    """A score explanation with the records the audience may not see folded away.

    The score itself is not gated, but the titles and publishers of records the
    audience may not see are: those entries become a count of hidden records.
    """
    if not explanation:
        return explanation
    shown = dict(explanation)
    entries = explanation.get("evidence")
    if entries is not None:
        visible_ids = set(visible_evidence_ids)
        shown["evidence"] = [entry for entry in entries if entry.get("id") in visible_ids]
        shown["hidden_evidence"] = len(entries) - len(shown["evidence"])
    return shown
