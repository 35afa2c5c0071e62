"""Bans from the admin's ban form: by guest or by account, in one room or site-wide, taking
effect live on the sockets of the banned; expiry, several bans at once, the form's errors,
and lifting bans again."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from rooms.models import Ban
from rooms.tests.admin.steps import (
    NOISE,
    add_ban,
    audit_log,
    bans,
    changelist,
    guest_of,
    read_until_closed,
    room,
    split_datetime,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- 4. bans ------------------------------------------------------------------------------


@database_sync_to_async
def expire(ban: Ban) -> None:
    """Let time pass for a ban: its end is now in the past."""
    Ban.objects.filter(pk=ban.pk).update(until=timezone.now() - timedelta(seconds=1))


async def test_a_room_ban_from_the_add_form_removes_the_guest_live(connect, joined, staff):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.collect()
    until = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    general = await room("general")

    response = await add_ban(
        staff, guest_key=await guest_of(ann), room=general.pk, reason="spamming links", **split_datetime(until)
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    kicked = await ann.expect("kicked", skip=NOISE)
    assert kicked["room"] == "general"
    assert "spamming links" in kicked["reason"]
    notice = await bob.expect("system_message", skip=("room_update", "room_updates"))
    assert notice["text"] == "ann was removed"
    assert (await bob.expect("member_list", skip=("room_update", "room_updates")))["members"] == ["bob"]
    # Still connected, in no room, and kept out of that room until the ban ends.
    await ann.send("send_message", {"text": "hey"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "not_in_room"
    await ann.send("join_room", {"room_name": "general"})
    refused = await ann.expect("error", skip=NOISE)
    assert refused["code"] == "banned"
    assert refused["until"] == until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # Other rooms are open to them.
    assert (await ann.join("tech"))["room"]["name"] == "tech"

    [ban] = await bans()
    assert (ban.room_id, ban.until, ban.reason, ban.created_by) == (general.pk, until, "spamming links", "staff mod")
    assert await audit_log() == [("staff mod", "ban", "general", str(ban))]


async def test_a_site_ban_closes_every_socket_of_the_guest(connect, joined, staff):
    ann = await joined("general", "ann")
    ann_tab = await connect(session=ann.session_key)  # a second tab, on the lobby
    bob = await joined("general", "bob")
    await ann.collect()

    response = await add_ban(staff, guest_key=await guest_of(ann), reason="abuse")
    assert response.status_code == 302, response.content.decode()[:3000]

    for socket in (ann, ann_tab):
        frames, code = await read_until_closed(socket)
        errors = [data for event, data in frames if event == "error"]
        assert [(e["code"], e["until"]) for e in errors] == [("banned", None)]
        assert "abuse" in errors[0]["message"]
        assert code == 4003
    assert (await bob.expect("system_message", skip=("room_update", "room_updates")))["text"] == "ann was removed"
    # Coming back with the same session: refused everywhere.
    again = await connect(session=ann.session_key)
    await again.send("join_room", {"room_name": "tech"})
    assert (await again.expect("error"))["code"] == "banned"
    assert (await bob.say("peace"))["text"] == "peace"


@database_sync_to_async
def member_user(username: str) -> tuple[object, str]:
    """A person with an account (not staff), logged in: their user and session key."""
    user = get_user_model().objects.create_user(username, password="pw-not-used")
    client = Client()
    client.force_login(user)
    return user, client.cookies[settings.SESSION_COOKIE_NAME].value


async def test_bans_by_user_account_per_room_and_site_wide(connect, joined, staff):
    user, session = await member_user("dora")
    dora = await connect(session=session)
    await dora.join("general", "dora")
    general = await room("general")

    assert (await add_ban(staff, user=user.pk, room=general.pk, reason="off topic")).status_code == 302
    assert (await dora.expect("kicked", skip=NOISE))["room"] == "general"
    await dora.send("join_room", {"room_name": "general"})
    assert (await dora.expect("error", skip=NOISE))["code"] == "banned"
    # A new session of the same account is still the same person.
    _, other_session = await database_sync_to_async(_login_again)(user)
    elsewhere = await connect(session=other_session)
    await elsewhere.send("join_room", {"room_name": "general", "username": "dora"})
    assert (await elsewhere.expect("error"))["code"] == "banned"

    await dora.join("tech")
    assert (await add_ban(staff, user=user.pk, reason="enough")).status_code == 302
    for socket in (dora, elsewhere):
        frames, code = await read_until_closed(socket)
        assert ([d["code"] for e, d in frames if e == "error"][0], code) == ("banned", 4003)


def _login_again(user) -> tuple[object, str]:
    client = Client()
    client.force_login(user)
    return user, client.cookies[settings.SESSION_COOKIE_NAME].value


async def test_an_expired_ban_no_longer_blocks(connect, joined, staff):
    ann = await joined("general", "ann")
    until = timezone.now() + timedelta(minutes=10)
    general = await room("general")
    assert (
        await add_ban(staff, guest_key=await guest_of(ann), room=general.pk, **split_datetime(until))
    ).status_code == 302
    await ann.expect("kicked", skip=NOISE)
    await ann.send("join_room", {"room_name": "general"})
    assert (await ann.expect("error", skip=NOISE))["code"] == "banned"
    in_force = {row["__str__"]: row["active"] for row in (await changelist(staff, "ban")).rows}
    assert list(in_force.values()) == ["True"]

    [ban] = await bans()
    await expire(ban)
    assert (await ann.join("general"))["room"]["name"] == "general"
    assert (await changelist(staff, "ban", active="yes")).rows == []
    assert len((await changelist(staff, "ban", active="no")).rows) == 1


async def test_with_several_bans_the_refusal_names_the_last_to_end(connect, staff):
    ann = await connect(username="ann")
    guest, general = await guest_of(ann), await room("general")
    soon = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    later = soon + timedelta(hours=1)
    for until in (soon, later):
        await add_ban(staff, guest_key=guest, room=general.pk, **split_datetime(until))
    await ann.send("join_room", {"room_name": "general"})
    assert (await ann.expect("error"))["until"] == later.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    await add_ban(staff, guest_key=guest, room=general.pk, reason="for good")
    await ann.send("join_room", {"room_name": "general"})
    refused = await ann.expect("error")
    assert (refused["code"], refused["until"]) == ("banned", None)
    assert "for good" in refused["message"]


async def test_the_ban_form_explains_its_mistakes(joined, staff):
    ann = await joined("general", "ann")
    nobody = await add_ban(staff, reason="who?")
    assert nobody.status_code == 200
    assert "Ban a guest (their guest id) or a user." in nobody.content.decode()
    past = await add_ban(staff, guest_key=await guest_of(ann), **split_datetime(timezone.now() - timedelta(minutes=1)))
    assert past.status_code == 200
    assert "That time has passed" in past.content.decode()
    assert await bans() == []
    assert await ann.events() == []  # nobody was thrown out by a ban that never was
    assert (await ann.say("still here"))["text"] == "still here"


# --- lifting bans --------------------------------------------------------------------------


async def test_lifting_a_ban_lets_them_back(connect, staff):
    ann = await connect(username="ann")
    assert (await add_ban(staff, guest_key=await guest_of(ann), reason="cool off")).status_code == 302
    frames, code = await read_until_closed(ann)
    assert code == 4003
    [ban] = await bans()
    page = (await staff.get(f"/admin/rooms/ban/{ban.pk}/change/")).content.decode()
    assert 'name="_save"' not in page  # a ban is lifted, never edited
    assert f"/admin/rooms/ban/{ban.pk}/delete/" in page

    response = await staff.post(f"/admin/rooms/ban/{ban.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert await bans() == []
    back = await connect(session=ann.session_key)
    assert (await back.join("general", "ann"))["room"]["name"] == "general"
    assert [entry[1] for entry in await audit_log()] == ["ban", "unban"]


async def test_lifting_several_bans_at_once(connect, staff):
    ann = await connect(username="ann")
    bob = await connect(username="bob")
    general = await room("general")
    for client in (ann, bob):
        assert (await add_ban(staff, guest_key=await guest_of(client), room=general.pk)).status_code == 302
    selected = [ban.pk for ban in await bans()]
    asked = await staff.post(
        "/admin/rooms/ban/", {"action": "delete_selected", "_selected_action": selected, "index": 0}
    )
    assert asked.status_code == 200  # Django's "are you sure?"
    done = await staff.post(
        "/admin/rooms/ban/", {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    )
    assert done.status_code == 302
    assert await bans() == []
    for client, name in ((ann, "ann"), (bob, "bob")):
        assert (await client.join("general", name))["room"]["name"] == "general"
    assert [entry[1] for entry in await audit_log()] == ["ban", "ban", "unban", "unban"]


async def test_bans_filter_by_scope(staff):
    general = await room("general")
    await database_sync_to_async(Ban.objects.create)(guest_key="guest-site", room=None)
    await database_sync_to_async(Ban.objects.create)(guest_key="guest-room", room=general)
    site = [row["__str__"] for row in (await changelist(staff, "ban", scope="site")).rows]
    one_room = [row["__str__"] for row in (await changelist(staff, "ban", scope="room")).rows]
    assert site == ["guest guest-si from the site"]
    assert one_room == ["guest guest-ro from general"]
