"""Accounts in the admin: search and filters, and deactivation that takes effect on open pages at once."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.html import format_html

from chatsite.accounts import avatars
from chatsite.accounts.models import User
from rooms import services
from rooms.admin.common import run_service
from rooms.identity import actor_for_request


@admin.register(User)
class ChatsiteUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("-date_joined",)
    actions = ["deactivate", "reactivate", "clear_profile"]
    readonly_fields = ("avatar_picture",)
    fieldsets = (*UserAdmin.fieldsets, ("Profile", {"fields": ("about", "avatar_picture")}))

    @admin.display(description="Avatar")
    def avatar_picture(self, user):
        url = avatars.avatar_url(user.avatar, avatars.LARGE)
        return format_html('<img src="{}" alt="" width="128" height="128">', url) if url else "none (initials)"

    @admin.action(description="Remove the avatar and about line of the selected accounts")
    def clear_profile(self, request, queryset):
        run_service(
            self, request, queryset, lambda user, actor: services.profile_clear(user=user, actor=actor), "Cleared"
        )

    @admin.action(description="Deactivate the selected accounts (logs them out everywhere)")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, active=False)

    @admin.action(description="Reactivate the selected accounts")
    def reactivate(self, request, queryset):
        self._set_active(request, queryset, active=True)

    def _set_active(self, request, queryset, *, active: bool) -> None:
        def apply(user, actor):
            services.account_set_active(user=user, actor=actor, active=active)

        run_service(self, request, queryset, apply, "Reactivated" if active else "Deactivated")

    def save_model(self, request, obj, form, change):
        """The change form's "Active" box goes through the same service as the action."""
        if change and "is_active" in form.changed_data:
            active, obj.is_active = obj.is_active, not obj.is_active
            super().save_model(request, obj, form, change)
            services.account_set_active(user=obj, actor=actor_for_request(request), active=active)
        else:
            super().save_model(request, obj, form, change)
