"""/api/: version 1 of the REST API, its OpenAPI document and its docs page."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from profiles.api import changes, errors, importing, views
from profiles.api.parts import PARTS, part_views


class IdConverter:
    """A database id: digits, short enough never to overflow a 64-bit column."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

app_name = "api"
urlpatterns = [
    path("v1/", views.ApiRootView.as_view(), name="root"),
    path("v1/profiles/", views.ProfileListView.as_view(), name="profile-list"),
    path("v1/profiles/import", importing.ImportView.as_view(), name="profile-import"),
    path("v1/profiles/<slug:slug>/", views.ProfileDetailView.as_view(), name="profile-detail"),
    path("v1/confidence-bands/", views.ConfidenceBandsView.as_view(), name="confidence-bands"),
    path("v1/changes/", changes.ChangesView.as_view(), name="changes"),
]
for part in PARTS.values():
    list_view, detail_view = part_views(part)
    urlpatterns += [
        path(f"v1/profiles/<slug:slug>/{part.name}/", list_view.as_view(), name=f"{part.name}-list"),
        path(f"v1/profiles/<slug:slug>/{part.name}/<id:pk>/", detail_view.as_view(), name=f"{part.name}-detail"),
    ]
urlpatterns += [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Anything else under /api/ is a JSON 404, never the site's HTML page.
    re_path(r"^", errors.not_found),
]
