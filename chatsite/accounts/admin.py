"""Accounts in the admin: search and filters, and deactivation that takes effect on open pages at once."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from chatsite.accounts import avatars
from chatsite.accounts.forms import clean_new_username
from chatsite.accounts.models import User
from rooms import services
from rooms.admin.common import run_service
from rooms.identity import actor_for_request


class AccountChangeForm(UserChangeForm):
    """A moderator renaming an account meets the rules a person meets on the profile page."""

    def clean_username(self) -> str:
        return clean_new_username(self.instance, self.cleaned_data["username"])


@admin.register(User)
class ChatsiteUserAdmin(UserAdmin):
    form = AccountChangeForm
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
        """The change form's "Active" box and its name go through the services the action and the profile page use.

        A rename is then seen in every room the account is in, as when its owner renames it.
        """
        renamed = change and "username" in form.changed_data
        activated = change and "is_active" in form.changed_data
        if renamed:
            username, obj.username = obj.username, form.initial["username"]
        if activated:
            active, obj.is_active = obj.is_active, not obj.is_active
        super().save_model(request, obj, form, change)
        actor = actor_for_request(request)
        if activated:
            services.account_set_active(user=obj, actor=actor, active=active)
        if renamed:
            try:
                services.account_rename(user=obj, actor=actor, username=username)
            except ValidationError as error:  # another account took a look-alike since the form was checked
                self.message_user(request, error.messages[0], level=messages.ERROR)
