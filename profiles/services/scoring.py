"""Writes that keep stored scores right.

Scores are stored on claims and profiles and recomputed here whenever their
inputs change: evidence, claim–evidence links, overrides or the band table.
The arithmetic itself lives in `confidence`.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from profiles.models import ChangeAction, Claim, ClaimEvidence, Profile
from profiles.rules import confidence
from profiles.rules.visibility import is_public
from profiles.selectors.bands import current_bands
from profiles.services.changes import change_entry_for, record_changes
from registry.infra import bulk_writes
from registry.infra.generation import invalidate_pages

SCORE_FIELDS = ["computed_score", "score", "policy_version", "explanation"]


# Scoring reads only these columns; rows, not model instances, keep 10,000 profiles cheap.
PROFILE_SCORING_COLUMNS = ["id", "slug", "status", "score", "explanation", "score_override", "override_reason"]
CLAIM_SCORING_COLUMNS = ["id", "profile_id", "verified", "retracted_at", "score", "explanation",
                         "score_override", "override_reason"]  # fmt: skip
LINK_SCORING_COLUMNS = ["claim_id", "evidence_id", "stance", "evidence__publisher", "evidence__kind",
                        "evidence__reliability", "evidence__published_on", "evidence__review_status"]  # fmt: skip
RECOMPUTE_BATCH = 1000


@dataclass
class ClaimInputs:
    """What a claim's score is computed from."""

    evidence: list
    verified: bool
    retracted: bool
    score_override: Decimal | None = None
    override_reason: str = ""


def score_claims_and_profile(claims, *, profile_override, profile_override_reason, bands, as_of):
    """Score a profile's claims (`ClaimInputs`) and the profile.

    Returns ([(score, explanation) per claim], (score, explanation) of the profile).
    The profile's score is the mean of its verified, unretracted claims' scores.
    """
    claim_scores = [
        confidence.score_claim(
            claim.evidence,
            bands=bands,
            as_of=as_of,
            override=claim.score_override,
            override_reason=claim.override_reason,
        )
        for claim in claims
    ]
    verified = [
        score
        for claim, (score, _) in zip(claims, claim_scores)
        if confidence.claim_counts(verified=claim.verified, retracted=claim.retracted)
    ]
    profile = confidence.score_profile(verified, override=profile_override, override_reason=profile_override_reason)
    return claim_scores, profile


def _link_input(claim_id, evidence_id, stance, publisher, kind, reliability, published_on, review_status):
    return confidence.EvidenceInput(
        id=evidence_id,
        publisher=publisher,
        kind=kind,
        reliability=reliability,
        published_on=published_on,
        review_status=review_status,
        stance=stance,
    )


def _score_row(explanation, score):
    return (confidence.round_score(explanation["computed"]), score, confidence.POLICY_VERSION, explanation)


def _recompute_batch(profile_ids, bands, as_of):
    """Score one batch; return (claim rows, profile rows, moved profiles) to write."""
    profiles = list(Profile.objects.filter(pk__in=profile_ids).order_by("slug").values(*PROFILE_SCORING_COLUMNS))
    claims_by_profile = {profile["id"]: [] for profile in profiles}
    claims = Claim.objects.filter(profile_id__in=profile_ids).order_by("profile_id", "position", "id")
    links_by_claim = {}
    for claim in claims.values(*CLAIM_SCORING_COLUMNS):
        claims_by_profile[claim["profile_id"]].append(claim)
        links_by_claim[claim["id"]] = []
    links = ClaimEvidence.objects.filter(claim__profile_id__in=profile_ids).order_by("claim_id", "position", "id")
    for link in links.values_list(*LINK_SCORING_COLUMNS):
        links_by_claim[link[0]].append(_link_input(*link))
    claim_rows, profile_rows, moved_profiles = [], [], []
    now = timezone.now()
    for profile in profiles:
        claims = claims_by_profile[profile["id"]]
        claim_scores, (score, explanation) = score_claims_and_profile(
            [
                ClaimInputs(
                    evidence=links_by_claim[claim["id"]],
                    verified=claim["verified"],
                    retracted=claim["retracted_at"] is not None,
                    score_override=claim["score_override"],
                    override_reason=claim["override_reason"],
                )
                for claim in claims
            ],
            profile_override=profile["score_override"],
            profile_override_reason=profile["override_reason"],
            bands=bands,
            as_of=as_of,
        )
        moved = profile["score"] != score
        for claim, (claim_score, claim_explanation) in zip(claims, claim_scores):
            if claim["score"] != claim_score or claim["explanation"] != claim_explanation:
                moved |= claim["score"] != claim_score
                claim_rows.append((claim["id"], *_score_row(claim_explanation, claim_score)))
        if moved or profile["explanation"] != explanation:
            profile_rows.append((profile["id"], *_score_row(explanation, score), moved))
        if moved:
            moved_profiles.append(profile)
    # Readers see scores, so a moved score is an update (feeds and sync key on it);
    # an explanation that only records a later day is not.
    return claim_rows, profile_rows, moved_profiles, now


def recompute_scores(profiles=None, *, as_of=None, bands=None, record=True):
    """Recompute and store the scores of these profiles (all when None).

    Returns the number of profiles whose score or explanation changed. Rows
    are written only when something changed, so recomputing twice is a no-op.
    A moved score is an update for the changes feed unless `record` is False
    (the caller has recorded the change already).
    """
    as_of = as_of or date.today()
    bands = bands or current_bands()
    queryset = Profile.objects.order_by("slug")  # changes-feed entries in slug order
    if profiles is not None:
        queryset = queryset.filter(pk__in=[p.pk if isinstance(p, Profile) else p for p in profiles])
    ids = list(queryset.values_list("pk", flat=True))
    changed = 0
    with transaction.atomic():
        for start in range(0, len(ids), RECOMPUTE_BATCH):
            claim_rows, profile_rows, moved_profiles, now = _recompute_batch(
                ids[start : start + RECOMPUTE_BATCH], bands, as_of
            )
            bulk_writes.update_rows(Claim, ["id", *SCORE_FIELDS], claim_rows)
            bulk_writes.update_rows(
                Profile, ["id", *SCORE_FIELDS], [row[:-1] for row in profile_rows if not row[-1]]
            )
            if moved_profiles:
                moved_ids = {profile["id"] for profile in moved_profiles}
                bulk_writes.update_rows(
                    Profile, ["id", *SCORE_FIELDS, "updated_at"], [(*row[:-1], now) for row in profile_rows if row[-1]]
                )
                Profile.objects.filter(pk__in=moved_ids).update(version=F("version") + 1)
                if record:
                    record_changes(
                        change_entry_for(
                            profile_id=profile["id"],
                            slug=profile["slug"],
                            status=profile["status"],
                            action=ChangeAction.UPDATED,
                            public_before=is_public(SimpleNamespace(status=profile["status"])),
                        )
                        for profile in moved_profiles
                    )
            changed += len(profile_rows)
        if changed:
            invalidate_pages()  # rows written in bulk send no model signals
    return changed


def recompute_for_evidence(evidence):
    """Recompute every profile whose claims cite this evidence record."""
    profile_ids = Claim.objects.filter(evidence_links__evidence=evidence).values_list("profile_id", flat=True)
    return recompute_scores(set(profile_ids))
