"""Browsing: the profile list's filters, counts and sorting, facet pages, the home overview.

Every queryset starts from `visibility.visible_profiles(audience)`; search goes
through `search`, which asks `visibility.visible_claims(audience)`.

Filters are GET parameters that combine with AND: kind, category, region, grade,
criticality, the facets primary_domain, signal_focus, content_type and topic, and
status (staff only). A grade is never stored: `grade=D` keeps the profiles whose
stored score lies in any band of the live table graded D (two bands share it).

Counts next to each filter value are computed over the current result set with
the *other* filters applied (the search included), so each number says how many
results choosing that value would give. All of them, and the number of results,
come from one query (`facet_counts`): the visible (and searched) profiles' narrow
facet columns are read once, with a flag per active filter, and each filter is
grouped over the rows that pass every other flag. So a page runs a fixed number
of queries whatever the data, and the search runs twice (counts, then the page).
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection, connections
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from profiles.models import Criticality, ProfileKind, ProfileStatus, ProfileTopic
from profiles.rules import confidence
from profiles.rules.confidence import grades
from profiles.rules.confidence_sql import grade_case, grade_q
from profiles.rules.visibility import public_q, visible_profiles
from profiles.selectors import search

PER_PAGE = 20
HOME_LATEST = 10
MAX_VALUE_LENGTH = 200
SNIPPET_LENGTH = 220

# Facets that have their own pages, /<lang>/facets/<facet>/<value>/, in the order rows show them.
FACETS = ("region", "category", "primary_domain", "signal_focus", "content_type", "topic")


@dataclass(frozen=True)
class Dimension:
    """One filter of the profile list: a GET parameter and what it matches."""

    name: str
    label: str
    field: str = ""  # the Profile column compared for equality; "" for grade and topic
    choices: type | None = None  # TextChoices when the values are fixed
    staff_only: bool = False


DIMENSIONS = (
    Dimension("kind", _("Kind"), "kind", ProfileKind),
    Dimension("category", _("Category"), "category"),
    Dimension("region", _("Region"), "region"),
    Dimension("grade", _("Confidence grade")),
    Dimension("criticality", _("Operational criticality"), "criticality", Criticality),
    Dimension("primary_domain", _("Primary domain"), "primary_domain"),
    Dimension("signal_focus", _("Signal focus"), "signal_focus"),
    Dimension("content_type", _("Content type"), "content_type"),
    Dimension("topic", _("Topic"), ""),
    Dimension("status", _("Status"), "status", ProfileStatus, staff_only=True),
)
DIMENSION = {dimension.name: dimension for dimension in DIMENSIONS}

SORTS = {
    "relevance": _("Relevance"),
    "updated": _("Recently updated"),
    "name": _("Name"),
    "confidence": _("Confidence, highest first"),
}


def dimensions_for(audience):
    return [d for d in DIMENSIONS if audience.is_staff or not d.staff_only]


# Grades ------------------------------------------------------------------------


def grade_label(grade, bands):
    labels = [str(band.label) for band in sorted(bands, key=lambda b: b.lower, reverse=True) if band.grade == grade]
    return f"{grade} — {', '.join(dict.fromkeys(labels))}"


def _grade_counts(profiles, bands):
    names = grades(bands)
    totals = profiles.aggregate(
        **{f"grade_{i}": Count("pk", filter=grade_q(grade, bands)) for i, grade in enumerate(names)}
    )
    return {grade: totals[f"grade_{i}"] for i, grade in enumerate(names)}


# The request -------------------------------------------------------------------


@dataclass(frozen=True)
class BrowseRequest:
    """What the reader asked for, checked: unknown values are dropped and listed in `ignored`."""

    query: search.ParsedQuery
    filters: dict
    sort: str
    page: str
    ignored: tuple = ()


def _storable(value):
    # PostgreSQL refuses NUL characters in a string: such a value can match nothing.
    return len(value) <= MAX_VALUE_LENGTH and "\x00" not in value


def _accepts(dimension, value, bands):
    if not _storable(value):
        return False
    if dimension.choices is not None:
        return value in dimension.choices.values
    if dimension.name == "grade":
        return value in grades(bands)
    return True


def read_browse_request(params, *, audience, bands):
    """Parse the list's GET parameters for this audience (staff-only filters are dropped for others)."""
    query = search.parse_query(params.get("q", ""))
    filters, ignored = {}, []
    for dimension in dimensions_for(audience):
        value = params.get(dimension.name, "").strip()
        if not value:
            continue
        if _accepts(dimension, value, bands):
            filters[dimension.name] = value
        else:
            ignored.append(dimension.name)
    sort = params.get("sort", "")
    if sort not in SORTS or (sort == "relevance" and not query):
        sort = "relevance" if query else "updated"
    return BrowseRequest(query=query, filters=filters, sort=sort, page=params.get("page", "1"), ignored=tuple(ignored))


def sort_choices(request):
    return [(key, label) for key, label in SORTS.items() if key != "relevance" or request.query]


# Filtering, counting, sorting --------------------------------------------------


def _filter_q(name, value, bands):
    if name == "grade":
        return grade_q(value, bands)
    if name == "topic":
        return Q(pk__in=ProfileTopic.objects.filter(name=value).values("profile_id"))
    return Q(**{DIMENSION[name].field: value})


def apply_filters(profiles, filters, bands):
    for name, value in filters.items():
        profiles = profiles.filter(_filter_q(name, value, bands))
    return profiles


def facet_counts(dimensions, base, filters, *, bands):
    """({dimension: {value: count}}, number of results) over `base`, in one query.

    Each dimension is counted over the rows of `base` that pass every active filter
    but its own; the total over the rows that pass them all. `base` (visible
    profiles, searched) is read once, as a common table expression of its narrow
    columns; the SQL around it names only our own columns, every value is a
    parameter of the compiled `base`.
    """
    columns = {"v_grade": grade_case(bands)}
    columns.update({f"v_{d.name}": F(d.field) for d in dimensions if d.field})
    flags = {
        f"f_{name}": ExpressionWrapper(_filter_q(name, value, bands), output_field=BooleanField())
        for name, value in filters.items()
    }
    # "pk" named (selected as "pk"): without a field name modeltranslation would select them all.
    rows = base.order_by().values("pk", **columns, **flags)
    sql, params = rows.query.sql_with_params()

    def passing(*names):
        conditions = [f"f_{name}" for name in filters if name not in names]
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    topics = connection.ops.quote_name(ProfileTopic._meta.db_table)
    selects = [f"SELECT '', '', COUNT(*) FROM base{passing()}"]
    for dimension in dimensions:
        name = dimension.name
        if name == "topic":
            # (profile, name) is unique: counting topic rows counts profiles.
            selects.append(
                f"SELECT 'topic', name, COUNT(*) FROM {topics}"
                f" WHERE profile_id IN (SELECT pk FROM base{passing(name)}) GROUP BY name"
            )
        else:
            selects.append(f"SELECT '{name}', v_{name}, COUNT(*) FROM base{passing(name)} GROUP BY v_{name}")
    counts = {dimension.name: {} for dimension in dimensions}
    total = 0
    with connections[rows.db].cursor() as cursor:  # the database the router reads from (a replica)
        cursor.execute(f"WITH base AS ({sql}) " + " UNION ALL ".join(selects), params)
        for name, value, count in cursor.fetchall():
            if name == "":
                total = count
            elif value not in ("", None):
                counts[name][value] = count
    return counts, total


def _display_name():
    """The profile's name in the active language, else the other one, else its slug."""
    languages = _languages()
    names = [NullIf(build_localized_fieldname("name", code), Value("")) for code in languages]
    return Lower(Coalesce(*names, F("slug")))


def _ordered(profiles, sort, query=None):
    if sort == "relevance":
        return search.with_rank(profiles, query).order_by("-search_rank", "-updated_at", "pk")
    if sort == "name":
        return profiles.order_by(_display_name(), "pk")
    if sort == "confidence":
        return profiles.order_by("-score", _display_name(), "pk")
    return profiles.order_by("-updated_at", "pk")


@dataclass(frozen=True)
class FilterOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class FilterGroup:
    name: str
    label: str
    options: list
    selected: str


@dataclass(frozen=True)
class ActiveFilter:
    name: str
    label: str
    value_label: str

    @property
    def removal(self):
        """Query parameters to drop (for `{% querystring request.GET filter.removal %}`)."""
        return {self.name: None, "page": None}


def _options(dimension, counts, selected, bands):
    if dimension.choices is not None:
        values = list(dimension.choices.choices)
    elif dimension.name == "grade":
        values = [(grade, grade_label(grade, bands)) for grade in grades(bands)]
    else:
        values = [(value, value) for value in sorted(counts, key=str.casefold)]
        if selected and selected not in counts:
            values.append((selected, selected))
    return [FilterOption(value, str(label), counts.get(value, 0), value == selected) for value, label in values]


def _value_label(name, value, bands):
    dimension = DIMENSION[name]
    if dimension.choices is not None:
        return str(dimension.choices(value).label)
    if name == "grade":
        return grade_label(value, bands)
    return value


@dataclass
class BrowseResult:
    page: object  # a Paginator page whose object_list holds ProfileRows
    groups: list
    active: list
    sorts: list


def browse_profiles(audience, request, *, bands):
    """The profile list for this request: one page of rows, and the counts of every filter.

    Four queries, five with a search: the counts with the number of results, the
    page, its topics, and the claims that matched (for snippets).
    """
    base = visible_profiles(audience)
    if request.query:
        base = base.filter(search.search_filter(request.query, audience))
    dimensions = dimensions_for(audience)
    counts, total = facet_counts(dimensions, base, request.filters, bands=bands)
    results = _ordered(apply_filters(base, request.filters, bands), request.sort, request.query)
    page = _page(results, request.page, count=total)
    if request.sort == "relevance":
        # Every match is ranked over narrow columns; only this page's rows are read whole.
        ranked = visible_profiles(audience).filter(pk__in=page.object_list.values("pk"))
        page.object_list = _ordered(ranked, request.sort, request.query)
    page.object_list = _fetch(page.object_list, audience=audience, query=request.query)
    page.object_list = profile_rows(page.object_list, bands, query=request.query)
    active = [
        ActiveFilter(name, str(DIMENSION[name].label), _value_label(name, value, bands))
        for name, value in request.filters.items()
    ]
    groups = []
    for dimension in dimensions:
        selected = request.filters.get(dimension.name, "")
        options = _options(dimension, counts[dimension.name], selected, bands)
        groups.append(FilterGroup(dimension.name, str(dimension.label), options, selected))
    return BrowseResult(page=page, groups=groups, active=active, sorts=sort_choices(request))


def _page(profiles, number, *, count=None):
    """A page of `profiles`, its object_list still a queryset; `count`, when known, saves a query."""
    paginator = Paginator(profiles, PER_PAGE)
    if count is not None:
        paginator.count = count  # a cached property: set, it is not asked of the database
    page = paginator.get_page(number)
    # Templates cannot call get_elided_page_range(number) themselves.
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _fetch(profiles, *, audience, query=None):
    """The profiles with their topics (and the visible claims that matched the query)."""
    prefetches = [Prefetch("topic_links", queryset=ProfileTopic.objects.all(), to_attr="topics_list")]
    if query:
        claims = search.matching_claims(query, audience)
        prefetches.append(Prefetch("claims", queryset=claims, to_attr="matching_claims"))
    return list(profiles.prefetch_related(*prefetches))


# Rows --------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetLink:
    label: str
    values: list  # (value, url) pairs


@dataclass(frozen=True)
class ProfileRow:
    """A profile as a list shows it: grade badge, (highlighted) name, snippet, facet links."""

    profile: object
    band: object
    name_html: str
    snippet_html: str
    snippet_lang: str  # the snippet's language when it differs from the page's, else ""
    facet_links: list = field(default_factory=list)


def _languages():
    """Language codes, the active one first."""
    codes = [code for code, _name in settings.LANGUAGES]
    active = get_language() or settings.LANGUAGE_CODE
    active = active if active in codes else settings.LANGUAGE_CODE
    return [active] + [code for code in codes if code != active]


def _texts(obj, name, languages):
    """(text, language) for a translated field, in language order, skipping blanks."""
    pairs = ((getattr(obj, build_localized_fieldname(name, code), "") or "", code) for code in languages)
    return [(text, code) for text, code in pairs if text.strip()]


def _snippet(profile, pattern, languages):
    """The first piece of visible text with a match, highlighted; else the summary's start."""
    shown_name = profile.name or profile.slug
    candidates = [(text, code) for text, code in _texts(profile, "name", languages) if text != shown_name]
    if profile.aliases:
        candidates.append((", ".join(str(alias) for alias in profile.aliases), ""))
    candidates += _texts(profile, "summary", languages)
    for claim in getattr(profile, "matching_claims", ()):  # visible claims only: see search.matching_claims
        candidates += _texts(claim, "text", languages)
    for text, code in candidates:
        html = search.highlight(text, pattern, around=SNIPPET_LENGTH)
        if html is not None:
            return html, code
    summaries = _texts(profile, "summary", languages)
    if summaries:
        text, code = summaries[0]
        return search.excerpt(text, SNIPPET_LENGTH), code
    return "", ""


def facet_url(facet, value):
    """The facet page for a value; the filtered list when the value cannot be a path segment."""
    if "/" in value or value.strip(".") == "":  # "", "." and ".." would be read as other paths
        return f"{reverse('profiles:list')}?{urlencode({facet: value})}"
    return reverse("profiles:facet", kwargs={"facet": facet, "value": value})


def list_url(**params):
    return f"{reverse('profiles:list')}?{urlencode(params)}"


def _facet_links(profile):
    links = []
    for facet in FACETS:
        if facet == "topic":
            values = [topic.name for topic in getattr(profile, "topics_list", ())]
        else:
            values = [getattr(profile, DIMENSION[facet].field)] if getattr(profile, DIMENSION[facet].field) else []
        if values:
            label = _("Topics") if facet == "topic" else DIMENSION[facet].label
            links.append(FacetLink(str(label), [(value, facet_url(facet, value)) for value in values]))
    return links


def profile_rows(profiles, bands, *, query=None):
    """Rows for already fetched profiles (topics and, when searching, matching claims prefetched)."""
    pattern = search.match_pattern(query) if query else None
    languages = _languages()
    rows = []
    for profile in profiles:
        name = profile.name or profile.slug
        snippet, code = _snippet(profile, pattern, languages)
        rows.append(
            ProfileRow(
                profile=profile,
                band=confidence.band_for(profile.score, bands),
                name_html=search.highlight(name, pattern) or escape(name),
                snippet_html=snippet,
                snippet_lang="" if code in ("", languages[0]) else code,
                facet_links=_facet_links(profile),
            )
        )
    return rows


# Facet pages -------------------------------------------------------------------


def facet_label(facet):
    return str(DIMENSION[facet].label)


def facet_page(audience, facet, value, *, page, bands):
    """The visible profiles with this facet value, newest first; None when there are none.

    None (→ 404) also when the value exists only on profiles the audience may not
    see, so a facet URL never reveals a value used only by drafts.
    """
    if facet not in FACETS or not _storable(value):
        return None
    profiles = visible_profiles(audience).filter(_filter_q(facet, value, bands))
    result = _page(_ordered(profiles, "updated"), page)
    result.object_list = _fetch(result.object_list, audience=audience)
    if result.paginator.count == 0:
        return None
    result.object_list = profile_rows(result.object_list, bands)
    return result


# Home --------------------------------------------------------------------------


@dataclass(frozen=True)
class CountLink:
    label: str
    count: int
    url: str
    grade: str = ""


@dataclass
class HomeOverview:
    latest: list  # (profile, band) pairs
    by_kind: list
    by_grade: list


def home_overview(audience, *, bands):
    """Latest published updates with their grade, and counts by kind and by grade (three queries)."""
    latest = (
        visible_profiles(audience).filter(public_q()).order_by("-updated_at", "pk")[:HOME_LATEST]
    )
    visible = visible_profiles(audience)
    kinds = dict(visible.values_list("kind").annotate(n=Count("pk")).order_by())
    by_grade = _grade_counts(visible, bands)
    return HomeOverview(
        latest=[(profile, confidence.band_for(profile.score, bands)) for profile in latest],
        by_kind=[
            CountLink(str(label), kinds.get(value, 0), list_url(kind=value))
            for value, label in ProfileKind.choices
        ],
        by_grade=[
            CountLink(grade_label(grade, bands), count, list_url(grade=grade), grade)
            for grade, count in by_grade.items()
        ],
    )
