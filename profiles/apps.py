from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("Profiles")

    def ready(self):
        from profiles.accounts import audit
        from registry.infra import page_cache

        audit.connect()
        page_cache.connect()
