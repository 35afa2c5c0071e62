"""What a removed or banned person's socket is told, field by field: when they may come
back (`until`) and the moderator's own words (`note`), so a page can word both in its
reader's time zone instead of the sentence's UTC."""

from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from rooms import services
from rooms.identity import Actor
from rooms.models import Room
from rooms.tests.admin.steps import guest_of, read_until_closed
from rooms.tests.services.moderation_steps import NOISE
from rooms.tests.support.client import owned_room

pytestmark = pytest.mark.django_db(transaction=True)

STAFF = Actor(guest_key="mod-guest", user_id=None, is_staff=True)


def parse(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@database_sync_to_async
def ban(client_guest: str, *, room: str | None, until: datetime | None, reason: str) -> None:
    where = Room.objects.get(name=room) if room else None
    services.ban_create(actor=STAFF, guest_key=client_guest, room=where, until=until, reason=reason)


async def test_a_kick_says_when_the_member_may_come_back(connect, settings):
    settings.KICK_BAN_SECONDS = 300
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    before = timezone.now()
    await ann.send("kick_member", {"username": "bob"})
    kicked = await bob.expect("kicked", skip=NOISE)
    assert kicked["reason"] == "You were removed from this room by its owner or a moderator."
    assert before + timedelta(seconds=299) <= parse(kicked["until"]) <= timezone.now() + timedelta(seconds=301)
    assert "note" not in kicked  # a kick, not a moderator's ban


async def test_a_kick_without_a_cooling_off_has_no_until(connect, settings):
    settings.KICK_BAN_SECONDS = 0
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    await ann.send("kick_member", {"username": "bob"})
    kicked = await bob.expect("kicked", skip=NOISE)
    assert "until" not in kicked
    assert (await bob.join(code))["room"]["name"] == code  # back at once


async def test_a_room_ban_carries_its_end_and_the_moderators_words(joined):
    bob = await joined("general", "bob")
    until = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    await ban(await guest_of(bob), room="general", until=until, reason="spamming links")
    kicked = await bob.expect("kicked", skip=NOISE)
    assert kicked["room"] == "general"
    assert kicked["until"] == until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert kicked["note"] == "spamming links"
    assert f"until {until:%Y-%m-%d %H:%M} UTC" in kicked["reason"]  # the sentence, for clients that show it as is
    # Coming back is refused with the same two fields.
    await bob.send("join_room", {"room_name": "general"})
    refused = await bob.expect("error", skip=NOISE)
    assert (refused["code"], refused["until"], refused["note"]) == ("banned", kicked["until"], "spamming links")


async def test_a_room_ban_for_ever_has_a_null_until_and_an_empty_note(joined):
    bob = await joined("general", "bob")
    await ban(await guest_of(bob), room="general", until=None, reason="")
    kicked = await bob.expect("kicked", skip=NOISE)
    assert (kicked["until"], kicked["note"]) == (None, "")


async def test_a_site_ban_error_carries_its_end_and_the_moderators_words(joined):
    bob = await joined("general", "bob")
    until = timezone.now().replace(microsecond=0) + timedelta(days=2)
    await ban(await guest_of(bob), room=None, until=until, reason="abuse")
    frames, code = await read_until_closed(bob)
    [error] = [data for event, data in frames if event == "error"]
    assert (error["code"], error["until"], error["note"]) == (
        "banned",
        until.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "abuse",
    )
    assert code == 4003
