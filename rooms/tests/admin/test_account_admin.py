"""Accounts in the admin: a moderator deactivates one, and its open sockets and sessions end at once."""

import pytest
from channels.db import database_sync_to_async

from rooms.models import AuditEntry
from rooms.tests.admin.steps import ChangeList, read_until_closed
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
