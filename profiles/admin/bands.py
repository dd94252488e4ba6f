"""The confidence band table: one page showing the table, edited and saved whole.

Saved through `replace_band_table` (which checks the table and recomputes every score) or not at all.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from profiles.admin.forms import BandRowForm, BandTableFormSet
from profiles.models import ConfidenceBand
from profiles.rules import confidence
from profiles.services.band_table import replace_band_table


@admin.register(ConfidenceBand)
class ConfidenceBandAdmin(admin.ModelAdmin):
    """The band table, edited as one table: saved whole through `replace_band_table` or not at all."""

    def has_add_permission(self, request):
        return False  # rows are added in the table itself

    def has_delete_permission(self, request, obj=None):
        return False  # rows are deleted in the table itself

    def can_edit_table(self, request):
        return request.user.has_perms(
            ["profiles.add_confidenceband", "profiles.change_confidenceband", "profiles.delete_confidenceband"]
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:profiles_confidenceband_changelist")

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        can_edit = self.can_edit_table(request)
        table_errors = []
        if request.method == "POST":
            if not can_edit:
                raise PermissionDenied
            formset = BandTableFormSet(request.POST, prefix="bands")
            if formset.is_valid():
                rows = [form.cleaned_data for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
                try:
                    changed = replace_band_table(rows)
                except confidence.BandTableError as exc:
                    table_errors = exc.problems
                else:
                    messages.success(
                        request,
                        _("The band table is saved (%(count)s bands); every score has been recomputed.")
                        % {"count": len(changed)},
                    )
                    return redirect("admin:profiles_confidenceband_changelist")
        else:
            initial = [
                {name: getattr(band, name) for name in BandRowForm.base_fields}
                for band in ConfidenceBand.objects.order_by("-lower")
            ]
            formset = BandTableFormSet(prefix="bands", initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Confidence bands"),
            "formset": formset,
            "bands": ConfidenceBand.objects.order_by("-lower"),
            "can_edit": can_edit,
            "table_errors": table_errors,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/profiles/confidenceband/band_table.html", context)
