"""Site-wide pages: the methodology, robots.txt and the error pages."""

import sys
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from profiles.api.errors import error_body
from profiles.models import EvidenceKind, Reliability
from profiles.rules import confidence, languages
from profiles.selectors.bands import current_bands
from registry.infra.page_cache import cached_page

# What each kind of evidence is, in a reader's words (the weights come from confidence.py).
EVIDENCE_KIND_EXAMPLES = {
    "direct": _("official filing, statement, primary research"),
    "reporting": _("a publication's reporting"),
    "secondary": _("aggregator, analysis"),
    "internal": _("analyst note"),
}

# Ages at which the methodology shows how much of a record's weight is left.
DECAY_EXAMPLE_AGES = (
    (0, _("published today")),
    (365, _("one year old")),
    (confidence.HALF_LIFE_DAYS, _("one half-life old")),
    (2 * confidence.HALF_LIFE_DAYS, _("two half-lives old")),
)

ROBOTS_DISALLOW = ("/admin/", "/accounts/", "/api/")


def _percent(fraction):
    return int((Decimal(fraction) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _decay_examples():
    """(label, percent of weight kept) at a few ages, worked out by the scoring code itself."""
    today = date(2000, 1, 1)  # any day: only the age matters
    examples = []
    for age_days, label in DECAY_EXAMPLE_AGES:
        record = confidence.EvidenceInput(
            id=0, publisher="", kind="direct", reliability="A",
            published_on=today - timedelta(days=age_days), review_status="reviewed",
        )  # fmt: skip
        _base, decay, _weight = confidence.evidence_weight(record, today)
        examples.append((label, _percent(decay)))
    return examples


def _half_life_years():
    years = f"{confidence.HALF_LIFE_DAYS / 365.25:.1f}"
    return years.removesuffix(".0")


@cached_page()
def methodology(request):
    """How scores, bands, caps, decay and overrides work, with the live band table."""
    bands = current_bands(cached=True)
    try:
        cap = confidence.cap_for(bands)
    except confidence.BandTableError:
        cap = None  # no table yet: the page still explains the rule
    context = {
        "policy_version": confidence.POLICY_VERSION,
        "bands": bands,
        "top_band": confidence.top_band(bands) if bands else None,
        "cap": cap,
        "kind_weights": [
            (EvidenceKind(kind).label, EVIDENCE_KIND_EXAMPLES.get(kind, ""), weight)
            for kind, weight in confidence.KIND_WEIGHTS.items()
        ],
        "reliability_factors": [
            (Reliability(code).label, factor) for code, factor in confidence.RELIABILITY_FACTORS.items()
        ],
        "half_life_days": confidence.HALF_LIFE_DAYS,
        "half_life_years": _half_life_years(),
        "undated_decay_percent": _percent(confidence.UNDATED_DECAY),
        "decay_examples": _decay_examples(),
    }
    return render(request, "profiles/methodology.html", context)


@require_safe
def robots_txt(request):
    """Crawl the public site; not the admin, the accounts pages or the API."""
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOW]
    lines += ["", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _home_url(language):
    with translation.override(language):
        try:
            return reverse("profiles:home")
        except NoReverseMatch:
            return "/"


def _error_page_alternates(request):
    """The language switcher of an error page: this path in each language, or that language's home.

    Only the path is used, never the query string, so an error page echoes nothing
    a visitor did not type into the path itself.
    """
    path = request.path
    current = translation.get_language_from_path(path)
    alternates = []
    for code, name in settings.LANGUAGES:
        url = translate_url(path, code)
        if code != current and url == path:  # the path does not resolve: offer the home page
            url = _home_url(code)
        alternates.append((code, name, url))
    return alternates


def page_not_found(request, exception):
    """404 in the request's language. Says nothing about what was asked for, or why."""
    context = {"language_alternates": _error_page_alternates(request)}
    content = loader.render_to_string("404.html", context, request)
    return HttpResponseNotFound(content)


def server_error(request):
    """500 in the language of the URL prefix, rendered without the database or a request context.

    Whatever broke may be the database itself, so this reads nothing from it:
    no session, no user, no context processors. A database lost outside a view (a
    middleware saving the session, say) is the same outage as inside one: the 503.
    """
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return service_unavailable(request)
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    return _standalone_error_page("500.html", language, status=500)


RETRY_AFTER_SECONDS = 30


def service_unavailable(request):
    """The 503 for a lost database, built without touching it (no session, no user).

    Pages get 503.html in the language of the URL; the API its error shape in the
    language it negotiates (?lang=, else Accept-Language as LocaleMiddleware chose).
    """
    language = _request_language(request)
    if request.path_info.startswith("/api/"):
        with translation.override(language):
            message = gettext("The registry's database is unavailable; try again shortly.")
        response = JsonResponse(error_body("service_unavailable", message), status=503)
    else:
        response = _standalone_error_page("503.html", language, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    return response


def _request_language(request):
    """The language of the URL prefix, else the API's ?lang=, else what LocaleMiddleware chose."""
    language = translation.get_language_from_path(request.path_info)
    if not language and request.GET.get("lang") in languages.LANGUAGES:
        language = request.GET["lang"]
    if not language:
        active = translation.get_language() or settings.LANGUAGE_CODE
        language = "zh-hans" if active.lower().startswith("zh") else settings.LANGUAGE_CODE
    return language


def _standalone_error_page(template, language, *, status):
    """An error page from templates/_standalone_error.html: no request context, no database."""
    with translation.override(language):
        try:
            stylesheet = static("css/site.css")
        except ValueError:  # a missing static manifest entry must not hide the error page
            stylesheet = ""
        content = loader.get_template(template).render({"home_url": _home_url(language), "stylesheet": stylesheet})
    return HttpResponse(content, status=status)
