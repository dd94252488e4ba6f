"""Evidence records (the sources): the list, the form, and the citation review actions.

Review goes through `history.review_evidence`; a saved or deleted record has the scores
citing it recomputed (`scoring`).
"""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from profiles.admin.base import RevisionedAdmin
from profiles.admin.forms import EvidenceRecordForm
from profiles.models import Claim, EvidenceRecord, ReviewStatus
from profiles.services import history, scoring


@admin.register(EvidenceRecord)
class EvidenceRecordAdmin(RevisionedAdmin, TranslationAdmin):
    form = EvidenceRecordForm
    list_display = ("title", "publisher", "kind", "reliability", "review_status", "visibility", "published_on",
                    "citing_claims")  # fmt: skip
    list_filter = ("review_status", "kind", "reliability", "visibility")
    search_fields = ("title_en", "title_zh_hans", "publisher", "url")
    fields = ("title", "url", "publisher", "published_on", ("kind", "reliability"), "excerpt", "language",
              ("review_status", "visibility"), "loaded_fingerprint")  # fmt: skip
    actions = ["mark_reviewed", "mark_rejected"]
    ordering = ("-created_at", "-id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claims_count=Count("claim_links", distinct=True))

    @admin.display(description=_("cited by claims"), ordering="claims_count")
    def citing_claims(self, record):
        return record.claims_count

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        history.capture(form.instance)
        if change:
            scoring.recompute_for_evidence(form.instance)

    def delete_model(self, request, obj):
        profile_ids = set(Claim.objects.filter(evidence_links__evidence=obj).values_list("profile_id", flat=True))
        super().delete_model(request, obj)
        scoring.recompute_scores(profile_ids)

    def delete_queryset(self, request, queryset):
        for record in queryset:
            self.delete_model(request, record)

    def _review(self, request, queryset, status):
        changed = history.review_evidence(queryset, status, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)s source marked “%(status)s”; the scores citing it are recomputed.",
                "%(count)s sources marked “%(status)s”; the scores citing them are recomputed.",
                changed,
            )
            % {"count": changed, "status": ReviewStatus(status).label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark the selected sources reviewed (citation checked)"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        self._review(request, queryset, ReviewStatus.REVIEWED)

    @admin.action(description=_("Mark the selected sources rejected"), permissions=["change"])
    def mark_rejected(self, request, queryset):
        self._review(request, queryset, ReviewStatus.REJECTED)
