"""Writes to the band table: install the default, replace it (validated), rescore everything."""

from decimal import Decimal

from django.db import transaction

from profiles.models import ConfidenceBand
from profiles.rules import confidence
from profiles.services.scoring import recompute_scores
from registry.infra.generation import invalidate_pages


def ensure_band_table():
    """Install the default band table if there is none (a fresh or flushed database)."""
    if ConfidenceBand.objects.exists():
        return False
    replace_band_table(
        {"lower": lower, "upper": upper, "grade": grade, "label_en": label_en, "label_zh_hans": label_zh,
         "description_en": description_en, "description_zh_hans": description_zh}
        for lower, upper, grade, label_en, label_zh, description_en, description_zh in confidence.DEFAULT_BAND_ROWS
    )  # fmt: skip
    return True


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
        invalidate_pages()  # the cached bands and every page showing a grade, on commit
        recompute_scores(bands=bands)
    return bands
