"""Template helpers for showing stored content safely and in the reader's language."""

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language, gettext

from profiles.rules import languages
from profiles.web.rendering import render_markdown

register = template.Library()

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def text_language(obj, field):
    """The language in which `obj.field` will be shown: the active one, or the fallback."""
    active = get_language() or settings.LANGUAGE_CODE
    if getattr(obj, languages.column(field, active), ""):
        return active
    for code in languages.LANGUAGES:
        if code != active and getattr(obj, languages.column(field, code), ""):
            return code
    return active


@register.simple_tag
def bilingual(obj, field, markdown=False):
    """A translated field, marked with its language when it falls back to the other one."""
    value = getattr(obj, field, "") or ""
    shown_in = text_language(obj, field)
    body = render_markdown(value) if markdown else value
    if shown_in == (get_language() or settings.LANGUAGE_CODE):
        return format_html("{}", body)
    marker = gettext("shown in %(language)s") % {"language": LANGUAGE_NAMES.get(shown_in, shown_in)}
    tag = "div" if markdown else "span"
    return format_html(
        '<{} lang="{}" class="fallback">{}</{}> <span class="fallback-marker">({})</span>',
        tag,
        shown_in,
        body,
        tag,
        marker,
    )


@register.filter
def markdown(text):
    return render_markdown(text)
