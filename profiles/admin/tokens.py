"""API tokens in the admin: create one (its key is shown once), list, revoke.

Creating goes through `tokens.create_token`, revoking through `tokens.revoke_token`.
The key is shown on the answer to the form that created it, and nowhere else: not in a
message (messages travel in a cookie or the session), not on any later page.
"""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from profiles.accounts import tokens
from profiles.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix_shown", "name", "user", "created_at", "last_used_at", "state")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "user__username")
    ordering = ("-created_at",)
    actions = ["revoke"]
    list_select_related = ("user",)
    autocomplete_fields = ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name")
        return ("user", "name", "prefix_shown", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "prefix_shown", "created_at", "last_used_at", "revoked_at")

    @admin.display(description=_("key"), ordering="prefix")
    def prefix_shown(self, token):
        return f"{token.prefix}…"

    @admin.display(description=_("state"), ordering="revoked_at")
    def state(self, token):
        if token.revoked_at:
            return format_html("<strong>{}</strong> {:%Y-%m-%d %H:%M}", _("revoked"), token.revoked_at)
        return _("active")

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        token, key = tokens.create_token(user=obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        obj._state.adding = False
        obj.key_shown_once = key  # for response_add, in this request's memory only

    def response_add(self, request, obj, post_url_continue=None):
        """The page showing the new key, rendered as the answer to the form: no redirect, no message."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("API token created"),
            "token": obj,
            "key": obj.key_shown_once,
        }
        return TemplateResponse(request, "admin/profiles/apitoken/created.html", context)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.revoke_token(token=token)
            count += 1
        self.message_user(request, _("Revoked %(count)d token(s).") % {"count": count}, messages.SUCCESS)
