from django.urls import path

from profiles.web.feeds import UpdatesFeed
from profiles.web.views import browse, profile, site

app_name = "profiles"
urlpatterns = [
    path("", browse.home, name="home"),
    path("profiles/", browse.profile_list, name="list"),
    path("profiles/<slug:slug>/", profile.profile_detail, name="detail"),
    path("facets/<str:facet>/<str:value>/", browse.facet, name="facet"),
    path("methodology/", site.methodology, name="methodology"),
    path("feeds/updates.atom", UpdatesFeed(), name="feed"),
]
