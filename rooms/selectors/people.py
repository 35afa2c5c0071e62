"""What chatsite holds about one person: read for them ("download my data"), or for others (a profile card)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from chatsite.accounts import avatars
from chatsite.names import name_key
from rooms.errors import ChatError, Code
from rooms.identity import ACCOUNT_PREFIX, Actor, is_account_key
from rooms.models import Message, Presence, Reaction, Room
from rooms.payloads import author_token, avatar_url, timestamp


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
            "about": user.about,
            "avatar": avatars.avatar_url(user.avatar, avatars.LARGE),
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


def profile_card(*, room: Room, username: str | None = None, message_id: int | None = None) -> dict[str, Any]:
    """What a profile card shows of a member of `room` (by name) or of the author of one of its messages.

    Only people the asker can already see there: someone present now, or the
    author of a message still shown in the room. An account shows its about
    line, avatar and when it joined; a guest, only the name they go by.
    Raises ChatError (member_not_found, message_not_found) otherwise.
    """
    user, present = None, False
    if message_id is not None:
        message = (
            Message.objects.filter(pk=message_id, room=room, deleted_at__isnull=True)
            .select_related("author_user")
            .first()
        )
        if message is None:
            raise ChatError(Code.MESSAGE_NOT_FOUND, "That message is not in this room.")
        name, user, key = message.username, message.author_user, message.author_key
        present = Presence.objects.filter(room=room, guest_key=message.author_key).exists()
    else:
        presence = Presence.objects.filter(room=room, username_key=name_key(username or "")).first()
        if presence is None:
            raise ChatError(Code.MEMBER_NOT_FOUND, f"Nobody called {username} is in this room.")
        name, present, key = presence.username, True, presence.guest_key
        if is_account_key(presence.guest_key):
            user = get_user_model().objects.filter(pk=presence.guest_key.removeprefix(ACCOUNT_PREFIX)).first()
    card: dict[str, Any] = {
        "room": room.name,
        "username": name,
        "author": author_token(key),  # as on their messages: the page knows whom it blocked
        "account": user is not None,
        "present": present,
    }
    if user is not None:
        card.update(
            account_name=user.get_username(),
            about=user.about,
            avatar=avatar_url(user.avatar),
            avatar_large=avatars.avatar_url(user.avatar, avatars.LARGE),
            joined=timestamp(user.date_joined),
        )
    if message_id is not None:
        card["message_id"] = message_id
    return card
