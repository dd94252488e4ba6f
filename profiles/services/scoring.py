"""Writes that keep derived state right: stored scores and the band table.

Scores are stored on claims and profiles and recomputed here whenever their
inputs change: evidence, claim–evidence links, overrides or the band table.
The arithmetic itself lives in `confidence`.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from registry.infra import bulk_writes, page_cache
from profiles.rules import confidence
from profiles.models import ChangeAction, Claim, ClaimEvidence, ConfidenceBand, Profile, ProfileChange
from profiles.rules.visibility import is_public

SCORE_FIELDS = ["computed_score", "score", "policy_version", "explanation"]


def change_entry(profile, action, *, public_before):
    """An unsaved changes-feed entry for a profile as it is now."""
    return ProfileChange(
        profile=profile if action != ChangeAction.DELETED else None,
        slug=profile.slug,
        action=action,
        public_before=public_before,
        public_after=is_public(profile) if action != ChangeAction.DELETED else False,
    )


def change_entry_for(*, profile_id, slug, status, action, public_before):
    """`change_entry` from a profile's id, slug and status, for bulk writers that hold rows, not instances."""
    return ProfileChange(
        profile_id=profile_id,
        slug=slug,
        action=action,
        public_before=public_before,
        public_after=is_public(SimpleNamespace(status=status)),
    )


def record_changes(entries):
    """Append entries to the changes feed, in order."""
    entries = list(entries)
    ProfileChange.objects.bulk_create(entries)
    if entries:
        page_cache.invalidate_pages()  # every recorded change may show on a cached page


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


BANDS_CACHE_KEY = "bands:table"


def current_bands(*, cached=False):
    """The band table as `confidence.Band`s in the active language, highest first.

    One query; with `cached`, read pages take it from the shared cache instead, stored
    under the page cache's generation: a band table change (like every other
    invalidation) makes that copy stale. Writes (scoring) always read the table itself.
    """
    if not (cached and page_cache.enabled()):
        return _band_tables(languages=[translation.get_language() or settings.LANGUAGE_CODE]).popitem()[1]
    generation, tables = page_cache.read_with_generation(BANDS_CACHE_KEY)
    if tables is None:
        tables = _band_tables()
        if page_cache.is_settled(generation):
            page_cache.store_with_generation(BANDS_CACHE_KEY, generation, tables, timeout=None)
    return tables.get(translation.get_language()) or tables[settings.LANGUAGE_CODE]


def _band_tables(languages=None):
    """{language: bands} for these languages (every site language by default), from one query."""
    rows = list(ConfidenceBand.objects.order_by("-lower"))
    tables = {}
    for language in languages or [code for code, _name in settings.LANGUAGES]:
        with translation.override(language):
            tables[language] = tuple(
                confidence.Band(
                    lower=band.lower,
                    upper=band.upper,
                    grade=band.grade,
                    label=band.label,
                    description=band.description,
                )
                for band in rows
            )
    return tables


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
    verified = [score for claim, (score, _) in zip(claims, claim_scores) if claim.verified and not claim.retracted]
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
            page_cache.invalidate_pages()  # rows written in bulk send no model signals
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
        page_cache.invalidate_pages()  # the cached bands and every page showing a grade, on commit
        recompute_scores(bands=bands)
    return bands
