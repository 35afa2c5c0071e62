"""Accounts on the socket: a guest who signs up keeps everything, one account is one person on every device.

Sign-up, login and logout go through allauth's real pages (Django's test
client, sharing the socket's session cookie); the sockets are the real ASGI
application.
"""

import pytest
from channels.db import database_sync_to_async

from rooms.models import Message, Room
from rooms.tests.admin.steps import read_until_closed
from rooms.tests.support.accounts import PASSWORD, log_in, log_out, session_of, sign_up, user_pk
from rooms.tests.support.client import LOBBY_NOISE, NOISE

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def authors(room: str) -> set[str]:
    return set(Message.objects.filter(room__key=room).values_list("author_key", flat=True))


async def test_a_guest_who_signs_up_keeps_their_messages_their_room_and_their_place(connect, joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    before = await ann.say("written as a guest")
    await bob.expect("receive_message", skip=NOISE)
    await ann.send("create_room")
    code = (await ann.expect("room_created", skip=NOISE))["room"]["name"]

    await sign_up(ann.session_key, "ann")

    identity = await ann.expect("identity", skip=NOISE)
    assert identity["account"] is True and identity["username"] == "ann"
    assert identity["author"] != before["author"]
    # Nobody heard ann leave or join: her place in the room changed hands, and she is marked as an account.
    listing = await bob.expect("member_list", skip=LOBBY_NOISE)
    assert (listing["members"], listing["accounts"]) == (["ann", "bob"], ["ann"])
    assert await bob.events(skip=LOBBY_NOISE) == []
    # Her earlier message is hers, as the account: she edits it, on this socket.
    await ann.send("edit_message", {"id": before["id"], "text": "edited as an account"})
    assert (await bob.expect("message_updated", skip=NOISE))["text"] == "edited as an account"
    await ann.expect("message_updated", skip=NOISE)
    assert await authors("general") == {"user-" + str(await user_pk("ann"))}
    assert await owner_of(code) == "user-" + str(await user_pk("ann"))
    # Her new messages carry the account's token.
    assert (await ann.say("now with an account"))["author"] == identity["author"]


@database_sync_to_async
def owner_of(code: str) -> str:
    return Room.objects.get(key=code.lower()).owner_key


async def test_one_account_on_two_devices_is_one_member_who_owns_its_messages_on_both(connect, joined):
    bob = await joined("general", "bob")
    laptop_browser = await sign_up(None, "ann")
    laptop = await connect(session=session_of(laptop_browser))
    first = await laptop.join("general")
    assert first["username"] == "ann" and first["account"] is True
    written = await laptop.say("from the laptop")
    assert "system_message" in await bob.events(skip=LOBBY_NOISE)  # "ann joined", once

    phone_browser = await log_in("ann")
    phone = await connect(session=session_of(phone_browser))
    second = await phone.join("general")
    assert second["members"] == ["bob", "ann"]  # counted once, one name (in order of arrival)
    assert second["author"] == first["author"]
    assert second["accounts"] == ["ann"]
    assert [m["account"] for m in second["history"]] == [True]
    assert [m["author"] for m in second["history"] if m["id"] == written["id"]] == [first["author"]]
    assert "system_message" not in await bob.events(skip=LOBBY_NOISE)  # no second "ann joined"

    # The phone may edit what the laptop wrote; what the phone sends reaches the laptop.
    await phone.send("edit_message", {"id": written["id"], "text": "fixed on the phone"})
    assert (await laptop.expect("message_updated", skip=NOISE))["text"] == "fixed on the phone"
    await phone.expect("message_updated", skip=NOISE)
    sent = await phone.say("from the phone")
    assert (await laptop.expect("receive_message", skip=NOISE))["id"] == sent["id"]


async def test_logging_out_closes_that_browsers_sockets_only(connect, joined):
    bob = await joined("general", "bob")
    laptop_browser = await sign_up(None, "ann")
    laptop = await connect(session=session_of(laptop_browser))
    await laptop.join("general")
    phone = await connect(session=session_of(await log_in("ann")))
    await phone.join("general")
    await bob.events(skip=LOBBY_NOISE)

    await log_out(laptop_browser)

    frames, code = await read_until_closed(laptop)
    assert code == 4015
    assert ("signed_out", {"reason": "You logged out in another tab."}) in frames
    # The phone is still ann, still in the room: bob saw nobody leave.
    assert "system_message" not in await bob.events(skip=LOBBY_NOISE)
    assert (await phone.say("still here"))["username"] == "ann"


async def test_a_guest_tab_opened_before_login_is_closed_at_logout_too(connect, joined):
    """Login gives the session a new key; the tab that was open through it must still be found at logout."""
    ann = await joined("general", "ann")
    browser = await sign_up(ann.session_key, "ann")
    await ann.expect("identity", skip=NOISE)
    await log_out(browser)
    _, code = await read_until_closed(ann)
    assert code == 4015


async def test_a_banned_guest_is_still_banned_after_signing_up(connect, joined):
    ann = await joined("general", "ann")
    await ann.say("hello")
    await ann.close()
    await ban_guest_in(ann.session_key, "general")
    browser = await sign_up(ann.session_key, "ann")
    again = await connect(session=session_of(browser))
    await again.send("join_room", {"room_name": "general"})
    assert (await again.expect("error", skip=NOISE))["code"] == "banned"


@database_sync_to_async
def ban_guest_in(session_key: str, room: str) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from rooms import services
    from rooms.identity import GUEST_KEY, Actor

    guest_key = SessionStore(session_key=session_key)[GUEST_KEY]
    staff = Actor(guest_key="staff", user_id=None, is_staff=True, user_name="mod")
    services.ban_create(guest_key=guest_key, room=Room.objects.get(key=room), actor=staff, reason="spam")


async def test_a_guest_cannot_take_an_accounts_name_or_a_look_alike_in_any_room(connect, joined):
    await sign_up(None, "ann")  # the account is not in any room
    guest = await connect()
    for name in ["ann", "ANN", "\u0430nn", "\uff41\uff4e\uff4e"]:
        await guest.send("join_room", {"room_name": "tech", "username": name})
        error = await guest.expect("error", skip=NOISE)
        assert error["code"] == "username_reserved"
        assert "is the name of an account" in error["message"]
    assert (await guest.join("tech", "annie"))["username"] == "annie"
    # The account itself may use it, of course.
    account = await connect(session=session_of(await log_in("ann")))
    assert (await account.join("tech"))["username"] == "ann"


async def test_deleting_the_account_closes_its_sockets_and_leaves_its_messages_as_deleted_user(connect, joined):
    bob = await joined("general", "bob")
    browser = await sign_up(None, "ann")
    ann = await connect(session=session_of(browser))
    await ann.join("general")
    written = await ann.say("remember me")
    await bob.events(skip=LOBBY_NOISE)

    response = await database_sync_to_async(browser.post)("/accounts/data/delete/", {"password": PASSWORD})
    assert response.status_code == 302

    frames, code = await read_until_closed(ann)
    assert code == 4015 and ("signed_out", {"reason": "Your account was deleted."}) in frames
    notice = await bob.expect("system_message", skip=("member_list", *LOBBY_NOISE))
    assert notice["text"] == "ann left"
    again = await connect()
    history = (await again.join("general", "cy"))["history"]
    assert [(m["username"], m["account"]) for m in history if m["id"] == written["id"]] == [("deleted user", False)]


async def test_a_password_change_closes_the_accounts_sockets_and_ends_its_other_sessions(connect, joined):
    laptop_browser = await sign_up(None, "ann")
    laptop = await connect(session=session_of(laptop_browser))
    await laptop.join("general")
    phone_browser = await log_in("ann")
    phone = await connect(session=session_of(phone_browser))
    await phone.join("general")

    response = await database_sync_to_async(laptop_browser.post)(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "another long pass phrase 8", "password2": "another long pass phrase 8"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    for socket in (laptop, phone):
        frames, code = await read_until_closed(socket)
        assert code == 4015
        assert ("signed_out", {"reason": "The account's password was changed."}) in frames
    # The laptop, where it was changed, is still logged in; the phone is a guest now.
    assert "Signed in as" in (await database_sync_to_async(laptop_browser.get)("/")).content.decode()
    assert "Signed in as" not in (await database_sync_to_async(phone_browser.get)("/")).content.decode()
