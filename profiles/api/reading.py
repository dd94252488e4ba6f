"""How one request reads the registry for its response: texts, grades and URLs.

Texts are in the language the view chose (`lang`: "en" or "zh-hans"), falling back to
the other one; with `lang=all` each text is an object `{"en": …, "zh-hans": …}` holding
the languages that have text, as in the interchange format. Grades come from the band
table the view read (`bands`: {language: bands}, from `selectors.bands.current_bands()` in each
language the response shows).

A `Reading` works out the language's columns, the grade of each score and the URL
prefixes once per request, not once per field: a changes page holds tens of thousands of
fields. The shapes in `representation` read every value through it.
"""

import re

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from modeltranslation.utils import resolution_order

from profiles.rules import confidence, languages

ALL = "all"
SAFE_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _text(obj, columns):
    """The first non-empty of these columns, as modeltranslation's fallback reads it."""
    for column in columns:
        if value := getattr(obj, column, None):
            return value
    return ""


def text_value(obj, name, lang, transform=None):
    """A translated field in `lang` (with fallback), or every language's text for lang=all."""
    if lang == ALL:
        return {
            language: transform(value) if transform else value
            for language in languages.LANGUAGES
            if (value := getattr(obj, languages.column(name, language), "") or "")
        }
    value = _text(obj, [languages.column(name, language) for language in resolution_order(lang)])
    if transform is None:
        return value
    with translation.override(lang):
        return transform(value)


class Reading:
    """One request's way of reading: its language, band table, audience and URLs."""

    def __init__(self, *, lang, bands, audience=None, request=None):
        self.lang = lang
        self.bands = bands
        self.audience = audience
        self.request = request
        self.keys = {}  # {evidence id: key} of the sources of the profile being read: see for_profile
        # Shared by the readings for_profile makes: worked out once per request.
        self._columns = {}
        self._grades = {}
        self._url_parts = {}

    def for_profile(self, profile):
        """This reading, knowing the keys of the profile's sources (its claims' citations show them)."""
        reading = object.__new__(Reading)  # a plain copy (copy.copy costs more, once per profile)
        reading.__dict__.update(self.__dict__)
        reading.keys = {link.evidence_id: link.key for link in profile.visible_sources}
        return reading

    def text(self, obj, name, transform=None):
        """A translated field as `text_value(obj, name, lang)`, with the column names worked out once."""
        if transform is not None:
            return text_value(obj, name, self.lang, transform)
        columns = self._columns.get(name)
        if columns is None:
            shown = languages.LANGUAGES if self.lang == ALL else resolution_order(self.lang)
            columns = self._columns[name] = tuple(languages.column(name, language) for language in shown)
        if self.lang == ALL:
            return {
                language: value
                for language, column in zip(languages.LANGUAGES, columns)
                if (value := getattr(obj, column, "") or "")
            }
        return _text(obj, columns)

    def grade(self, score):
        """The grade of a score, from the live band table."""
        return (self._grades.get(score) or self._band(score))[0]

    def label(self, score):
        """The label of the score's band: a text (an object by language for lang=all)."""
        label = (self._grades.get(score) or self._band(score))[1]
        return dict(label) if isinstance(label, dict) else label

    def _band(self, score):
        """(grade, label) of a score, kept for the next field with the same score."""
        if self.lang == ALL:
            by_language = {language: confidence.band_for(score, self.bands[language]) for language in languages.LANGUAGES}
            labels = {language: str(band.label) for language, band in by_language.items() if band.label}
            found = (by_language["en"].grade, labels)
        else:
            band = confidence.band_for(score, self.bands[self.lang])
            found = (band.grade, str(band.label))
        self._grades[score] = found
        return found

    def profile_api_url(self, slug):
        """The profile's API URL; reverse() runs once, for the first profile."""
        parts = self._url_parts.get("api")
        if parts is not None and SAFE_SLUG.fullmatch(slug):
            return f"{parts[0]}{slug}{parts[1]}"
        return self._first_url("api", slug, lambda: reverse("api:profile-detail", kwargs={"slug": slug}))

    def profile_page_url(self, profile):
        """The profile's page in the response's language (the site's default for lang=all)."""
        slug = profile.slug
        parts = self._url_parts.get("page")
        if parts is not None and SAFE_SLUG.fullmatch(slug):
            return f"{parts[0]}{slug}{parts[1]}"

        def path():
            with translation.override(settings.LANGUAGE_CODE if self.lang == ALL else self.lang):
                return profile.get_absolute_url()

        return self._first_url("page", slug, path)

    def _first_url(self, kind, slug, path):
        """The URL from `path()`; for a plain slug, its prefix and suffix are kept for the next ones."""
        url = self._absolute(path())
        if SAFE_SLUG.fullmatch(slug):
            self._url_parts[kind] = url.rsplit(slug, 1)
        return url

    def _absolute(self, path):
        return self.request.build_absolute_uri(path) if self.request is not None else path
