"""The Atom feed of public changes, newest first.

The feed is the same for everyone: it is read by feed readers and caches that
cannot tell a member from a reader, so it is always built for the anonymous
audience, whoever asks. An entry is either a profile (its public name and
summary, dated by its last update) or a public "profile update" timeline event
of a published profile. Two queries, whatever the number of entries.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from profiles.models import TimelineKind
from profiles.rules.visibility import ANONYMOUS, visible_profiles, visible_timeline

FEED_SIZE = 50


@dataclass(frozen=True)
class FeedEntry:
    title: str
    summary: str
    link: str
    guid: str
    updated: datetime
    published: datetime | None = None
    categories: tuple = field(default=())


def _at_midnight(day):
    return datetime.combine(day, time.min, tzinfo=UTC)


def public_updates(request, *, limit=FEED_SIZE):
    """The newest public changes as feed entries, links absolute in the active language."""
    profiles = visible_profiles(ANONYMOUS).order_by("-updated_at", "-pk")[:limit]
    events = (
        visible_timeline(ANONYMOUS)
        .filter(
            kind=TimelineKind.PROFILE_UPDATE,
            profile__in=visible_profiles(ANONYMOUS),
            date__lte=timezone.now().date(),  # a change that has not happened yet is not news
        )
        .select_related("profile")
        .order_by("-date", "-position", "-pk")[:limit]
    )
    entries = []
    for profile in profiles:
        link = request.build_absolute_uri(profile.get_absolute_url())
        entries.append(
            FeedEntry(
                title=profile.name,
                summary=profile.summary,
                link=link,
                guid=link,
                updated=profile.updated_at,
                published=profile.published_at,
                categories=tuple(str(c) for c in (profile.get_kind_display(), profile.category) if c),
            )
        )
    for event in events:
        profile = event.profile
        link = request.build_absolute_uri(profile.get_absolute_url())
        entries.append(
            FeedEntry(
                title=f"{profile.name}: {event.title}",
                summary=event.text or profile.summary,
                link=f"{link}#timeline",
                guid=f"{link}#update-{event.pk}",
                updated=_at_midnight(event.date),
                published=_at_midnight(event.date),
                categories=(str(event.get_kind_display()),),
            )
        )
    entries.sort(key=lambda entry: entry.updated, reverse=True)
    return entries[:limit]


class UpdatesFeed(Feed):
    feed_type = Atom1Feed
    title = _("Infrastructure Intelligence Registry: updates")
    subtitle = _("Public profiles as they are published and revised, newest first.")

    def get_object(self, request, *args, **kwargs):
        return request  # items need it to build absolute links; the Feed instance is shared

    def link(self):
        return reverse("profiles:home")

    def items(self, request):
        return public_updates(request)

    def item_title(self, entry):
        return entry.title  # Atom titles are text: the XML writer escapes them once

    def item_description(self, entry):
        return escape(entry.summary)  # Atom <summary type="html">

    def item_link(self, entry):
        return entry.link

    def item_guid(self, entry):
        return entry.guid

    item_guid_is_permalink = False

    def item_updateddate(self, entry):
        return entry.updated

    def item_pubdate(self, entry):
        return entry.published

    def item_categories(self, entry):
        return entry.categories
