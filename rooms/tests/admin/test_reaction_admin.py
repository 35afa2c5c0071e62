"""The reactions admin: a moderator removes reactions, live on every open page, through the service, audited."""

import pytest
from channels.db import database_sync_to_async

from rooms.models import AuditEntry, Reaction
from rooms.tests.admin.steps import NOISE, changelist

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def reactions_on(message_id):
    return list(Reaction.objects.filter(message_id=message_id).order_by("pk"))


async def test_removing_a_reaction_in_the_admin_reaches_every_page(joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    said = await ann.say("rate this")
    for client, emoji in ((ann, "😂"), (bob, "😂"), (bob, "🔥")):
        await client.send("react", {"id": said["id"], "emoji": emoji})
    await ann.expect(
        "reactions", skip=(*NOISE, "receive_message", "reactions"), where=lambda d: len(d["reactions"]) == 2
    )
    for client in (ann, bob):
        await client.collect()  # what the reactions above sent, before the moderator acts
    page = await changelist(staff, "reaction", q="bob")
    assert sorted(row["emoji"] for row in page.rows) == ["🔥", "😂"]

    everyone = await reactions_on(said["id"])
    bobs = [r for r in everyone if r.username == "bob"]
    [ann_laugh] = [r for r in everyone if r.username == "ann"]
    await staff.action("reaction", "remove_reactions", bobs)
    assert "Removed: 2." in await staff.page_messages()
    for client in (ann, bob):
        data = await client.expect(
            "reactions",
            skip=(*NOISE, "receive_message", "reactions"),
            where=lambda d: [(r["emoji"], r["count"]) for r in d["reactions"]] == [("😂", 1)],
        )
        assert data["reactions"][0]["names"] == ["ann"]
    assert [r.pk for r in await reactions_on(said["id"])] == [ann_laugh.pk]
    audited = await database_sync_to_async(AuditEntry.objects.filter(action="remove_reaction").count)()
    assert audited == 2


async def test_the_reactions_admin_is_read_only(staff):
    assert (await staff.get("/admin/rooms/reaction/add/")).status_code == 403
