"""Moderation, written: the audit log, and removing a member from a room."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chatsite import names
from rooms import events, policy
from rooms.errors import ChatError, Code
from rooms.identity import Actor
from rooms.models import AuditEntry, Ban, Presence, Room
from rooms.payloads import timestamp
from rooms.services.presence import presence_remove


def audit(*, actor: Actor, action: str, room: Room | None = None, target: str = "", detail: str = "") -> None:
    """Record a moderator action in the audit log."""
    AuditEntry.objects.create(
        actor=actor.label, action=action, room=room.name if room else "", target=target[:200], detail=detail
    )


def member_kick(*, room: Room, actor: Actor, username: str) -> str:
    """Remove a member from the room; they may not return for KICK_BAN_SECONDS.

    Their sockets get `kicked {room, reason, until}` (`until`: when they may
    come back) and leave the room (staying connected); the room hears
    "<name> was removed". Returns the name.
    """
    policy.require_moderator(actor, room)
    target = Presence.objects.filter(room_id=room.pk, username_key=names.name_key(username)).first()
    if target is None:
        raise ChatError(Code.MEMBER_NOT_FOUND)
    if target.guest_key == actor.guest_key:
        raise ChatError(Code.FORBIDDEN, "You cannot kick yourself.")
    until = timezone.now() + timedelta(seconds=settings.KICK_BAN_SECONDS) if settings.KICK_BAN_SECONDS else None
    with transaction.atomic():
        if until is not None:
            Ban.objects.create(
                guest_key=target.guest_key, room=room, until=until, reason="kicked", created_by=actor.label
            )
        name = presence_remove(room=room, guest_key=target.guest_key, text="{username} was removed")
        kicked = {"room": room.name, "reason": "You were removed from this room by its owner or a moderator."}
        if until is not None:
            kicked["until"] = timestamp(until)  # when they may come back
        events.evict("kicked", kicked, room_id=room.pk, guest_key=target.guest_key)
        audit(actor=actor, action="kick", room=room, target=target.username)
    return name or target.username
