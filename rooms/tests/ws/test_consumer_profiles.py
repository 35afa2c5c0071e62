"""Profiles on the socket: avatars in member lists and on messages, profile cards, an account's new name.

The sockets are the real ASGI application; sign-up goes through allauth's
pages and the profile through its services, as the settings page calls them.
"""

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chatsite.accounts.models import User
from rooms import services
from rooms.identity import Actor
from rooms.tests.support import images
from rooms.tests.support.accounts import session_of, sign_up
from rooms.tests.support.client import LOBBY_NOISE, NOISE

pytestmark = pytest.mark.django_db(transaction=True)

JOINED = (*LOBBY_NOISE, "system_message")  # "ann joined", before the member list that has her


def _actor(user) -> Actor:
    return Actor(guest_key=f"user-{user.pk}", user_id=user.pk, user_name=user.username)


@database_sync_to_async
def give_avatar(username: str) -> str:
    user = User.objects.get(username=username)
    upload = SimpleUploadedFile("me.png", images.halves(60, 60), content_type="image/png")
    return services.avatar_set(user=user, actor=_actor(user), upload=upload)


@database_sync_to_async
def set_about(username: str, about: str) -> None:
    services.profile_set_about(user=User.objects.get(username=username), about=about)


@database_sync_to_async
def rename(username: str, new: str) -> int:
    user = User.objects.get(username=username)
    return services.account_rename(user=user, actor=_actor(user), username=new)


async def account_in(connect, room: str, name: str):
    socket = await connect(session=session_of(await sign_up(None, name)))
    confirm = await socket.join(room)
    return socket, confirm


async def test_an_avatar_reaches_member_lists_at_once_and_then_every_message(connect, joined):
    bob = await joined("general", "bob")
    ann, confirm = await account_in(connect, "general", "ann")
    assert confirm["avatars"] == {} and confirm["avatar"] is None
    await bob.expect("member_list", skip=JOINED)

    stem = await give_avatar("ann")

    listing = await bob.expect("member_list", skip=LOBBY_NOISE)
    assert listing["accounts"] == ["ann"]
    assert listing["avatars"] == {"ann": f"/media/{stem}-64.webp"}
    assert (await ann.expect("identity", skip=NOISE))["avatar"] == f"/media/{stem}-64.webp"
    sent = await ann.say("with a face now")
    heard = await bob.expect("receive_message", skip=NOISE)
    assert heard["id"] == sent["id"] and heard["avatar"] == f"/media/{stem}-64.webp"
    # A guest's message has none; history shows the account's avatar as it is now.
    await bob.say("no face")
    carol = await joined("general", "carol")
    history = {m["username"]: m.get("avatar") for m in (await carol.join("general"))["history"]}
    assert history == {"ann": f"/media/{stem}-64.webp", "bob": None}


async def test_a_profile_card_of_a_member_or_of_a_message_author(connect, joined):
    bob = await joined("general", "bob")
    ann, _ = await account_in(connect, "general", "ann")
    await set_about("ann", "tea and chess")
    written = await ann.say("hello")
    await bob.expect("receive_message", skip=NOISE)

    await bob.send("get_profile", {"username": "ann"})
    card = await bob.expect("profile", skip=NOISE)
    assert card["username"] == "ann" and card["account"] is True and card["present"] is True
    assert card["about"] == "tea and chess" and card["avatar"] is None and card["joined"]
    assert "email" not in card

    await bob.send("get_profile", {"message_id": written["id"]})
    by_message = await bob.expect("profile", skip=NOISE)
    assert by_message["message_id"] == written["id"] and by_message["about"] == "tea and chess"
    # The token on her messages, by name and by message alike (the page knows whom it blocked).
    assert card["author"] == by_message["author"] == written["author"]

    await ann.send("get_profile", {"username": "BOB"})  # found as the name is compared: look-alikes are one name
    guest = await ann.expect("profile", skip=NOISE)
    assert guest.pop("author") not in ("", written["author"])
    assert guest == {"room": "general", "username": "bob", "account": False, "present": True}


async def test_a_card_only_of_people_you_can_see_in_your_room(connect, joined):
    bob = await joined("general", "bob")
    carol = await joined("tech", "carol")
    elsewhere = await carol.say("in tech")
    await bob.send("get_profile", {"username": "carol"})
    assert (await bob.expect("error", skip=NOISE))["code"] == "member_not_found"
    await bob.send("get_profile", {"message_id": elsewhere["id"]})
    assert (await bob.expect("error", skip=NOISE))["code"] == "message_not_found"
    await bob.send("get_profile", {})
    assert (await bob.expect("error", skip=NOISE))["code"] == "bad_frame"
    await bob.send("get_profile", {"username": 7})
    assert (await bob.expect("error", skip=NOISE))["code"] == "bad_frame"
    outsider = await connect()
    await outsider.send("get_profile", {"username": "bob"})
    assert (await outsider.expect("error", skip=NOISE))["code"] == "not_in_room"


async def test_an_account_renamed_on_its_settings_page_is_renamed_in_its_rooms(connect, joined):
    bob = await joined("general", "bob")
    ann, _ = await account_in(connect, "general", "ann")
    await bob.expect("member_list", skip=JOINED)

    assert await rename("ann", "anna") == 1

    notice = await bob.expect("system_message", skip=LOBBY_NOISE)
    assert (notice["kind"], notice["text"]) == ("rename", "ann is now anna")
    listing = await bob.expect("member_list", skip=LOBBY_NOISE)
    assert (listing["members"], listing["accounts"]) == (["bob", "anna"], ["anna"])
    assert (await ann.expect("renamed", skip=NOISE))["username"] == "anna"
    assert (await ann.say("new name"))["username"] == "anna"
    # The old name is free again; the new one is reserved.
    guest = await connect()
    await guest.send("join_room", {"room_name": "tech", "username": "anna"})
    assert (await guest.expect("error", skip=NOISE))["code"] == "username_reserved"
    assert (await guest.join("tech", "ann"))["username"] == "ann"


async def test_a_rename_keeps_the_old_name_where_a_guest_already_goes_by_the_new_one(connect, joined):
    zed = await joined("general", "zed")
    ann, _ = await account_in(connect, "general", "ann")
    await zed.expect("member_list", skip=JOINED)
    assert await rename("ann", "zed") == 0
    assert "system_message" not in await zed.events(skip=LOBBY_NOISE)
    assert (await ann.say("still ann here"))["username"] == "ann"
