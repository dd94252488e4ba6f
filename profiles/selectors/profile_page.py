"""Read paths: what each page needs, fetched in a fixed number of queries."""

from dataclasses import dataclass, field

from profiles.rules import confidence
from profiles.rules.visibility import profile_graph, visible_explanation
from profiles.selectors import timeline
from profiles.selectors.bands import current_bands


@dataclass
class ClaimView:
    claim: object
    band: confidence.Band
    explanation: dict
    evidence_entries: list = field(default_factory=list)


@dataclass
class ProfilePage:
    profile: object
    bands: tuple
    band: confidence.Band
    claims: list
    sources: list
    timeline: object

    @property
    def source_count(self):
        return len(self.sources)

    @property
    def verified_claims(self):
        return [
            view for view in self.claims
            if confidence.claim_counts(verified=view.claim.verified, retracted=view.claim.is_retracted)
        ]


def _claim_view(claim, bands):
    links = claim.visible_evidence_links
    explanation = visible_explanation(claim.explanation, [link.evidence_id for link in links]) or {}
    records = {link.evidence_id: link.evidence for link in links}
    entries = [dict(entry, record=records.get(entry.get("id"))) for entry in explanation.get("evidence", [])]
    return ClaimView(
        claim=claim,
        band=confidence.band_for(claim.score, bands),
        explanation=explanation,
        evidence_entries=entries,
    )


def profile_page(audience, slug):
    """The profile page as the audience may see it, or None (→ 404)."""
    profile = profile_graph(audience, slug)
    if profile is None:
        return None
    bands = current_bands(cached=True)
    return ProfilePage(
        profile=profile,
        bands=bands,
        band=confidence.band_for(profile.score, bands),
        claims=[_claim_view(claim, bands) for claim in profile.visible_claims],
        sources=[link.evidence for link in profile.visible_sources],
        timeline=timeline.layout(profile.visible_timeline),
    )
