"""The audit log: what room owners and moderators did, listed and searchable, read-only in the admin."""

import pytest
from channels.db import database_sync_to_async

from rooms.models import AuditEntry
from rooms.tests.admin.steps import NOISE, audit_log, changelist, guest_of, room
from rooms.tests.support.client import owned_room

pytestmark = pytest.mark.django_db(transaction=True)


# --- 5. audit log ---------------------------------------------------------------------------


async def test_room_owner_actions_are_in_the_audit_log(connect, staff):
    ann, code = await owned_room(connect)
    bob = await connect(username="bob")
    await bob.join(code)
    spam = await bob.say("spam")
    await ann.send("lock_room", {"locked": True})
    await ann.send("set_slow_mode", {"seconds": 10})
    await ann.send("delete_message", {"id": spam["id"]})
    await ann.send("kick_member", {"username": "bob"})
    await bob.expect("kicked", skip=(*NOISE, "receive_message", "room_state", "message_deleted"))

    owner = f"guest {(await guest_of(ann))[:8]}"
    assert await audit_log() == [
        (owner, "lock_room", code, ""),
        (owner, "slow_mode", code, ""),
        (owner, "delete_message", code, f"message {spam['id']}"),
        (owner, "kick", code, "bob"),
    ]
    rows = (await changelist(staff, "auditentry")).rows
    assert [(row["actor"], row["action"], row["room"]) for row in rows][0] == (owner, "kick", code)
    assert {row["action"] for row in rows} == {"lock_room", "slow_mode", "delete_message", "kick"}
    assert all(row["created_at"] for row in rows)
    # Searchable, and filterable by action.
    assert [row["target"] for row in (await changelist(staff, "auditentry", action__exact="kick")).rows] == ["bob"]
    assert [row["action"] for row in (await changelist(staff, "auditentry", q="bob")).rows] == ["kick"]


async def test_the_audit_log_is_read_only_even_for_superusers(joined, staff):
    ann = await joined("general", "ann")
    await staff.action("room", "lock_rooms", [await room("general")])
    await ann.expect("room_state", skip=NOISE)
    [entry] = await database_sync_to_async(list)(AuditEntry.objects.all())

    assert (await staff.get("/admin/rooms/auditentry/add/")).status_code == 403
    page = await staff.get(f"/admin/rooms/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "lock_room" in html
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert "/delete/" not in html
    changes = await staff.post(
        f"/admin/rooms/auditentry/{entry.pk}/change/", {"actor": "someone else", "action": "nothing"}
    )
    assert changes.status_code == 403
    assert (await staff.get(f"/admin/rooms/auditentry/{entry.pk}/delete/")).status_code == 403
    assert (await staff.post(f"/admin/rooms/auditentry/{entry.pk}/delete/", {"post": "yes"})).status_code == 403
    listing = (await staff.get("/admin/rooms/auditentry/")).content.decode()
    assert "delete_selected" not in listing
    assert "/admin/rooms/auditentry/add/" not in listing
    assert await audit_log() == [("staff mod", "lock_room", "general", "")]
