from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from profiles.views import site

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("robots.txt", site.robots_txt, name="robots"),
]
urlpatterns += i18n_patterns(
    path("", include("profiles.urls")),
)
