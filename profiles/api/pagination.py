"""Keyset (cursor) pagination: stable pages while rows are added.

A cursor holds the ordering and the sort values of the last row of the page; the
next page is the rows strictly after it in a total order (the last ordering
column is unique). Rows added meanwhile land in their place in that order, so no
row is shown twice and none is skipped. Cursors are opaque to consumers.
"""

import base64
import binascii
import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from profiles.api.errors import Invalid

MAX_CURSOR_LENGTH = 1000


class BadCursor(Exception):
    pass


def _encode_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode_value(column, value):
    name = column.lstrip("-")
    if name == "pk":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
            raise BadCursor
        return value
    if not isinstance(value, str) or len(value) > 200:
        raise BadCursor
    if name == "updated_at":
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None:
            raise BadCursor
        return moment
    if name == "score":
        try:
            return Decimal(value)
        except InvalidOperation:
            raise BadCursor from None
    if "\x00" in value:
        raise BadCursor
    return value


def encode(payload):
    text = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor):
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise BadCursor
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor from None


def _after(columns, values):
    """Rows strictly after `values` in the order `columns`."""
    clauses = []
    for i, column in enumerate(columns):
        name = column.lstrip("-")
        lookup = "lt" if column.startswith("-") else "gt"
        equal = {columns[j].lstrip("-"): values[j] for j in range(i)}
        clauses.append(Q(**equal, **{f"{name}__{lookup}": values[i]}))
    return reduce(or_, clauses)


def paginate(queryset, *, ordering, columns, cursor, size, name="cursor"):
    """(rows of this page, cursor of the next page or None)."""
    if cursor:
        try:
            payload = decode(cursor)
            if not isinstance(payload, dict) or payload.get("o") != ordering:
                raise BadCursor
            raw = payload.get("v")
            if not isinstance(raw, list) or len(raw) != len(columns):
                raise BadCursor
            values = [_decode_value(column, value) for column, value in zip(columns, raw)]
        except BadCursor:
            raise Invalid(_("Not a cursor of this list and ordering."), {name: [_("Use the `next` link you were given.")]}) from None
        queryset = queryset.filter(_after(columns, values))
    rows = list(queryset.order_by(*columns)[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = rows[-1]
    values = [_encode_value(getattr(last, column.lstrip("-"))) for column in columns]
    return rows, encode({"o": ordering, "v": values})
