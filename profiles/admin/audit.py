"""The audit log (security events), read-only on the desk."""

from django.contrib import admin

from profiles.models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The audit log: editors and superusers read it; nobody adds, edits or deletes an entry."""

    list_display = ["created_at", "kind", "user", "actor", "ip"]
    list_filter = ["kind"]
    search_fields = ["user__username", "actor__username", "ip"]
    list_select_related = ["user", "actor"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "kind", "user", "actor", "ip", "detail"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
