"""The inline tables of the desk's pages: a profile's parts (topics, sources, claims, timeline,
watchpoints, briefing, relationships, FAQ) and a claim's evidence links, with their shared mixin.
"""

from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationStackedInline, TranslationTabularInline

from profiles.admin.display import with_grades
from profiles.admin.forms import (
    BilingualForm,
    BriefingForm,
    ClaimForm,
    DeskForm,
    ProfileEvidenceForm,
    RelationshipForm,
    WatchpointForm,
)
from profiles.models import (
    Briefing,
    Claim,
    ClaimEvidence,
    FaqEntry,
    ProfileEvidence,
    ProfileTopic,
    Relationship,
    TimelineEvent,
    Watchpoint,
)

# A profile's parts ----------------------------------------------------------------------

COMPACT_TEXT = {models.TextField: {"widget": AdminTextareaWidget(attrs={"rows": 3})}}


class ProfileTopicInline(admin.TabularInline):
    model = ProfileTopic
    form = DeskForm
    fields = ("name", "position")
    extra = 0
    verbose_name_plural = _("topics (facet)")


class _EvidenceLinkMixin:
    """An inline of links to evidence records, showing each record's citation review."""

    readonly_fields = ("review",)
    autocomplete_fields = ("evidence",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("evidence")

    @admin.display(description=_("citation review"))
    def review(self, link):
        return link.evidence.get_review_status_display() if link.evidence_id else "—"


class ProfileEvidenceInline(_EvidenceLinkMixin, admin.TabularInline):
    model = ProfileEvidence
    form = ProfileEvidenceForm
    fields = ("evidence", "review", "key", "position")
    extra = 0
    verbose_name = _("source")
    verbose_name_plural = _("sources (evidence listed on this profile)")


class ClaimInline(TranslationStackedInline):
    formfield_overrides = COMPACT_TEXT
    model = Claim
    form = ClaimForm
    fieldsets = [
        (None, {"fields": [("section", "visibility", "verified", "position"), "text"]}),
        (_("Confidence"), {"fields": [("computed_score", "grade"), ("score_override", "override_reason"),
                                      "evidence_summary"]}),  # fmt: skip
    ]
    readonly_fields = ("computed_score", "grade", "evidence_summary")
    extra = 0
    show_change_link = True

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    def get_queryset(self, request):
        return with_grades(super().get_queryset(request).annotate(evidence_count=Count("evidence_links")))

    def has_delete_permission(self, request, obj=None):
        # A claim of a profile that has ever been published is retracted with a reason, not deleted.
        return super().has_delete_permission(request, obj) and (obj is None or obj.published_at is None)

    @admin.display(description=_("grade"))
    def grade(self, claim):
        return f"{claim.grade_now} — {claim.band_label}" if claim.pk else "—"

    @admin.display(description=_("evidence"))
    def evidence_summary(self, claim):
        if not claim.pk:
            return _("Save the profile, then add this claim's evidence.")
        url = reverse("admin:profiles_claim_change", args=[claim.pk])
        count = getattr(claim, "evidence_count", None)
        count = claim.evidence_links.count() if count is None else count
        label = ngettext("%(count)s evidence link", "%(count)s evidence links", count) % {"count": count}
        return format_html('{} — <a href="{}">{}</a>', label, url, _("edit the evidence and notes"))


class TimelineEventInline(TranslationStackedInline):
    form = BilingualForm
    formfield_overrides = COMPACT_TEXT
    model = TimelineEvent
    fields = (("date", "kind", "visibility", "position"), "title", "text", "evidence")
    autocomplete_fields = ("evidence",)
    extra = 0


class WatchpointInline(TranslationStackedInline):
    formfield_overrides = COMPACT_TEXT
    model = Watchpoint
    form = WatchpointForm
    fields = (("kind", "status", "review_by", "visibility", "position"), "text", "trigger")
    readonly_fields = ("trigger",)
    extra = 0

    @admin.display(description=_("triggered by"))
    def trigger(self, watchpoint):
        if not watchpoint.pk:
            return "—"
        sources = ", ".join(str(record) for record in watchpoint.triggered_by.all()) or "—"
        url = reverse("admin:profiles_watchpoint_trigger", args=[watchpoint.pk])
        return format_html('{} · <a href="{}">{}</a>', sources, url, _("Trigger with evidence…"))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("triggered_by")


class BriefingInline(TranslationStackedInline):
    model = Briefing
    form = BriefingForm
    fields = ("visibility", "title", "body", "source_notes")
    max_num = 1
    extra = 0
    verbose_name_plural = _("members' briefing")


class RelationshipInline(TranslationStackedInline):
    formfield_overrides = COMPACT_TEXT
    model = Relationship
    form = RelationshipForm
    fk_name = "source"
    fields = (("target", "kind", "verified", "visibility", "position"), "note", "evidence")
    autocomplete_fields = ("target", "evidence")
    extra = 0


class FaqEntryInline(TranslationStackedInline):
    form = BilingualForm
    formfield_overrides = COMPACT_TEXT
    model = FaqEntry
    fields = (("visibility", "position"), "question", "answer")
    extra = 0


# A claim's evidence, on the claim's own page ----------------------------------------------


class ClaimEvidenceInline(_EvidenceLinkMixin, TranslationTabularInline):
    form = BilingualForm
    model = ClaimEvidence
    fields = ("evidence", "review", "stance", "note", "position")
    extra = 1
    verbose_name = _("evidence link")
    verbose_name_plural = _("evidence (each link with its note: the evidence basis)")
