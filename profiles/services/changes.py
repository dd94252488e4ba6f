"""The changes feed: one entry per created, updated or deleted profile, for incremental sync.

Every write that changes what a profile shows appends here (the API's `/changes/`, the
public feed and the page cache's invalidation all follow it).
"""

from types import SimpleNamespace

from profiles.models import ChangeAction, ProfileChange
from profiles.rules.visibility import is_public
from registry.infra.generation import invalidate_pages


def change_entry(profile, action, *, public_before):
    """An unsaved changes-feed entry for a profile as it is now."""
    return ProfileChange(
        profile=profile if action != ChangeAction.DELETED else None,
        slug=profile.slug,
        action=action,
        public_before=public_before,
        public_after=is_public(profile) if action != ChangeAction.DELETED else False,
    )


def change_entry_for(*, profile_id, slug, status, action, public_before):
    """`change_entry` from a profile's id, slug and status, for bulk writers that hold rows, not instances."""
    return ProfileChange(
        profile_id=profile_id,
        slug=slug,
        action=action,
        public_before=public_before,
        public_after=is_public(SimpleNamespace(status=status)),
    )


def record_changes(entries):
    """Append entries to the changes feed, in order."""
    entries = list(entries)
    ProfileChange.objects.bulk_create(entries)
    if entries:
        invalidate_pages()  # every recorded change may show on a cached page
