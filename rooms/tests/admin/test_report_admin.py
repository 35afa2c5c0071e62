"""Reports in the admin: the queue of reported messages with their context; conversations stay out of the rest."""

import pytest
from channels.db import database_sync_to_async

from rooms.models import Report
from rooms.tests.admin.steps import NOISE, changelist, message

pytestmark = pytest.mark.django_db(transaction=True)


async def conversation_of_ann_and_bob(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.send("open_direct", {"usernames": ["bob"]})
    room = (await ann.expect("direct_opened", skip=(*NOISE, "direct_added")))["room"]
    await ann.join(room)
    await bob.join(room)
    return ann, bob, room


@database_sync_to_async
def the_report() -> Report:
    return Report.objects.get()


async def test_a_reported_direct_message_is_in_the_queue_with_its_context_and_nowhere_else(joined, staff):
    ann, bob, room = await conversation_of_ann_and_bob(joined)
    said = [
        await ann.say(text) for text in ("zero", "one", "two", "three", "the bad one", "five", "six", "seven", "eight")
    ]
    bad = said[4]
    await bob.send("report_message", {"id": bad["id"], "reason": "threatening"})
    await bob.expect("reported", skip=(*NOISE, "unread", "receive_message"))

    # The rooms and messages admins do not show the conversation at all.
    assert room not in (await staff.get("/admin/rooms/room/")).content.decode()
    messages_page = await changelist(staff, "message", q="the bad one")
    assert messages_page.rows == []
    assert (await staff.get(f"/admin/rooms/message/{bad['id']}/change/")).status_code == 302  # "does not exist"

    queue = await changelist(staff, "report")
    assert [(row["reporter_name"], row["reason"], row["room_kind"]) for row in queue.rows] == [
        ("bob", "threatening", "a direct conversation")
    ]
    report = await the_report()
    page = (await staff.get(f"/admin/rooms/report/{report.pk}/change/")).content.decode()
    # Three before, the reported one marked, three after; not the rest of the conversation.
    for text in ("one", "two", "three", "five", "six", "seven"):
        assert f"</strong>: {text}</li>" in page
    assert '<li class="reported"><strong>ann</strong>: the bad one</li>' in page
    assert "</strong>: zero</li>" not in page and "</strong>: eight</li>" not in page

    # Removing it from the queue removes it live from the conversation, and the report is handled.
    await staff.action("report", "remove_messages", [report])
    assert (await bob.expect("message_deleted", skip=(*NOISE, "unread", "receive_message")))["id"] == bad["id"]
    assert (await message(bad["id"])).deleted_by == "moderator"
    assert (await the_report()).handled_at is not None
