"""Messages, written after posting: editing, removing, and the typing notice."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rooms import events, policy, rules
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import Attachment, LinkPreview, Message, Reaction, Room
from rooms.payloads import timestamp
from rooms.services.attachments import attachments_remove
from rooms.services.changes import next_change_seq
from rooms.services.moderation import audit
from rooms.services.previews import preview_edited, previews_remove
from rooms.services.rule import apply


def _message_for_update(message_id: int, room_id: int | None) -> Message:
    query = Message.objects.select_for_update().select_related("room").filter(pk=message_id, deleted_at__isnull=True)
    if room_id is not None:
        query = query.filter(room_id=room_id)
    message = query.first()
    if message is None:
        raise ChatError(Code.MESSAGE_NOT_FOUND)
    return message


def message_edit(*, message_id: int, room: Room, actor: Actor, text: str) -> Message:
    """Change the text of one's own message within EDIT_WINDOW_SECONDS.

    The room hears `message_updated {id, room, text, edited_at}`, and a page
    that was away hears it when it resumes (rooms/services/changes.py); a new
    first link takes the old card away (`preview` null) and fetches its own. Someone
    else's message is `forbidden`, whatever display name they use.
    """
    text = apply(rules.clean_message_text, text)
    with transaction.atomic():
        change = next_change_seq(room.pk)  # the room's row first, then the message's, as every change
        message = _message_for_update(message_id, room.pk)
        if not policy.is_author(actor, message):
            raise ChatError(Code.FORBIDDEN, "You can only edit your own messages.")
        if timezone.now() - message.created_at > timedelta(seconds=settings.EDIT_WINDOW_SECONDS):
            raise ChatError(Code.EDIT_WINDOW_CLOSED)
        old_text = message.text
        message.text, message.edited_at, message.reactions_seq = text, timezone.now(), change
        message.save(update_fields=["text", "edited_at", "reactions_seq"])
        events.to_room(
            room.pk,
            "message_updated",
            {"id": message.pk, "room": room.name, "text": text, "edited_at": timestamp(message.edited_at)},
        )
        preview_edited(message=message, old_text=old_text)  # another first link: another card
    return message


def message_delete(*, message_id: int, actor: Actor, room: Room | None = None) -> Message:
    """Remove a message: its author, the room's owner or staff may.

    It stays out of history from now on, its reactions, attachments and link card are deleted (replies
    keep quoting it, as "message removed"), and every open page hears
    `message_deleted {id, room, by}` (`by` is "author", "owner" or
    "moderator", so pages can show "removed by a moderator").
    """
    with transaction.atomic():
        room_id = room.pk if room else Message.objects.filter(pk=message_id).values_list("room_id", flat=True).first()
        if room_id is None:
            raise ChatError(Code.MESSAGE_NOT_FOUND)
        change = next_change_seq(room_id)  # the room's row first, then the message's, as every change
        message = _message_for_update(message_id, room_id)
        if policy.is_author(actor, message):
            by = "author"
        elif policy.can_moderate(actor, message.room):
            by = "moderator" if actor.is_staff else "owner"
        else:
            raise ChatError(Code.FORBIDDEN, "You can only delete your own messages.")
        message.deleted_at, message.deleted_by, message.reactions_seq = timezone.now(), by, change
        message.save(update_fields=["deleted_at", "deleted_by", "reactions_seq"])
        Reaction.objects.filter(message=message).delete()  # reactions go with their message
        attachments_remove(queryset=Attachment.objects.filter(message=message))  # and its files, from storage too
        previews_remove(queryset=LinkPreview.objects.filter(message=message))  # and its link's card and picture
        events.to_room(message.room_id, "message_deleted", {"id": message.pk, "room": message.room.name, "by": by})
        if by != "author":
            audit(
                actor=actor,
                action="delete_message",
                room=message.room,
                target=f"message {message.pk}",
                detail=message.text,
            )
    return message


def typing_notify(*, room: Room, actor: Actor, username: str) -> None:
    """Tell the others in the room that `username` is typing. Never stored."""
    events.to_room(room.pk, "typing", {"room": room.name, "username": username}, exclude=actor.guest_key)
