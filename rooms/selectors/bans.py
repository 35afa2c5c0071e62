"""Bans, read: which bans are in force, and the one keeping someone out."""

from datetime import datetime
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from rooms.identity import Actor
from rooms.models import Ban, Room


def in_force(now: datetime | None = None) -> Q:
    """Bans that have not run out (by `now`, the present if not given): for ever, or until a time still ahead."""
    return Q(until__isnull=True) | Q(until__gt=now or timezone.now())


def bans_against(*, actor: Actor, now: datetime | None = None):
    """The bans in force against this guest or user, anywhere (a room's, or the site's with `room` empty)."""
    who = Q(guest_key=actor.guest_key)
    if actor.user_id is not None:
        who |= Q(user_id=actor.user_id)
    return Ban.objects.filter(who, in_force(now))


def bans_keeping_out(*, actor: Actor, room: Any, now: datetime | None = None):
    """The bans in force keeping this guest or user out of `room` (a Room, an OuterRef to one, or None: the site),
    the one that lasts longest first."""
    where = Q(room__isnull=True) | Q(room=room) if room is not None else Q(room__isnull=True)
    # The ban that lasts longest (for ever first), so `until` tells the truth
    # when several apply; databases disagree on where NULL sorts, so say it.
    return bans_against(actor=actor, now=now).filter(where).order_by(F("until").desc(nulls_first=True))


def active_ban(*, actor: Actor, room: Room | None) -> Ban | None:
    """The ban, if any, keeping this guest or user out of `room` (or out of the site)."""
    return bans_keeping_out(actor=actor, room=room).first()
