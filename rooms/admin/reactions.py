"""Reactions in the moderator's console: read-only; removing one goes through the service (live, audited)."""

from django.contrib import admin, messages

from rooms import services
from rooms.admin.common import run_service
from rooms.errors import ChatError
from rooms.identity import actor_for_request
from rooms.models import Reaction


def _remove(reaction: Reaction, actor) -> None:
    services.reaction_remove(
        actor=actor, message_id=reaction.message_id, emoji=reaction.emoji, person_key=reaction.person_key
    )


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    """Who reacted with what; a moderator removes a reaction and every open page shows it gone."""

    list_display = ["id", "emoji", "username", "message", "room", "created_at"]
    list_select_related = ["message__room"]
    list_filter = ["created_at"]
    search_fields = ["username", "emoji", "person_key", "message__text", "message__room__name"]
    readonly_fields = ["message", "emoji", "username", "person_key", "created_at"]
    actions = ["remove_reactions"]

    @admin.display(description="room")
    def room(self, reaction):
        return reaction.message.room

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # through the service, live and audited: remove_reactions
        return actions

    def delete_model(self, request, obj):
        try:
            _remove(obj, actor_for_request(request))
        except ChatError as error:  # its message was removed a moment ago
            self.message_user(request, f"{obj}: {error.message}", messages.WARNING)

    def delete_queryset(self, request, queryset):
        self.remove_reactions(request, queryset)

    @admin.action(description="Remove the selected reactions (disappear live)", permissions=["delete"])
    def remove_reactions(self, request, queryset):
        run_service(self, request, queryset.order_by("pk"), _remove, "Removed")
