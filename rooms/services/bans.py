"""Bans, written: banning a guest or a user from a room or the site, and lifting a ban."""

from datetime import datetime

from django.db import transaction

from rooms import events, policy
from rooms.errors import ChatError, Close, Code
from rooms.identity import Actor
from rooms.models import Ban, Room
from rooms.payloads import timestamp
from rooms.services.moderation import audit
from rooms.services.presence import presence_remove


def banned_error(ban: Ban) -> ChatError:
    """What a banned person is told: a sentence (its time in UTC), and for a page to
    word in its own reader's time zone the ban's end (`until`) and the moderator's
    reason (`note`) on their own."""
    where = "this room" if ban.room_id else "chatsite"
    until = f" until {ban.until:%Y-%m-%d %H:%M} UTC" if ban.until else ""
    reason = f" ({ban.reason})" if ban.reason else ""
    message = f"You are banned from {where}{until}{reason}."
    return ChatError(Code.BANNED, message, until=timestamp(ban.until), note=ban.reason)


def ban_create(
    *,
    actor: Actor,
    guest_key: str = "",
    user_id: int | None = None,
    room: Room | None = None,
    until: datetime | None = None,
    reason: str = "",
) -> Ban:
    """Ban a guest or a user from one room or the whole site (staff), effective at once.

    A room ban removes them from that room (`kicked`, with the ban's `until`
    and `note`); a site ban also closes
    every socket of theirs after `error banned` (close code 4003, so clients
    do not reconnect). Their later joins are `banned`.
    """
    policy.require_staff(actor, "Only moderators can ban.")
    ban = Ban(guest_key=guest_key, user_id=user_id, room=room, until=until, reason=reason, created_by=actor.label)
    ban.full_clean()
    with transaction.atomic():
        ban.save()
        rooms = [room] if room else list(Room.objects.filter(presences__guest_key=guest_key)) if guest_key else []
        for each in rooms:
            presence_remove(room=each, guest_key=guest_key, text="{username} was removed")
        notice = banned_error(ban)
        if room is not None:
            events.evict(
                "kicked",
                {"room": room.name, "reason": notice.message, **notice.extra},  # until, note
                room_id=room.pk,
                guest_key=guest_key or None,
                user_id=user_id,
            )
        else:
            events.evict(
                "error", notice.as_data(), guest_key=guest_key or None, user_id=user_id, close_code=Close.BANNED
            )
        audit(actor=actor, action="ban", room=room, target=str(ban), detail=reason)
    return ban


def ban_lift(*, ban: Ban, actor: Actor) -> None:
    """Lift a ban (staff)."""
    policy.require_staff(actor, "Only moderators can lift bans.")
    with transaction.atomic():
        audit(actor=actor, action="unban", room=ban.room, target=str(ban))
        ban.delete()
