"""rooms/hub.py: the process hub's refill of messages the channel layer lost."""

import pytest
from channels.db import database_sync_to_async

from rooms import events, hub, services
from rooms.identity import Actor
from rooms.models import Room

pytestmark = pytest.mark.django_db(transaction=True)


async def test_refill_reads_back_a_lost_message_but_not_one_in_flight(joined, monkeypatch):
    ann = await joined("general", "ann")
    running = hub.current()
    room = await database_sync_to_async(Room.objects.get)(key="general")
    # The layer never delivers this one: its publish is lost.
    monkeypatch.setattr(events, "publish", lambda group, message: None)
    await database_sync_to_async(services.message_post)(
        room=room, actor=Actor(guest_key="guest-bob"), username="bob", text="lost on the way"
    )
    monkeypatch.undo()

    # First round: committed since the last look, so it may still be on its way; no database read yet.
    await running.refill()
    assert await ann.events(seconds=0.3) == []
    # A round later it is still unheard: lost. Every socket in the room gets it from the database.
    await running.refill()
    data = await ann.expect("receive_message")
    assert (data["username"], data["text"]) == ("bob", "lost on the way")
    # And only once.
    await running.refill()
    assert await ann.events(seconds=0.3) == []


async def _post_unpublished(monkeypatch, room, texts):
    """Commit messages whose channel-layer messages we hold back, to deliver them in any order."""
    captured = []
    monkeypatch.setattr(events, "publish", lambda group, message: captured.append(message))
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
