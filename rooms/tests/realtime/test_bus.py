"""rooms/realtime/bus.py: the seam between domain code and the hub."""

import asyncio
import re
import threading

import pytest
from channels.layers import get_channel_layer

from rooms.realtime import bus

# Channels' own rule for group names (channels/layers.py): ASCII letters, digits, "-", "_", ".", under 100.
GROUP_NAME = re.compile(r"^[a-zA-Z\d\-_.]{1,99}$")


def test_group_names_come_from_keys_and_are_valid_channel_groups():
    assert bus.room_group(42) == "room.42"
    assert GROUP_NAME.match(bus.room_group(2**63 - 1))
    assert GROUP_NAME.match(bus.LOBBY_GROUP)


@pytest.fixture
def no_hub():
    previous = bus._installed
    bus._installed = None
    yield
    bus._installed = previous


def test_without_a_hub_a_message_goes_straight_to_the_channel_layer(no_hub):
    layer = get_channel_layer()

    async def listen():
        channel = await layer.new_channel("test.")
        await layer.group_add("room.7", channel)
        return channel

    from asgiref.sync import async_to_sync

    channel = async_to_sync(listen)()
    bus.publish("room.7", {"type": "hub.room", "room": 7, "text": "{}"})
    received = async_to_sync(layer.receive)(channel)
    assert received == {"type": "hub.room", "room": 7, "text": "{}"}


async def test_an_installed_hub_takes_every_message_on_its_own_loop(no_hub):
    taken = []
    threads = []

    def sink(group, message):
        taken.append((group, message["text"]))
        threads.append(threading.get_ident())

    bus.install(sink)
    try:
        bus.publish("room.1", {"type": "hub.room", "room": 1, "text": "here"})
        # From a database thread, as services run: handed over to the loop, not run there.
        await asyncio.to_thread(bus.publish, "room.1", {"type": "hub.room", "room": 1, "text": "from a thread"})
        await asyncio.sleep(0.05)
    finally:
        bus.uninstall(sink)
    assert taken == [("room.1", "here"), ("room.1", "from a thread")]
    assert set(threads) == {threading.get_ident()}
    assert bus._installed is None


def test_a_stopped_hub_loop_does_not_hang_a_late_publish(no_hub):
    loop = asyncio.new_event_loop()
    taken = []
    loop.run_until_complete(asyncio.sleep(0))

    async def install():
        bus.install(lambda group, message: taken.append(message))

    loop.run_until_complete(install())
    loop.close()  # the server stopped while a disconnect was still leaving
    bus.publish("room.1", {"type": "hub.room", "room": 1, "text": "late"})  # in-memory layer: nobody to tell
    assert taken == []
    bus._installed = None
