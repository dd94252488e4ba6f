"""The profile list's filters: by grade, stale review, evidence pending review.

Each asks its selector (`browsing` for grades, `dashboard` for staleness and pending evidence).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from profiles.rules import confidence
from profiles.rules.confidence_sql import grade_q
from profiles.selectors import browsing, dashboard
from profiles.selectors.bands import current_bands


class GradeListFilter(admin.SimpleListFilter):
    title = _("confidence grade")
    parameter_name = "grade"

    def lookups(self, request, model_admin):
        self.bands = current_bands()
        return [(grade, browsing.grade_label(grade, self.bands)) for grade in confidence.grades(self.bands)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(grade_q(self.value(), self.bands))
        return queryset


class YesNoFilter(admin.SimpleListFilter):
    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]


class StaleListFilter(YesNoFilter):
    title = _("stale (review older than its time horizon)")
    parameter_name = "stale"

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=dashboard.stale_profiles().values("pk"))
        if self.value() == "no":
            return queryset.exclude(pk__in=dashboard.stale_profiles().values("pk"))
        return queryset


class PendingEvidenceListFilter(YesNoFilter):
    title = _("has evidence pending review")
    parameter_name = "pending_evidence"

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(dashboard.pending_evidence_q())
        if self.value() == "no":
            return queryset.exclude(dashboard.pending_evidence_q())
        return queryset

