"""Read paths: what each page needs, fetched in a fixed number of queries."""

from dataclasses import dataclass
from itertools import groupby

from . import confidence, services
from .models import ProfileStatus
from .visibility import profile_graph, visible_explanation, visible_profiles


@dataclass
class ClaimView:
    claim: object
    band: confidence.Band
    explanation: dict


@dataclass
class ProfilePage:
    profile: object
    bands: tuple
    band: confidence.Band
    claims_by_section: list
    sources: list

    @property
    def source_count(self):
        return len(self.sources)


def profile_page(audience, slug):
    """The profile page as the audience may see it, or None (→ 404)."""
    profile = profile_graph(audience, slug)
    if profile is None:
        return None
    bands = services.current_bands()
    claims = [
        ClaimView(
            claim=claim,
            band=confidence.band_for(claim.score, bands),
            explanation=visible_explanation(
                claim.explanation, [link.evidence_id for link in claim.visible_evidence_links]
            ),
        )
        for claim in profile.visible_claims
    ]
    by_section = [
        (section, list(items))
        for section, items in groupby(sorted(claims, key=lambda c: c.claim.position), key=lambda c: c.claim.section)
    ]
    return ProfilePage(
        profile=profile,
        bands=bands,
        band=confidence.band_for(profile.score, bands),
        claims_by_section=by_section,
        sources=[link.evidence for link in profile.visible_sources],
    )


def home_profiles(audience, *, limit=50):
    """The newest visible profiles for the home page."""
    return visible_profiles(audience).filter(status=ProfileStatus.PUBLISHED).order_by("-updated_at")[:limit]
