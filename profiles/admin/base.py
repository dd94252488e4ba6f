"""The desk's shared admin classes, for how a write is recorded.

RevisionedAdmin: every admin write is one revision. ProfilePartAdmin: a part of a profile
edited on its own page (a claim, a watchpoint); saving it is an edit of its profile.
"""

import reversion
from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import reverse
from modeltranslation.admin import TranslationAdmin

from profiles.services import history


class RevisionedAdmin:
    """Every admin write is one revision, by the user, with the admin's change message.

    Like reversion's VersionAdmin, without its revert-through-the-form views: restoring a
    profile goes through `restore_version`, which keeps the workflow state. The
    revision is managed manually: each write records its final state once
    (`history.profile_saved` captures the whole profile graph after recomputation).
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with history.versioned(actor=request.user, manual=True):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        with history.versioned(actor=request.user, manual=True):
            return super().changelist_view(request, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        with history.versioned(actor=request.user, manual=True):
            return super().delete_view(request, object_id, extra_context)

    def _comment(self, entry):
        if reversion.is_active():
            reversion.set_comment(entry.get_change_message())
        return entry

    def log_addition(self, request, obj, message):
        return self._comment(super().log_addition(request, obj, message))

    def log_change(self, request, obj, message):
        return self._comment(super().log_change(request, obj, message))


class ProfilePartAdmin(RevisionedAdmin, TranslationAdmin):
    """A part of a profile with its own page: saving it is an edit of its profile."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "profile"] if obj is not None else fields

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        history.profile_saved(form.instance.profile, actor=request.user)

    def delete_model(self, request, obj):
        profile = obj.profile
        super().delete_model(request, obj)
        history.profile_saved(profile, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def _back_to_profile(self, request, obj, default):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return default
        return redirect(reverse("admin:profiles_profile_change", args=[quote(obj.profile_id)]))

    def response_change(self, request, obj):
        return self._back_to_profile(request, obj, super().response_change(request, obj))

    def response_add(self, request, obj, post_url_continue=None):
        return self._back_to_profile(request, obj, super().response_add(request, obj, post_url_continue))
