"""The changes feed, GET /api/v1/changes/?since=<cursor>: incremental sync.

It reads the `ProfileChange` rows after the cursor (at most `limit`) and answers,
for each profile they touch, in the order of its last change, the profile's state
now as the caller's audience sees it:

* `created` or `updated` with the whole profile, when the audience may see it now
  (`created` when the audience could not see it before this window);
* `deleted`, a tombstone with the slug only, when it may not see it now — but for
  readers who are not staff, only if the profile was public at some point in the
  window (`public_before`/`public_after`), so a draft never appears, not even its slug.

A consumer that upserts `created`/`updated` and removes `deleted` by slug, page
after page from the start, ends with exactly the audience's visible set; `next`
is the cursor to ask with next time (the same cursor when nothing is new).
"""

import base64
import binascii
from datetime import datetime
from typing import NamedTuple

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from profiles.api import filters
from profiles.api.errors import Invalid
from profiles.api.representation import CHANGE_ENTRY
from profiles.api.schema import LANG
from profiles.api.views import ApiView
from profiles.models import ChangeAction, Profile, ProfileChange
from profiles.rules.visibility import profile_graph_queryset

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
CURSOR_PREFIX = "change:"


def encode_cursor(change_id):
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{change_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The last change id a cursor stands for; None if it is not one of ours."""
    if len(cursor) > 100:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    number = text.removeprefix(CURSOR_PREFIX)
    if not text.startswith(CURSOR_PREFIX) or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


class Entry(NamedTuple):
    """One entry of the feed (`representation.CHANGE_ENTRY` shows it)."""

    action: ChangeAction
    slug: str
    changed_at: datetime  # the slug's last change in the window
    profile: Profile | None  # its graph as the audience sees it now; None for a tombstone


def feed_entries(rows, graphs, audience):
    """An `Entry` per touched slug, in order of last change."""
    by_slug = {}
    for row in rows:
        by_slug.setdefault(row.slug, []).append(row)
    entries = []
    for slug, changes in sorted(by_slug.items(), key=lambda item: item[1][-1].pk):
        profile = graphs.get(slug)
        first = changes[0]
        if profile is not None:
            seen_before = first.action != ChangeAction.CREATED if audience.is_staff else first.public_before
            action = ChangeAction.UPDATED if seen_before else ChangeAction.CREATED
            entries.append(Entry(action, slug, changes[-1].at, profile))
        elif audience.is_staff or any(change.public_before or change.public_after for change in changes):
            entries.append(Entry(ChangeAction.DELETED, slug, changes[-1].at, None))
    return entries


class ChangesView(ApiView):
    """GET: created, updated and deleted profiles since a cursor, for incremental sync."""

    cache_params = frozenset({"since", "limit", "lang"})

    def get_queryset(self):
        return profile_graph_queryset(self.audience)

    @extend_schema(
        operation_id="changes_list",
        parameters=[
            OpenApiParameter("since", str, description="The `next` cursor of your last call; omit to start from the beginning."),
            OpenApiParameter("limit", int, description=f"Change rows to read, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT})."),
            LANG,
        ],
        responses=inline_serializer(
            "ChangesPage",
            fields={
                "results": CHANGE_ENTRY.serializer(many=True),
                "next": serializers.CharField(),
                "has_more": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request):
        errors = {}
        since = 0
        cursor = request.query_params.get("since", "")
        if cursor:
            since = decode_cursor(cursor)
            if since is None:
                errors["since"] = [_("Not a cursor of this feed: use the `next` value you were given.")]
        limit = filters.page_size(request.query_params, errors, default=DEFAULT_LIMIT, maximum=MAX_LIMIT, name="limit")
        if errors:
            raise Invalid(_("Some query parameters are not valid."), errors)
        rows = list(ProfileChange.objects.filter(pk__gt=since or 0).order_by("pk")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        slugs = {row.slug for row in rows}
        graphs = {profile.slug: profile for profile in self.get_queryset().filter(slug__in=slugs)} if slugs else {}
        results = CHANGE_ENTRY.build_many(feed_entries(rows, graphs, self.audience), self.reading())
        next_cursor = encode_cursor(rows[-1].pk) if rows else (cursor or encode_cursor(0))
        return Response({"results": results, "next": next_cursor, "has_more": has_more})
