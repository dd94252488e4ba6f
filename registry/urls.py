from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from profiles.accounts import views as accounts
from profiles.web.sitemaps import SITEMAPS
from profiles.web.views import site

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("profiles.api.urls")),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("robots.txt", site.robots_txt, name="robots"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
urlpatterns += i18n_patterns(
    path("", include("profiles.web.urls")),
)

handler404 = site.page_not_found
handler500 = site.server_error
handler503 = site.service_unavailable  # a lost database (registry.infra.middleware)
