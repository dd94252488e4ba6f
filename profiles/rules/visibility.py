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

from django.db.models import Prefetch, Q
from django.utils import timezone

from profiles import parts
from profiles.models import (
    EvidenceRecord,
    Membership,
    Profile,
    ProfileStatus,
    ReviewStatus,
    Visibility,
)
from profiles.parts import Gate
from profiles.rules.confidence_sql import COUNTED_CLAIMS


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


def public_q(prefix=""):
    """Public profiles as a condition (`prefix` for a related profile, e.g. "profile__")."""
    return Q(**{f"{prefix}status": ProfileStatus.PUBLISHED})


def visible_profiles(audience):
    """Profiles the audience may open."""
    profiles = Profile.objects.all()
    if audience.is_staff:
        return profiles
    return profiles.filter(public_q())


def is_public(profile):
    """Whether anonymous readers may open this profile (no query)."""
    return profile.status == ProfileStatus.PUBLISHED


def visible_evidence(audience):
    evidence = EvidenceRecord.objects.all()
    if audience.is_staff:
        return evidence
    return evidence.filter(review_status=ReviewStatus.REVIEWED, visibility__in=audience.levels)


def visible_part(part, audience):
    """The rows of a profile part (`parts.PARTS`) the audience may see, by the part's gate."""
    rows = part.model.objects.all()
    if audience.is_staff or part.gate == Gate.NONE:
        return rows
    if part.gate == Gate.REVIEWED:
        return rows.filter(evidence__in=visible_evidence(audience))
    if part.gate == Gate.MEMBERS:
        return rows.filter(visibility=Visibility.MEMBERS) if audience.sees_members_items else rows.none()
    rows = rows.filter(visibility__in=audience.levels)
    if part.gate == Gate.COUNTED:
        return rows.filter(COUNTED_CLAIMS)
    if part.gate == Gate.VERIFIED:
        return rows.filter(verified=True, target__in=visible_profiles(audience))
    return rows  # Gate.LEVEL


def visible_claims(audience):
    return visible_part(parts.CLAIMS, audience)


def visible_timeline(audience):
    return visible_part(parts.TIMELINE, audience)


def visible_watchpoints(audience):
    return visible_part(parts.WATCHPOINTS, audience)


def visible_faq(audience):
    return visible_part(parts.FAQ, audience)


def visible_relationships(audience):
    return visible_part(parts.RELATIONSHIPS, audience)


def visible_briefings(audience):
    return visible_part(parts.BRIEFING, audience)


def _evidence_prefetch(part, evidence):
    """A part's evidence as the audience may see it, into `visible_<relation>` (claims: their links)."""
    if part is parts.CLAIMS:
        links = parts.CLAIM_EVIDENCE
        rows = links.model.objects.filter(evidence__in=evidence).select_related(*links.joined)
        return Prefetch(links.accessor, queryset=rows, to_attr=links.visible_as)
    return Prefetch(part.evidence, queryset=evidence, to_attr=f"visible_{part.evidence}")


def profile_graph_queryset(audience, *, as_if_published=False):
    """Visible profiles with every visible part prefetched into its `visible_as` list.

    Iterating the result runs a fixed number of queries whatever the size of
    each profile, so pages and endpoints can render without further queries.
    `as_if_published` drops the status rule only (for staff previews and
    publication snapshots): every part is still filtered for the audience.
    """
    evidence = visible_evidence(audience)
    profiles = Profile.objects.all() if as_if_published else visible_profiles(audience)
    prefetches = []
    for part in parts.PARTS:
        rows = visible_part(part, audience)
        if part.joined:
            rows = rows.select_related(*part.joined)
        if part.evidence:
            rows = rows.prefetch_related(_evidence_prefetch(part, evidence))
        prefetches.append(Prefetch(part.accessor, queryset=rows, to_attr=part.visible_as))
    return profiles.prefetch_related(*prefetches)


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
