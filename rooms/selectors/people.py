"""What chatsite holds about one person, read for them: "download my data"."""

from typing import Any

from django.utils import timezone

from rooms.identity import Actor
from rooms.models import Message, Reaction, Room
from rooms.payloads import timestamp


def person_data(*, actor: Actor, user) -> dict[str, Any]:
    """The account, the rooms it owns, every message it wrote (removed ones too, marked) and its reactions, as plain data.

    Only what is theirs: no one else's messages, no other member's name.
    """
    messages = Message.objects.filter(author_key=actor.guest_key).select_related("room").order_by("room__key", "seq")
    return {
        "exported_at": timestamp(timezone.now()),
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "date_joined": timestamp(user.date_joined),
            "last_login": timestamp(user.last_login),
        },
        "rooms_owned": [
            {"name": room.name, "title": room.title, "kind": room.kind, "created_at": timestamp(room.created_at)}
            for room in Room.objects.filter(owner_key=actor.guest_key).order_by("key")
        ],
        "messages": [
            {
                "room": message.room.name,
                "id": message.pk,
                "name_shown": message.username,
                "text": message.text,
                "sent_at": timestamp(message.created_at),
                "edited_at": timestamp(message.edited_at),
                "removed_at": timestamp(message.deleted_at),
            }
            for message in messages.iterator()
        ],
        # Which message each reaction is on, by room and id: not the message's text, which may be someone else's.
        "reactions": [
            {
                "room": reaction.message.room.name,
                "message_id": reaction.message_id,
                "emoji": reaction.emoji,
                "at": timestamp(reaction.created_at),
            }
            for reaction in Reaction.objects.filter(person_key=actor.guest_key)
            .select_related("message__room")
            .order_by("pk")
            .iterator()
        ],
    }
