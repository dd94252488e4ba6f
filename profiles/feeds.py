"""The Atom feed of public changes."""

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed


class UpdatesFeed(Feed):
    feed_type = Atom1Feed
    title = "Registry updates"
    link = "/"

    def items(self):
        return []
