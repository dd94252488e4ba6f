from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from registry.infra.generation import connect


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("Profiles")

    def ready(self):
        from profiles import parts
        from profiles.accounts import audit
        from profiles.models import ConfidenceBand, EvidenceRecord, Profile

        audit.connect()
        # Every write to what a page shows makes the cached pages stale. Deletes are covered
        # for profiles, sources and bands; a deleted part comes with an edit of its profile
        # (saved, and entered in the changes feed, which invalidates too). Parts get no
        # `post_delete` receiver on purpose: one would stop Django from deleting their rows
        # in one query.
        connect(
            saved=(*parts.GRAPH_MODELS, EvidenceRecord, ConfidenceBand),
            deleted=(Profile, EvidenceRecord, ConfidenceBand),
            links=parts.evidence_links(),
        )
