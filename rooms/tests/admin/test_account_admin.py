"""Accounts in the admin: a moderator deactivates one (its open sockets and sessions end at once) or clears its profile."""

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chatsite.accounts.models import User
from rooms import services
from rooms.identity import Actor
from rooms.models import AuditEntry
from rooms.tests.admin.steps import ChangeList, read_until_closed
from rooms.tests.support import images
from rooms.tests.support.accounts import log_in, session_of, sign_up, user_pk
from rooms.tests.support.client import LOBBY_NOISE

pytestmark = pytest.mark.django_db(transaction=True)


async def test_deactivating_an_account_closes_its_sockets_and_ends_its_sessions(staff, connect, joined):
    bob = await joined("general", "bob")
    laptop_browser = await sign_up(None, "ann")
    laptop = await connect(session=session_of(laptop_browser))
    await laptop.join("general")
    phone = await connect(session=session_of(await log_in("ann")))
    await bob.events(skip=LOBBY_NOISE)

    listing = ChangeList((await staff.get("/admin/accounts/user/", q="ann")).content.decode())
    assert [row["username"] for row in listing.rows] == ["ann"]
    user = await user_pk("ann")
    response = await staff.post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [user], "index": 0}
    )
    assert response.status_code == 302

    for socket in (laptop, phone):
        frames, code = await read_until_closed(socket)
        assert code == 4015
        assert ("signed_out", {"reason": "Your account was deactivated by a moderator."}) in frames
    assert "system_message" in await bob.events(skip=LOBBY_NOISE)  # "ann left"
    # Her browser is no longer logged in: the next page is a guest's.
    page = (await database_sync_to_async(laptop_browser.get)("/")).content.decode()
    assert "Log in" in page and "Signed in as" not in page
    assert (
        await database_sync_to_async(AuditEntry.objects.filter(action="account_deactivate", target="ann").count)() == 1
    )
    assert "Deactivated: 1." in await staff.page_messages()


async def test_unticking_active_on_the_change_form_does_the_same(staff, connect):
    browser = await sign_up(None, "cy")
    socket = await connect(session=session_of(browser))
    user = await user_pk("cy")
    form = (await staff.get(f"/admin/accounts/user/{user}/change/")).content.decode()
    assert 'name="is_active"' in form
    response = await staff.post(
        f"/admin/accounts/user/{user}/change/",
        {
            "username": "cy",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    _, code = await read_until_closed(socket)
    assert code == 4015


async def test_a_moderator_takes_an_avatar_and_about_line_away_and_the_room_sees_it_at_once(staff, connect, joined):
    bob = await joined("general", "bob")
    ann = await connect(session=session_of(await sign_up(None, "ann")))
    await ann.join("general")

    @database_sync_to_async
    def offensive_profile() -> None:
        user = User.objects.get(username="ann")
        me = Actor(guest_key=f"user-{user.pk}", user_id=user.pk)
        services.profile_set_about(user=user, about="something offensive")
        picture = SimpleUploadedFile("x.png", images.halves(40, 40), content_type="image/png")
        services.avatar_set(user=user, actor=me, upload=picture)

    await offensive_profile()
    listing = await bob.expect("member_list", skip=(*LOBBY_NOISE, "system_message"), where=lambda d: d["avatars"])
    assert list(listing["avatars"]) == ["ann"]

    user = await user_pk("ann")
    form = (await staff.get(f"/admin/accounts/user/{user}/change/")).content.decode()
    assert "something offensive" in form and "-256.webp" in form
    response = await staff.post(
        "/admin/accounts/user/", {"action": "clear_profile", "_selected_action": [user], "index": 0}
    )
    assert response.status_code == 302

    listing = await bob.expect("member_list", skip=LOBBY_NOISE)
    assert listing["accounts"] == ["ann"] and listing["avatars"] == {}
    await bob.send("get_profile", {"username": "ann"})
    card = await bob.expect("profile", skip=(*LOBBY_NOISE, "member_list"))
    assert card["about"] == "" and card["avatar"] is None
    actions = await database_sync_to_async(
        lambda: set(AuditEntry.objects.filter(target="ann").values_list("action", flat=True))
    )()
    assert {"about_remove", "avatar_remove"} <= actions
    assert "Cleared: 1." in await staff.page_messages()


def _change_form(username: str) -> dict:
    return {
        "username": username,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }


async def test_a_rename_on_the_change_form_is_seen_in_the_accounts_rooms(staff, connect, joined):
    bob = await joined("general", "bob")
    socket = await connect(session=session_of(await sign_up(None, "cy")))
    await socket.join("general")
    await bob.events(skip=LOBBY_NOISE)
    user = await user_pk("cy")

    response = await staff.post(f"/admin/accounts/user/{user}/change/", _change_form("cyd"))

    assert response.status_code == 302, response.content.decode()[:3000]
    notice = await bob.expect("system_message", skip=LOBBY_NOISE)
    assert (notice["kind"], notice["text"]) == ("rename", "cy is now cyd")
    assert (await socket.expect("renamed", skip=LOBBY_NOISE))["username"] == "cyd"
    assert await database_sync_to_async(User.objects.filter(username="cyd").count)() == 1
    assert await database_sync_to_async(AuditEntry.objects.filter(action="account_rename", target="cyd").count)() == 1


async def test_the_change_form_refuses_a_look_alike_of_another_account(staff):
    await sign_up(None, "ann")
    await sign_up(None, "cy")
    user = await user_pk("cy")
    # A Cyrillic "а" passes for ann's name.
    response = await staff.post(f"/admin/accounts/user/{user}/change/", _change_form("\u0430nn"))
    assert response.status_code == 200
    assert "looks just like it" in response.content.decode()
    assert await database_sync_to_async(User.objects.filter(username="cy").count)() == 1
