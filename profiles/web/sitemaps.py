"""The sitemap: public profiles and the site's fixed pages, in every language.

Each URL lists its other-language versions as hreflang alternates. Profiles are
the ones the visibility policy shows anonymous readers: never a draft, a
profile in review or an archived one. One query, whatever the number of profiles.
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from profiles.rules.visibility import ANONYMOUS, visible_profiles


class ProfileSitemap(Sitemap):
    i18n = True
    alternates = True
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return visible_profiles(ANONYMOUS).only("pk", "slug", "updated_at").order_by("slug")

    def lastmod(self, profile):
        return profile.updated_at


class SitePageSitemap(Sitemap):
    """The home page, the profile list and the methodology."""

    i18n = True
    alternates = True
    changefreq = "daily"
    priority = 0.5

    def items(self):
        return ["profiles:home", "profiles:list", "profiles:methodology"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"pages": SitePageSitemap, "profiles": ProfileSitemap}
