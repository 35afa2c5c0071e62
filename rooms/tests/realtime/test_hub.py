"""rooms/realtime/hub.py: the process hub: refilling what the channel layer lost, ordering, batching."""

import asyncio
import json
import os
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.db import connections

from rooms import payloads, services
from rooms.identity import Actor
from rooms.models import Room
from rooms.realtime import bus, hub

pytestmark = pytest.mark.django_db(transaction=True)


async def test_refill_reads_back_a_lost_message_but_not_one_in_flight(joined, monkeypatch):
    ann = await joined("general", "ann")
    running = hub.current()
    room = await database_sync_to_async(Room.objects.get)(key="general")
    # The layer never delivers this one: its publish is lost.
    monkeypatch.setattr(bus, "publish", lambda group, message: None)
    await database_sync_to_async(services.message_post)(
        room=room, actor=Actor(guest_key="guest-bob"), username="bob", text="lost on the way"
    )
    monkeypatch.undo()

    # First round: committed since the last look, so it may still be on its way; no database read yet.
    await running.housekeeping.refill()
    assert await ann.events(seconds=0.3) == []
    # A round later it is still unheard: lost. Every socket in the room gets it from the database.
    await running.housekeeping.refill()
    data = await ann.expect("receive_message")
    assert (data["username"], data["text"]) == ("bob", "lost on the way")
    # And only once.
    await running.housekeeping.refill()
    assert await ann.events(seconds=0.3) == []


async def _post_unpublished(monkeypatch, room, texts):
    """Commit messages whose channel-layer messages we hold back, to deliver them in any order."""
    captured = []
    monkeypatch.setattr(bus, "publish", lambda group, message: captured.append(message))
    for text in texts:
        await database_sync_to_async(services.message_post)(
            room=room, actor=Actor(guest_key="guest-bob"), username="bob", text=text
        )
    monkeypatch.undo()
    return captured


async def test_messages_crossing_between_processes_go_out_in_order(joined, monkeypatch):
    """Two processes' broadcasts can cross: the hub puts them back in order, once each."""
    ann = await joined("general", "ann")
    running = hub.current()
    room = await database_sync_to_async(Room.objects.get)(key="general")
    first, second, third = await _post_unpublished(monkeypatch, room, ["one", "two", "three"])
    await running.dispatch(first)
    await running.dispatch(third)  # overtook "two"
    await running.dispatch(second)
    await running.dispatch(second)  # a late copy
    texts = [data["text"] for name, data in await ann.collect(seconds=0.3) if name == "receive_message"]
    assert texts == ["one", "two", "three"]


async def test_a_gap_that_does_not_fill_is_read_from_the_database(joined, monkeypatch):
    ann = await joined("general", "ann")
    running = hub.current()
    room = await database_sync_to_async(Room.objects.get)(key="general")
    first, _lost, third = await _post_unpublished(monkeypatch, room, ["one", "two", "three"])
    await running.dispatch(first)
    await running.dispatch(third)  # "two" never comes
    texts = [data["text"] for name, data in await ann.collect(seconds=1.5) if name == "receive_message"]
    assert texts == ["one", "two", "three"]


async def test_a_join_notice_that_arrives_late_is_not_news_to_who_joined_after(joined, monkeypatch):
    """With several processes, "ann joined" can reach a hub after bob, who joined later, is in the room.

    bob's member list already has ann in it: he is not told she joined. cat,
    who was there before ann, is.
    """
    cat = await joined("general", "cat")
    running = hub.current()
    held = []
    monkeypatch.setattr(bus, "publish", lambda group, message: held.append(message))
    ann = await joined("general", "ann")
    monkeypatch.undo()
    bob = await joined("general", "bob")
    await cat.collect(seconds=0.3)  # what cat heard live: bob's join
    for message in held:  # ann's join, delivered late
        await running.dispatch(message)
    notices = {
        client: [data["text"] for name, data in await client.collect(seconds=0.3) if name == "system_message"]
        for client in (cat, bob)
    }
    assert notices == {cat: ["ann joined"], bob: []}
    assert ann is not None


class Recorder:
    """Stands in for a room's sockets on the receiving hub: keeps what the hub offers them."""

    def __init__(self):
        self.texts: list[str] = []
        self.arrived = asyncio.Event()

    async def offer(self, message, frame=None):
        self.texts.append(json.loads(message["text"])["data"]["text"])
        self.arrived.set()


def redis_layer_place() -> tuple[str, str]:
    """The integration tests' Redis, and a prefix of this test's own for the layers on it."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail("integration tests need REDIS_URL (see README)")
    return redis_url, f"chatsite-test-{uuid.uuid4().hex[:8]}"


@pytest.mark.integration
@pytest.mark.parametrize("layer_class", [RedisChannelLayer, RedisPubSubChannelLayer])
async def test_what_commits_together_crosses_redis_as_one_send_in_order(layer_class, monkeypatch):
    """Under load a hub publishes everything waiting as one `hub.batch`; the other process unpacks it in order."""
    redis_url, prefix = redis_layer_place()
    loop = asyncio.get_running_loop()
    sender, receiver = hub.Hub(loop), hub.Hub(loop)
    for one in (sender, receiver):
        one.layer = layer_class(hosts=[redis_url], prefix=prefix)
        await one.start()
    sends = []
    real_group_send = sender.layer.group_send

    async def counted(group, message):
        sends.append((group, message["type"]))
        await real_group_send(group, message)

    monkeypatch.setattr(sender.layer, "group_send", counted)
    general, tech = await database_sync_to_async(lambda: list(Room.objects.filter(key__in=["general", "tech"])))()
    here = Recorder()
    receiver.rooms[general.pk] = receiver.local_room(general)
    receiver.rooms[general.pk].sockets.add(here)
    await receiver._subscribe(bus.room_group(general.pk))
    try:
        # A batch of posts committed at once: three in general, then one in tech (no socket on the receiver).
        for seq, (room, text) in enumerate([(general, "one"), (general, "two"), (general, "three")], start=1):
            message = {"type": "hub.room", "room": room.pk, "text": payloads.encode("receive_message", {"text": text})}
            sender.publisher.put(*(bus.room_group(room.pk), {**message, "seq": seq}))
        while len(here.texts) < 3:
            await asyncio.wait_for(here.arrived.wait(), 10)
            here.arrived.clear()
        assert here.texts == ["one", "two", "three"]
        assert sends == [(bus.room_group(general.pk), "hub.batch")]

        # Messages for several rooms go to the lobby group, which every hub hears; each keeps its own rooms'.
        for seq, (room, text) in enumerate([(tech, "elsewhere"), (general, "four"), (tech, "again")], start=4):
            message = {"type": "hub.room", "room": room.pk, "text": payloads.encode("receive_message", {"text": text})}
            sender.publisher.put(*(bus.room_group(room.pk), {**message, "seq": seq if room == general else 1}))
        await asyncio.wait_for(here.arrived.wait(), 10)
        assert here.texts == ["one", "two", "three", "four"]
        assert sends[1:] == [(bus.LOBBY_GROUP, "hub.batch")]
    finally:
        for one in (sender, receiver):
            await one.stop()
            await one.layer.flush()
        await sync_to_async(connections.close_all)()  # the hubs' database thread's, so the test database can go


@pytest.mark.integration
@pytest.mark.parametrize("layer_class", [RedisChannelLayer, RedisPubSubChannelLayer])
async def test_what_a_stopped_process_announces_at_exit_goes_out_together_in_order(layer_class, monkeypatch):
    """After daphne's loop stopped, a deregister's many leaves reach the other processes in a few sends."""
    from redis.asyncio import Redis

    redis_url, prefix = redis_layer_place()
    receiver = hub.Hub(asyncio.get_running_loop())
    receiver.layer = layer_class(hosts=[redis_url], prefix=prefix)
    await asyncio.wait_for(receiver.start(), 15)
    general = await asyncio.wait_for(database_sync_to_async(Room.objects.get)(key="general"), 15)
    here = Recorder()
    receiver.rooms[general.pk] = receiver.local_room(general)
    receiver.rooms[general.pk].sockets.add(here)
    await asyncio.wait_for(receiver._subscribe(bus.room_group(general.pk)), 15)
    # The stopping process: its own layer, and its loop no longer running (as at exit, after SIGTERM).
    stopped = asyncio.new_event_loop()
    monkeypatch.setattr(bus, "_installed", (lambda group, message: None, stopped, 0))
    monkeypatch.setattr(bus, "get_channel_layer", lambda: layer_class(hosts=[redis_url], prefix=prefix))
    texts = [f"leave {number}" for number in range(250)]

    def at_exit():
        with bus.sent_together():
            for seq, text in enumerate(texts, start=1):
                frame = payloads.encode("receive_message", {"text": text})
                bus.publish(
                    bus.room_group(general.pk), {"type": "hub.room", "room": general.pk, "text": frame, "seq": seq}
                )

    redis = Redis.from_url(redis_url)
    try:
        connections_before = (await asyncio.wait_for(redis.info("stats"), 15))["total_connections_received"]
        await asyncio.wait_for(asyncio.to_thread(at_exit), 15)
        opened = (await asyncio.wait_for(redis.info("stats"), 15))["total_connections_received"] - connections_before
        while len(here.texts) < len(texts):
            await asyncio.wait_for(here.arrived.wait(), 10)
            here.arrived.clear()
        assert here.texts == texts
        # Published one by one, each took an event loop and a connection of its own (250 or more).
        assert opened <= 5
    finally:
        monkeypatch.undo()  # the receiver's own sink is the one installed again, for its stop to take away
        stopped.close()
        await asyncio.wait_for(redis.aclose(), 15)
        await asyncio.wait_for(receiver.stop(), 15)
        await asyncio.wait_for(receiver.layer.flush(), 15)
        await sync_to_async(connections.close_all)()
