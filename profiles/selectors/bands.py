"""The band table as the pages, the API and scoring read it."""

from django.conf import settings
from django.utils import translation

from profiles.models import ConfidenceBand
from profiles.rules import confidence
from registry.infra.generation import enabled, is_settled, read_with_generation, store_with_generation

BANDS_CACHE_KEY = "bands:table"


def current_bands(*, cached=False):
    """The band table as `confidence.Band`s in the active language, highest first.

    One query; with `cached`, read pages take it from the shared cache instead, stored
    under the page cache's generation: a band table change (like every other
    invalidation) makes that copy stale. Writes (scoring) always read the table itself.
    """
    if not (cached and enabled()):
        return _band_tables(languages=[translation.get_language() or settings.LANGUAGE_CODE]).popitem()[1]
    generation, tables = read_with_generation(BANDS_CACHE_KEY)
    if tables is None:
        tables = _band_tables()
        if is_settled(generation):
            store_with_generation(BANDS_CACHE_KEY, generation, tables, timeout=None)
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
