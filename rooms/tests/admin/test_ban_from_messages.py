"""Banning a message's author from the messages admin: the prefilled ban form and the ban actions."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from rooms.tests.admin.steps import NOISE, add_ban, bans, changelist, guest_of, message, read_until_closed, room

pytestmark = pytest.mark.django_db(transaction=True)


# --- banning from a message ------------------------------------------------------------------


async def test_a_message_links_to_a_ban_form_filled_in_with_its_author(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    spam = await ann.say("buy now")
    await bob.collect()

    page = await changelist(staff, "message", q="buy now")
    [links] = page.links
    form = (await staff.get(links["ban_author"])).content.decode()
    assert 'use its "ban" link' in form.replace("&quot;", '"')
    guest = await guest_of(ann)
    assert f'value="{guest}"' in form  # the guest id a moderator could not have typed
    general = await room("general")
    assert f'name="room" value="{general.pk}"' in form
    assert f"message {spam['id']}" in form

    # Submit the form as it came, adding a reason.
    prefilled = {key: values[0] for key, values in parse_qs(urlsplit(links["ban_author"]).query).items()}
    prefilled["reason"] += ": spam"
    assert (await add_ban(staff, **prefilled)).status_code == 302
    assert (await ann.expect("kicked", skip=(*NOISE, "receive_message")))["room"] == "general"
    [ban] = await bans()
    assert (ban.guest_key, ban.room_id, ban.until) == (guest, general.pk, None)


async def test_ban_author_actions_on_messages(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    spam = await ann.say("spam")
    more = await ann.say("more spam")
    await bob.collect()
    abuse = await bob.say("abuse")
    await ann.collect()

    await staff.action("message", "ban_authors_from_room", [await message(spam["id"]), await message(more["id"])])
    assert "Banned: 1." in await staff.page_messages()  # one author, one ban
    assert (await ann.expect("kicked", skip=NOISE))["room"] == "general"
    await ann.send("join_room", {"room_name": "general"})
    refused = await ann.expect("error", skip=NOISE)
    assert refused["code"] == "banned"
    assert f"message {spam['id']}: spam" in refused["message"]
    [room_ban] = await bans()
    assert timedelta(hours=23) < room_ban.until - timezone.now() <= timedelta(hours=24)
    assert (await bob.say("still here"))["text"] == "still here"

    await staff.action("message", "ban_authors_from_site", [await message(abuse["id"])])
    frames, code = await read_until_closed(bob)
    assert code == 4003
    assert [(b.guest_key, b.room_id) for b in await bans()][1] == (await guest_of(bob), None)
