"""Watchpoints on their own pages: the list by review-by date, and triggering one with evidence.

Triggering goes through `watchpoints.trigger_watchpoint` (the evidence link and the timeline
event); saving a watchpoint is an edit of its profile (`ProfilePartAdmin`).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from profiles.admin.base import ProfilePartAdmin
from profiles.admin.forms import TriggerForm, WatchpointAdminForm
from profiles.models import Watchpoint, WatchpointStatus
from profiles.services import watchpoints


@admin.register(Watchpoint)
class WatchpointAdmin(ProfilePartAdmin):
    form = WatchpointAdminForm
    list_display = ("short_text", "profile", "kind", "status", "review_by", "visibility", "trigger_link")
    list_filter = ("status", "kind", "visibility")
    list_select_related = ("profile",)
    search_fields = ("text_en", "text_zh_hans", "profile__slug", "profile__name_en")
    autocomplete_fields = ("profile",)
    fields = ("profile", ("kind", "status", "review_by", "visibility", "position"), "text", "loaded_version")
    ordering = ("review_by", "id")

    @admin.display(description=_("watchpoint"))
    def short_text(self, watchpoint):
        return str(watchpoint)

    @admin.display(description=_("trigger"))
    def trigger_link(self, watchpoint):
        if watchpoint.status == WatchpointStatus.RESOLVED:
            return "—"
        url = reverse("admin:profiles_watchpoint_trigger", args=[watchpoint.pk])
        return format_html('<a href="{}">{}</a>', url, _("Trigger with evidence…"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/trigger/", view(self.trigger_view), name="profiles_watchpoint_trigger"),
            *super().get_urls(),
        ]

    def trigger_view(self, request, object_id):
        watchpoint = self.get_object(request, unquote(object_id))
        if watchpoint is None:
            raise Http404(_("No such watchpoint."))
        if not self.has_change_permission(request, watchpoint):
            raise PermissionDenied
        form = TriggerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                watchpoints.trigger_watchpoint(
                    watchpoint, form.cleaned_data["evidence"], request.user,
                    note_en=form.cleaned_data["note_en"], note_zh_hans=form.cleaned_data["note_zh_hans"],
                )  # fmt: skip
            except watchpoints.WatchpointError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Watchpoint triggered; the timeline has a new event."))
            return redirect(reverse("admin:profiles_profile_change", args=[quote(watchpoint.profile_id)]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": watchpoint,
            "title": _("Trigger watchpoint"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/profiles/watchpoint/trigger.html", context)
