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
