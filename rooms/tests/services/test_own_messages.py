"""Editing and deleting one's own messages, and typing, driven through the consumer."""

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from rooms.models import Message
from rooms.tests.services.moderation_steps import NOISE

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def message_row(message_id):
    return Message.objects.get(pk=message_id)


@database_sync_to_async
def age_message(message_id, seconds):
    Message.objects.filter(pk=message_id).update(created_at=timezone.now() - timezone.timedelta(seconds=seconds))


# --- editing and deleting one's own messages -------------------------------------


async def test_edit_own_message_reaches_the_room(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    sent = await ann.say("helo")
    await ann.send("edit_message", {"id": sent["id"], "text": "hello"})
    for client in (ann, bob):
        update = await client.expect("message_updated", skip=(*NOISE, "receive_message"))
        assert (update["id"], update["text"], update["room"]) == (sent["id"], "hello", "general")
        assert update["edited_at"].endswith("Z")
    row = await message_row(sent["id"])
    assert row.text == "hello" and row.edited_at is not None
    # History shows the edit.
    await bob.send("history", {})
    page = await bob.expect("history", skip=(*NOISE, "receive_message"))
    assert page["messages"][-1]["text"] == "hello"
    assert "edited_at" in page["messages"][-1]


async def test_the_same_display_name_in_another_session_cannot_edit_or_delete(joined, connect):
    ann = await joined("general", "ann")
    sent = await ann.say("mine")
    await ann.send("leave_room")
    impostor = await connect()
    await impostor.join("general", "ann")  # same display name, different session
    await impostor.send("edit_message", {"id": sent["id"], "text": "pwned"})
    assert (await impostor.expect("error", skip=NOISE))["code"] == "forbidden"
    await impostor.send("delete_message", {"id": sent["id"]})
    assert (await impostor.expect("error", skip=NOISE))["code"] == "forbidden"
    assert (await message_row(sent["id"])).text == "mine"


async def test_edits_close_after_the_edit_window(joined, settings):
    settings.EDIT_WINDOW_SECONDS = 60
    ann = await joined()
    sent = await ann.say("typo")
    await age_message(sent["id"], 61)
    await ann.send("edit_message", {"id": sent["id"], "text": "fixed"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "edit_window_closed"


async def test_edit_checks_the_text_and_the_message(joined):
    ann = await joined()
    sent = await ann.say("x")
    await ann.send("edit_message", {"id": sent["id"], "text": "  "})
    assert (await ann.expect("error", skip=NOISE))["code"] == "invalid_message"
    await ann.send("edit_message", {"id": 999999, "text": "y"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "message_not_found"


async def test_delete_own_message_removes_it_live_and_from_history(joined, connect):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    keep = await ann.say("keep")
    gone = await ann.say("oops")
    await ann.send("delete_message", {"id": gone["id"]})
    deleted = await bob.expect("message_deleted", skip=(*NOISE, "receive_message"))
    assert deleted == {"id": gone["id"], "room": "general", "by": "author"}
    newcomer = await connect()
    history = (await newcomer.join("general", "cat"))["history"]
    assert [m["id"] for m in history] == [keep["id"]]
    await ann.send("delete_message", {"id": gone["id"]})
    assert (await ann.expect("error", skip=(*NOISE, "receive_message", "message_deleted")))["code"] == (
        "message_not_found"
    )


async def test_messages_of_another_room_are_not_found(joined):
    ann = await joined("general", "ann")
    sent = await ann.say("here")
    await ann.join("tech")
    await ann.send("delete_message", {"id": sent["id"]})
    assert (await ann.expect("error", skip=NOISE))["code"] == "message_not_found"


# --- typing -------------------------------------------------------------------------


async def test_typing_reaches_the_others_throttled_and_is_not_stored(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await bob.collect()
    for _ in range(5):
        await ann.send("typing")
    frames = await bob.collect(seconds=0.5)
    assert [data for event, data in frames if event == "typing"] == [{"room": "general", "username": "ann"}]
    assert "typing" not in [event for event, _ in await ann.collect()]
    assert await database_sync_to_async(Message.objects.count)() == 0
