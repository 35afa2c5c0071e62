"""Messages in the moderator's console: evidence, read-only; removal and bans go through the services."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from rooms import services
from rooms.admin.common import SplitFilter, run_service
from rooms.errors import ChatError
from rooms.identity import actor_for_request
from rooms.models import Message, Room
from rooms.payloads import attachment_data


class DeletedFilter(SplitFilter):
    title = "removed"
    parameter_name = "removed"
    matching, others = ("no", "Visible"), ("yes", "Removed")

    def condition(self):
        return Q(deleted_at__isnull=True)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages are evidence: read-only here. Removing one is soft, live and audited."""

    list_display = ["id", "room", "username", "excerpt", "created_at", "edited_at", "removed", "ban_author"]
    list_filter = [DeletedFilter, "room__kind", "created_at"]
    list_select_related = ["room"]
    search_fields = ["text", "username", "room__name", "author_key"]

    def get_queryset(self, request):
        # Direct conversations are their members' only: staff see a direct message when it is reported.
        return super().get_queryset(request).exclude(room__kind=Room.Kind.DIRECT)

    readonly_fields = [
        "room",
        "seq",
        "username",
        "author_key",
        "author_user",
        "ban_author",
        "text",
        "files",
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

    @admin.display(description="files")
    def files(self, message):
        """The message's attachments, each a link to it (thumbnails for pictures): what a moderator judges."""
        shown = [attachment_data(a) for a in message.attachments.order_by("id")]
        if not shown:
            return "—"
        return format_html_join(
            "",
            '<p class="attachment"><a href="{}">{}</a> ({}, {} bytes){}</p>',
            (
                (
                    a["url"],
                    a["name"],
                    a["kind"],
                    a["size"],
                    format_html(' <img src="{}" width="{}" height="{}" alt="">', *thumb.values())
                    if (thumb := a.get("thumb"))
                    else "",
                )
                for a in shown
            ),
        )

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
        run_service(
            self,
            request,
            queryset.filter(deleted_at__isnull=True),
            lambda message, actor: services.message_delete(message_id=message.pk, actor=actor),
            "Removed",
        )

    @admin.action(description="Ban the authors from those rooms for 24 hours", permissions=["ban"])
    def ban_authors_from_room(self, request, queryset):
        until = timezone.now() + timedelta(hours=24)
        run_service(
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
        run_service(
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
