"""The registry's languages, and where each language's text of a bilingual field is stored.

The list itself is `settings.LANGUAGES` (English first, the default and the fallback);
modeltranslation stores each translated field as one column per language, named by its
`build_localized_fieldname` (`summary_en`, `summary_zh_hans`). Everything that reads or
writes a language's column by name asks here.
"""

from django.conf import settings
from modeltranslation.utils import build_localized_fieldname

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)  # ("en", "zh-hans")
DEFAULT = settings.LANGUAGE_CODE


def column(field, language):
    """The column holding `field` in `language`: ("summary", "zh-hans") → "summary_zh_hans"."""
    return build_localized_fieldname(field, language)


def columns(field):
    """{language: column} of a translated field, in the languages' order."""
    return {language: column(field, language) for language in LANGUAGES}


def split_column(name):
    """("summary", "zh-hans") for "summary_zh_hans"; None for a column of no language."""
    for language in LANGUAGES:
        suffix = column("", language)  # "_zh_hans"
        if name.endswith(suffix):
            return name.removesuffix(suffix), language
    return None
