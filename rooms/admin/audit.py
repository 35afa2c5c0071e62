"""The audit log in the moderator's console: read-only, even for superusers."""

from django.contrib import admin

from rooms.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "room", "target"]
    list_filter = ["action"]
    search_fields = ["actor", "action", "room", "target", "detail"]
    readonly_fields = ["created_at", "actor", "action", "room", "target", "detail"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
