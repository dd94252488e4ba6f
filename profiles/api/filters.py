"""The profile list's query parameters: filters, search, ordering, page size.

Filtering and search reuse the pages' rules (`browsing.apply_filters`, whose grade
filter reads the live band table, and `search.search_filter`, which searches only
text the audience may see). Unlike the pages, the API refuses a value it cannot
use with a 400 naming the parameter, so a consumer never gets silently unfiltered
results.
"""

from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from profiles.api.errors import Invalid
from profiles.models import ProfileStatus
from profiles.rules import confidence
from profiles.selectors import browsing, search

MAX_VALUE_LENGTH = 200
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

# ordering parameter → the keyset columns (the last one unique, so the order is total).
ORDERINGS = {
    "-updated_at": ("-updated_at", "-pk"),
    "updated_at": ("updated_at", "pk"),
    "slug": ("slug",),
    "-slug": ("-slug",),
    "-score": ("-score", "slug"),
    "score": ("score", "slug"),
    "-id": ("-pk",),
    "id": ("pk",),
}
DEFAULT_ORDERING = "-updated_at"


def check_value(name, value, errors):
    """A query value we can compare with stored text (PostgreSQL refuses NUL characters)."""
    if "\x00" in value:
        errors[name] = [_("Contains a NUL character.")]
        return False
    if len(value) > MAX_VALUE_LENGTH:
        errors[name] = [_("Longer than %(n)s characters.") % {"n": MAX_VALUE_LENGTH}]
        return False
    return True


def parse_when(value):
    """An ISO 8601 date-time (a zone-less one is UTC) or date (its start, UTC); None if neither."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = datetime.combine(day, time.min) if day else None
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.UTC)
    return moment


def page_size(params, errors, *, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE, name="page_size"):
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= maximum:
        errors[name] = [_("A whole number from 1 to %(max)s.") % {"max": maximum}]
        return default
    return int(raw)


def read_list_query(params, *, audience, bands):
    """(filters, parsed search query, updated_since, ordering) from the list's parameters; 400 on a bad one."""
    errors = {}
    filters = {}
    for dimension in browsing.DIMENSIONS:
        value = params.get(dimension.name, "").strip()
        if not value or not check_value(dimension.name, value, errors):
            continue
        if dimension.staff_only and not audience.is_staff:
            if value != ProfileStatus.PUBLISHED:  # the only status others can see anyway
                errors[dimension.name] = [_("Only staff may filter by status.")]
            continue
        if dimension.choices is not None and value not in dimension.choices.values:
            errors[dimension.name] = [_("One of: %(values)s.") % {"values": ", ".join(dimension.choices.values)}]
        elif dimension.name == "grade" and value not in confidence.grades(bands):
            errors[dimension.name] = [_("One of: %(values)s.") % {"values": ", ".join(confidence.grades(bands))}]
        else:
            filters[dimension.name] = value
    query = search.parse_query("")
    q = params.get("q", "")
    if q and check_value("q", q, errors):
        query = search.parse_query(q)
    updated_since = None
    raw = params.get("updated_since", "").strip()
    if raw and check_value("updated_since", raw, errors):
        updated_since = parse_when(raw)
        if updated_since is None:
            errors["updated_since"] = [_("An ISO 8601 date or date-time, e.g. 2026-11-24T10:00:00Z.")]
    ordering = params.get("ordering", "") or DEFAULT_ORDERING
    if ordering not in ORDERINGS:
        errors["ordering"] = [_("One of: %(values)s.") % {"values": ", ".join(ORDERINGS)}]
        ordering = DEFAULT_ORDERING
    size = page_size(params, errors)
    if errors:
        raise Invalid(_("Some query parameters are not valid."), errors)
    return filters, query, updated_since, ordering, size


def filter_profiles(profiles, *, filters, query, updated_since, audience, bands):
    profiles = browsing.apply_filters(profiles, filters, bands)
    if query:
        profiles = profiles.filter(search.search_filter(query, audience))
    if updated_since is not None:
        profiles = profiles.filter(updated_at__gte=updated_since)
    return profiles
