"""Rooms in the moderator's console: watch, lock, rename, clear and close them, all through the services."""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from rooms import rules, services
from rooms.admin.common import SplitFilter, run_service
from rooms.identity import actor_for_request
from rooms.models import Message, Room


class OpenFilter(SplitFilter):
    title = "status"
    parameter_name = "status"
    matching, others = ("open", "Open"), ("closed", "Closed")

    def condition(self):
        return Q(closed_at__isnull=True)


class RoomForm(forms.ModelForm):
    """The room change form: the same limits the services hold, as form errors rather than a 500."""

    class Meta:
        model = Room
        fields = ["title", "locked", "slow_mode_seconds"]

    def clean_title(self):
        return rules.clean_room_title(self.cleaned_data["title"])

    def clean_slow_mode_seconds(self):
        return rules.clean_slow_mode(self.cleaned_data["slow_mode_seconds"])


class CloseRoomsForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        required=False,
        strip=True,
        help_text='Shown to the members as they are removed. Empty: "closed by a moderator".',
        widget=forms.TextInput(attrs={"size": 60}),
    )


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Rooms are made by people chatting; here moderators watch them, lock, rename, clear and close them."""

    form = RoomForm
    list_display = [
        "name",
        "title",
        "kind",
        "live_members",
        "message_count",
        "created_at",
        "last_active_at",
        "locked",
        "slow_mode_seconds",
        "closed_at",
    ]
    list_filter = ["kind", "locked", OpenFilter]
    search_fields = ["name", "title"]
    fields = ["name", "title", "kind", "locked", "slow_mode_seconds", "created_at", "last_active_at", "closed_at"]
    readonly_fields = ["name", "kind", "created_at", "last_active_at", "closed_at"]
    actions = ["close_rooms", "reopen_rooms", "lock_rooms", "unlock_rooms", "clear_history"]

    def get_queryset(self, request):
        messages_per_room = (
            Message.objects.filter(room=OuterRef("pk"), deleted_at__isnull=True)
            .order_by()
            .values("room")
            .annotate(n=Count("pk"))
            .values("n")
        )
        # Direct conversations are their members' only: staff see a direct message when it is reported.
        return (
            super()
            .get_queryset(request)
            .exclude(kind=Room.Kind.DIRECT)
            .annotate(
                live=Count("presences", distinct=True),
                messages_n=Coalesce(Subquery(messages_per_room, output_field=IntegerField()), 0),
            )
        )

    @admin.display(description="online now", ordering="live")
    def live_members(self, room):
        return room.live

    @admin.display(description="messages", ordering="messages_n")
    def message_count(self, room):
        url = reverse("admin:rooms_message_changelist") + f"?room__id__exact={room.pk}"
        return format_html('<a href="{}">{}</a>', url, room.messages_n)

    def has_add_permission(self, request):
        return False  # rooms are made by people chatting; topic rooms by settings

    def has_delete_permission(self, request, obj=None):
        return False  # closing archives a room and tells its members; see the actions

    def save_model(self, request, obj, form, change):
        actor = actor_for_request(request)
        if "locked" in form.changed_data:
            services.room_set_locked(room=obj, actor=actor, locked=obj.locked)
        if "slow_mode_seconds" in form.changed_data:
            services.room_set_slow_mode(room=obj, actor=actor, seconds=obj.slow_mode_seconds)
        if "title" in form.changed_data:
            services.room_set_title(room=obj, actor=actor, title=obj.title)

    def _confirm(self, request, queryset, *, action: str, title: str, explanation: str, submit: str, form):
        """A confirmation page for an action that cannot be taken back lightly, like Django's delete."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "explanation": explanation,
            "submit": submit,
            "action": action,
            "opts": self.model._meta,
            "rooms": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/rooms/room/confirm_action.html", context)

    @admin.action(description="Close the selected rooms (members are told and removed)", permissions=["change"])
    def close_rooms(self, request, queryset):
        """Ask for the reason members will read, then close."""
        form = CloseRoomsForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            run_service(
                self,
                request,
                queryset,
                lambda room, actor: services.room_close(room=room, actor=actor, reason=reason),
                "Closed",
            )
            return None
        return self._confirm(
            request,
            queryset.filter(closed_at__isnull=True),
            action="close_rooms",
            title="Close rooms",
            explanation=(
                "Everyone in these rooms is told the reason below and removed from the room at once. "
                "The rooms leave the lobby and nobody can join them; their messages are kept, "
                'and "Reopen" brings a room back.'
            ),
            submit="Close the rooms",
            form=form,
        )

    @admin.action(description="Reopen the selected closed rooms", permissions=["change"])
    def reopen_rooms(self, request, queryset):
        run_service(
            self,
            request,
            queryset.filter(closed_at__isnull=False),
            lambda room, actor: services.room_reopen(room=room, actor=actor),
            "Reopened",
        )

    @admin.action(description="Lock the selected rooms (read-only)", permissions=["change"])
    def lock_rooms(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda room, actor: services.room_set_locked(room=room, actor=actor, locked=True),
            "Locked",
        )

    @admin.action(description="Unlock the selected rooms", permissions=["change"])
    def unlock_rooms(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda room, actor: services.room_set_locked(room=room, actor=actor, locked=False),
            "Unlocked",
        )

    @admin.action(description="Clear the history of the selected rooms", permissions=["change"])
    def clear_history(self, request, queryset):
        """Confirm first: every message of the rooms disappears from every open page."""
        if "confirm" in request.POST:
            run_service(
                self,
                request,
                queryset,
                lambda room, actor: services.room_clear_history(room=room, actor=actor),
                "Cleared",
            )
            return None
        return self._confirm(
            request,
            queryset,
            action="clear_history",
            title="Clear history",
            explanation=(
                "Every message of these rooms is removed from every open page and from history at once. "
                "The messages stay in the database, marked removed by a moderator."
            ),
            submit="Clear the history",
            form=forms.Form(),
        )
