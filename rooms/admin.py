"""The moderator's console. Every action goes through rooms/services.py, so it
reaches open browsers at once, exactly as the same action by a user would, and
lands in the audit log."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from rooms import services
from rooms.identity import actor_for_request
from rooms.models import CONTROL_CHARS_RE, AuditEntry, Ban, Message, Room
from rooms.protocol import ChatError


def _run(modeladmin, request, objects, action, done: str) -> None:
    """Apply a service to each object; report successes and refusals on the page."""
    actor = actor_for_request(request)
    count = 0
    for obj in objects:
        try:
            action(obj, actor)
            count += 1
        except ChatError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
    if count:
        modeladmin.message_user(request, f"{done}: {count}.", messages.SUCCESS)


class OpenFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


class RoomForm(forms.ModelForm):
    """The room change form: the same limits the services hold, as form errors rather than a 500."""

    class Meta:
        model = Room
        fields = ["title", "locked", "slow_mode_seconds"]

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title or CONTROL_CHARS_RE.search(title):
            raise forms.ValidationError("Give the room a title, without control characters.")
        return title

    def clean_slow_mode_seconds(self):
        seconds = self.cleaned_data["slow_mode_seconds"]
        if seconds > settings.SLOW_MODE_MAX_SECONDS:
            raise forms.ValidationError(f"Slow mode takes 0 to {settings.SLOW_MODE_MAX_SECONDS} seconds.")
        return seconds


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
        return (
            super()
            .get_queryset(request)
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
            _run(
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
        _run(
            self,
            request,
            queryset.filter(closed_at__isnull=False),
            lambda room, actor: services.room_reopen(room=room, actor=actor),
            "Reopened",
        )

    @admin.action(description="Lock the selected rooms (read-only)", permissions=["change"])
    def lock_rooms(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda room, actor: services.room_set_locked(room=room, actor=actor, locked=True),
            "Locked",
        )

    @admin.action(description="Unlock the selected rooms", permissions=["change"])
    def unlock_rooms(self, request, queryset):
        _run(
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
            _run(
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


class DeletedFilter(admin.SimpleListFilter):
    title = "removed"
    parameter_name = "removed"

    def lookups(self, request, model_admin):
        return [("no", "Visible"), ("yes", "Removed")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages are evidence: read-only here. Removing one is soft, live and audited."""

    list_display = ["id", "room", "username", "excerpt", "created_at", "edited_at", "removed", "ban_author"]
    list_filter = [DeletedFilter, "room__kind", "created_at"]
    list_select_related = ["room"]
    search_fields = ["text", "username", "room__name", "author_key"]
    readonly_fields = [
        "room",
        "seq",
        "username",
        "author_key",
        "author_user",
        "ban_author",
        "text",
        "client_id",
        "created_at",
        "edited_at",
        "deleted_at",
        "deleted_by",
    ]
    actions = ["remove_messages", "ban_authors_from_room", "ban_authors_from_site"]
    date_hierarchy = "created_at"

    @admin.display(description="text")
    def excerpt(self, message):
        return message.text if len(message.text) <= 80 else message.text[:79] + "…"

    @admin.display(description="removed", boolean=True)
    def removed(self, message):
        return message.deleted_at is not None

    @admin.display(description="ban")
    def ban_author(self, message):
        """A link to the ban form, filled in with this author's guest id (and account) and room.

        A guest has no name a moderator could type: the guest id is the only
        handle on them, and this is where a moderator meets it.
        """
        params = {"guest_key": message.author_key, "room": message.room_id, "reason": f"message {message.pk}"}
        if message.author_user_id:
            params["user"] = message.author_user_id
        url = reverse("admin:rooms_ban_add") + "?" + urlencode(params)
        return format_html('<a href="{}" class="ban-author">ban {}…</a>', url, message.username)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # nothing here is the moderator's to rewrite; there is no save to bypass the services

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.deleted_at is not None:
            return False  # already removed
        return super().has_delete_permission(request, obj)

    def has_ban_permission(self, request):
        return request.user.has_perm("rooms.add_ban")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # removal is soft, live and audited: see remove_messages
        return actions

    def delete_model(self, request, obj):
        try:
            services.message_delete(message_id=obj.pk, actor=actor_for_request(request))
        except ChatError as error:  # removed by someone else a moment ago
            self.message_user(request, f"{obj}: {error.message}", messages.WARNING)

    def delete_queryset(self, request, queryset):
        self.remove_messages(request, queryset)

    @admin.action(description="Remove the selected messages (disappear live)", permissions=["delete"])
    def remove_messages(self, request, queryset):
        _run(
            self,
            request,
            queryset.filter(deleted_at__isnull=True),
            lambda message, actor: services.message_delete(message_id=message.pk, actor=actor),
            "Removed",
        )

    @admin.action(description="Ban the authors from those rooms for 24 hours", permissions=["ban"])
    def ban_authors_from_room(self, request, queryset):
        until = timezone.now() + timedelta(hours=24)
        _run(
            self,
            request,
            _one_per(
                queryset.select_related("room").order_by("pk"), lambda m: (m.author_key, m.author_user_id, m.room_id)
            ),
            lambda m, actor: services.ban_create(
                actor=actor,
                guest_key=m.author_key,
                user_id=m.author_user_id,
                room=m.room,
                until=until,
                reason=_ban_reason(m),
            ),
            "Banned",
        )

    @admin.action(description="Ban the authors from the whole site", permissions=["ban"])
    def ban_authors_from_site(self, request, queryset):
        _run(
            self,
            request,
            _one_per(queryset.order_by("pk"), lambda m: (m.author_key, m.author_user_id)),
            lambda m, actor: services.ban_create(
                actor=actor, guest_key=m.author_key, user_id=m.author_user_id, reason=_ban_reason(m)
            ),
            "Banned",
        )


def _one_per(messages, key) -> list[Message]:
    """The earliest message of each author (and room, if the key says so): one ban each."""
    seen: dict = {}
    for message in messages:
        seen.setdefault(key(message), message)
    return list(seen.values())


def _ban_reason(message: Message) -> str:
    """What the banned person is told: which message it was about."""
    excerpt = message.text if len(message.text) <= 60 else message.text[:59] + "…"
    return f"message {message.pk}: {excerpt}"


class BanScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("site", "Site-wide"), ("room", "One room")]

    def queryset(self, request, queryset):
        if self.value() == "site":
            return queryset.filter(room__isnull=True)
        if self.value() == "room":
            return queryset.filter(room__isnull=False)
        return queryset


class BanActiveFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "In force"), ("no", "Expired")]

    def queryset(self, request, queryset):
        current = Q(until__isnull=True) | Q(until__gt=timezone.now())
        if self.value() == "yes":
            return queryset.filter(current)
        if self.value() == "no":
            return queryset.exclude(current)
        return queryset


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    """Bans are made here (or from a message's "ban" link) and lifted by deleting them.

    A ban is never edited in place: a change would have to evict people again
    or let them back silently. Lift it and ban again instead.
    """

    list_display = ["__str__", "room", "until", "reason", "created_by", "created_at", "active"]
    list_filter = [BanActiveFilter, BanScopeFilter]
    list_select_related = ["room", "user"]
    search_fields = ["guest_key", "user__username", "reason", "room__name"]
    fields = ["guest_key", "user", "room", "until", "reason"]
    raw_id_fields = ["user", "room"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "guest_key":
            field.help_text = 'A guest\'s session id. To find it, open one of their messages and use its "ban" link.'
        return field

    @admin.display(boolean=True, description="in force")
    def active(self, ban):
        return ban.until is None or ban.until > timezone.now()

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        ban = services.ban_create(
            actor=actor_for_request(request),
            guest_key=obj.guest_key,
            user_id=obj.user_id,
            room=obj.room,
            until=obj.until,
            reason=obj.reason,
        )
        obj.pk, obj.created_by, obj.created_at = ban.pk, ban.created_by, ban.created_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.ban_lift(ban=obj, actor=actor_for_request(request))

    def delete_queryset(self, request, queryset):
        actor = actor_for_request(request)
        for ban in queryset:
            services.ban_lift(ban=ban, actor=actor)


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
