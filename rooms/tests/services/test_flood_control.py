"""Flood control, code guessing and bans at the door, driven through the consumer."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from rooms.models import Ban
from rooms.tests.services.moderation_steps import NOISE
from rooms.tests.support.client import owned_room

pytestmark = pytest.mark.django_db(transaction=True)


# --- flood control --------------------------------------------------------------------


async def test_message_bucket_refuses_a_burst_and_refills(connect, settings):
    settings.RATE_LIMIT_BURST = 3
    settings.RATE_LIMIT_PER_SECOND = 2
    ann = await connect(username="ann")
    await ann.join("general")
    for i in range(3):
        await ann.say(f"burst {i}")
    await ann.send("send_message", {"text": "one too many", "client_id": "c4"})
    error = await ann.expect("error", skip=NOISE)
    assert error["code"] == "rate_limited"
    assert error["client_id"] == "c4"
    assert 0 < error["retry_after"] <= 0.5
    await asyncio.sleep(error["retry_after"] + 0.05)
    assert (await ann.say("one too many", client_id="c4"))["text"] == "one too many"


async def test_a_frame_flood_is_refused_then_disconnected_while_others_chat(connect, joined, settings):
    settings.FRAME_RATE_BURST = 20
    settings.FRAME_RATE_PER_SECOND = 5
    settings.FLOOD_DISCONNECT_AFTER = 50
    flooder = await connect(username="flood")
    await flooder.join("general")
    bob = await joined("general", "bob")
    for _ in range(200):
        await flooder.send("history", {"limit": 1})
    frames = []
    while True:
        output = await flooder.communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4008
            break
        frames.append(output)
    errors = [json.loads(f["text"])["data"] for f in frames if '"rate_limited"' in f.get("text", "")]
    # Every refused frame before the close is answered, naming what was refused.
    assert len(errors) == settings.FLOOD_DISCONNECT_AFTER - 1
    assert {error["event"] for error in errors} == {"history"}
    assert (await bob.say("still fine"))["text"] == "still fine"


async def test_every_message_refused_by_the_frame_limit_is_answered_with_its_client_id(connect, settings):
    settings.FRAME_RATE_BURST = 5
    settings.FRAME_RATE_PER_SECOND = 1
    ann = await connect(username="ann")
    await ann.join("general")
    sent = [f"c{i}" for i in range(30)]
    for client_id in sent:
        await ann.send("send_message", {"text": f"text {client_id}", "client_id": client_id})
    acked, refused = set(), set()
    while len(acked | refused) < len(sent):
        event, data = await ann.receive()
        if event == "ack":
            acked.add(data["client_id"])
        elif event == "error":
            assert data["code"] == "rate_limited"
            refused.add(data["client_id"])
    assert acked and refused
    assert acked | refused == set(sent)
    assert not acked & refused


async def test_guessing_codes_is_throttled_per_session(connect, settings):
    settings.JOIN_MISS_LIMIT = 3
    _, code = await owned_room(connect, "ann")
    guesser = await connect(username="eve")
    for i in range(3):
        await guesser.send("join_room", {"room_name": f"GUESS{i}22"})
        assert (await guesser.expect("error"))["code"] == "room_not_found"
    await guesser.send("join_room", {"room_name": "GUESS922"})
    error = await guesser.expect("error")
    assert error["code"] == "rate_limited"
    assert error["retry_after"] == 60
    # A real private code is refused too until the minute is up: a hit costs what a miss does.
    await guesser.send("join_room", {"room_name": code})
    assert (await guesser.expect("error"))["code"] == "rate_limited"
    # Public rooms are listed, there is nothing to guess: still open.
    assert (await guesser.join("general"))["room"]["name"] == "general"


async def test_a_banned_guest_cannot_join(connect):
    ann = await connect(username="ann")
    await database_sync_to_async(Ban.objects.create)(guest_key=await _guest_of(ann), reason="spam")
    await ann.send("join_room", {"room_name": "general"})
    error = await ann.expect("error")
    assert error["code"] == "banned"
    assert "spam" in error["message"]
    assert error["until"] is None


@database_sync_to_async
def _guest_of(client):
    from django.contrib.sessions.backends.db import SessionStore

    from rooms.identity import GUEST_KEY

    return SessionStore(session_key=client.session_key)[GUEST_KEY]
