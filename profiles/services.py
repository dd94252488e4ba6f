"""Writes that keep derived state right: stored scores and the band table.

Scores are stored on claims and profiles and recomputed here whenever their
inputs change: evidence, claim–evidence links, overrides or the band table.
The arithmetic itself lives in `confidence`.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from . import confidence
from .models import ChangeAction, Claim, ClaimEvidence, ConfidenceBand, Profile, ProfileChange
from .visibility import is_public

SCORE_FIELDS = ["computed_score", "score", "policy_version", "explanation"]
PROFILE_SCORE_FIELDS = [*SCORE_FIELDS, "updated_at", "version"]


def change_entry(profile, action, *, public_before):
    """An unsaved changes-feed entry for a profile as it is now."""
    return ProfileChange(
        profile=profile if action != ChangeAction.DELETED else None,
        slug=profile.slug,
        action=action,
        public_before=public_before,
        public_after=is_public(profile) if action != ChangeAction.DELETED else False,
    )


def record_changes(entries):
    """Append entries to the changes feed, in order."""
    ProfileChange.objects.bulk_create(list(entries))


# The seed page's band table, in both languages: (lower, upper, grade, label en/zh, description en/zh).
DEFAULT_BAND_ROWS = [
    ("0.90", "1.00", "A", "High", "高", "direct sources", "直接来源"),
    ("0.75", "0.89", "A/B", "Strong", "强", "", ""),
    ("0.55", "0.74", "B/C", "Medium", "中", "", ""),
    ("0.35", "0.54", "C/D", "Weak–medium", "弱至中", "", ""),
    ("0.10", "0.34", "D", "Weak signal", "弱信号", "", ""),
    ("0.00", "0.09", "D", "Internal monitoring", "内部监测", "", ""),
]


def ensure_band_table():
    """Install the default band table if there is none (a fresh or flushed database)."""
    if ConfidenceBand.objects.exists():
        return False
    replace_band_table(
        {"lower": lower, "upper": upper, "grade": grade, "label_en": label_en, "label_zh_hans": label_zh,
         "description_en": description_en, "description_zh_hans": description_zh}
        for lower, upper, grade, label_en, label_zh, description_en, description_zh in DEFAULT_BAND_ROWS
    )  # fmt: skip
    return True


def current_bands():
    """The band table as `confidence.Band`s, highest first (one query)."""
    return tuple(
        confidence.Band(
            lower=band.lower,
            upper=band.upper,
            grade=band.grade,
            label=band.label,
            description=band.description,
        )
        for band in ConfidenceBand.objects.order_by("-lower")
    )


def _evidence_inputs(claim):
    return [
        confidence.EvidenceInput(
            id=link.evidence_id,
            publisher=link.evidence.publisher,
            kind=link.evidence.kind,
            reliability=link.evidence.reliability,
            published_on=link.evidence.published_on,
            review_status=link.evidence.review_status,
            stance=link.stance,
        )
        for link in claim.scoring_links
    ]


def _scoring_queryset():
    return Profile.objects.prefetch_related(
        Prefetch(
            "claims",
            queryset=Claim.objects.prefetch_related(
                Prefetch(
                    "evidence_links",
                    queryset=ClaimEvidence.objects.select_related("evidence"),
                    to_attr="scoring_links",
                )
            ),
            to_attr="scoring_claims",
        )
    )


def _apply_score(obj, score, explanation):
    """Store a score on a claim or profile; return (anything changed, score moved)."""
    moved = obj.score != score
    changed = moved or obj.explanation != explanation
    obj.computed_score = confidence.round_score(explanation["computed"])
    obj.score = score
    obj.policy_version = confidence.POLICY_VERSION
    obj.explanation = explanation
    return changed, moved


def _score_profile(profile, bands, as_of):
    """Score a profile's claims and the profile; return (claims to save, profile changed)."""
    changed_claims, verified_scores, moved = [], [], False
    for claim in profile.scoring_claims:
        score, explanation = confidence.score_claim(
            _evidence_inputs(claim),
            bands=bands,
            as_of=as_of,
            override=claim.score_override,
            override_reason=claim.override_reason,
        )
        claim_changed, claim_moved = _apply_score(claim, score, explanation)
        if claim_changed:
            changed_claims.append(claim)
        moved |= claim_moved
        if claim.verified and not claim.is_retracted:
            verified_scores.append(score)
    score, explanation = confidence.score_profile(
        verified_scores, override=profile.score_override, override_reason=profile.override_reason
    )
    profile_changed, profile_moved = _apply_score(profile, score, explanation)
    moved |= profile_moved
    if moved:
        # Readers see scores, so a moved score is an update (feeds and sync key on it);
        # an explanation that only records a later day is not.
        profile.updated_at = timezone.now()
        profile.version += 1
    return changed_claims, profile_changed or moved, moved


def recompute_scores(profiles=None, *, as_of=None, bands=None, record=True):
    """Recompute and store the scores of these profiles (all when None).

    Returns the number of profiles whose score or explanation changed. Rows
    are written only when something changed, so recomputing twice is a no-op.
    A moved score is an update for the changes feed unless `record` is False
    (the caller has recorded the change already).
    """
    as_of = as_of or date.today()
    bands = bands or current_bands()
    queryset = _scoring_queryset()
    if profiles is not None:
        queryset = queryset.filter(pk__in=[p.pk if isinstance(p, Profile) else p for p in profiles])
    changed = 0
    with transaction.atomic():
        claims_to_save, profiles_to_save, changes = [], [], []
        for profile in queryset.iterator(chunk_size=500):
            changed_claims, profile_changed, moved = _score_profile(profile, bands, as_of)
            claims_to_save.extend(changed_claims)
            if profile_changed:
                profiles_to_save.append(profile)
            if moved and record:
                changes.append(change_entry(profile, ChangeAction.UPDATED, public_before=is_public(profile)))
            if len(claims_to_save) >= 1000:
                Claim.objects.bulk_update(claims_to_save, SCORE_FIELDS)
                claims_to_save = []
        Claim.objects.bulk_update(claims_to_save, SCORE_FIELDS, batch_size=1000)
        Profile.objects.bulk_update(profiles_to_save, PROFILE_SCORE_FIELDS, batch_size=1000)
        record_changes(changes)
        changed = len(profiles_to_save)
    return changed


def recompute_for_evidence(evidence):
    """Recompute every profile whose claims cite this evidence record."""
    profile_ids = Claim.objects.filter(evidence_links__evidence=evidence).values_list("profile_id", flat=True)
    return recompute_scores(set(profile_ids))


def replace_band_table(rows):
    """Replace the band table after validating it, then recompute every score.

    `rows` are mappings with lower, upper, grade, label_en and optionally
    label_zh_hans, description_en, description_zh_hans. An invalid table raises
    `confidence.BandTableError` naming each gap or overlap, and nothing changes.
    """
    rows = [dict(row, lower=Decimal(str(row["lower"])), upper=Decimal(str(row["upper"]))) for row in rows]
    for row in rows:
        row["label"] = row.get("label_en", "")  # the untranslated column mirrors English
        row["description"] = row.get("description_en", "")
    bands = confidence.validate_bands(
        confidence.Band(
            lower=row["lower"],
            upper=row["upper"],
            grade=row.get("grade", ""),
            label=row.get("label_en", ""),
            description=row.get("description_en", ""),
        )
        for row in rows
    )
    with transaction.atomic():
        ConfidenceBand.objects.all().delete()
        ConfidenceBand.objects.bulk_create(
            ConfidenceBand(
                lower=row["lower"],
                upper=row["upper"],
                grade=row["grade"],
                label=row["label"],
                description=row["description"],
                label_en=row.get("label_en", ""),
                label_zh_hans=row.get("label_zh_hans", ""),
                description_en=row.get("description_en", ""),
                description_zh_hans=row.get("description_zh_hans", ""),
            )
            for row in rows
        )
        recompute_scores(bands=bands)
    return bands
