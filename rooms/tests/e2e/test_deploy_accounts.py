"""Sign-in state on a cluster: logged in through one daphne process, the socket on another knows it.

Two processes on Redis and PostgreSQL, as docs/deploy.md runs them; the
browser is real HTTP with a cookie jar (every port of 127.0.0.1 shares its cookies).
"""

import asyncio

import pytest
import websockets

from rooms.tests.support.accounts import WebBrowser
from rooms.tests.support.client import NOISE, WSClient

pytestmark = pytest.mark.integration


async def closed_with(client: WSClient) -> tuple[list[str], int]:
    events = []
    try:
        while True:
            events.append((await client.receive(wait=10))[0])
    except websockets.ConnectionClosed as closed:
        return events, closed.rcvd.code if closed.rcvd else None


async def test_logged_in_on_one_process_the_socket_on_another_is_the_account(cluster):
    one, two = cluster(2, backend="redis-postgres")
    laptop = WebBrowser(one.url)
    await asyncio.to_thread(laptop.sign_up, "ann")

    socket = await WSClient(two.ws_url, cookie=await asyncio.to_thread(laptop.cookie), name="ann").open()
    confirm = await socket.join("general")
    assert (confirm["username"], confirm["account"]) == ("ann", True)
    written = await socket.say("from process two")
    assert written["author"] == confirm["author"]

    # A second device on the first process is the same person: one member, and its message is hers.
    phone = WebBrowser(one.url)
    await asyncio.to_thread(
        phone.post_form, "/accounts/login/", {"login": "ann", "password": "a long and unusual pass phrase 7"}
    )
    other = await WSClient(one.ws_url, cookie=await asyncio.to_thread(phone.cookie), name="phone").open()
    second = await other.join("general")
    assert second["members"] == ["ann"] and second["author"] == confirm["author"]
    assert [m["author"] for m in second["history"] if m["id"] == written["id"]] == [confirm["author"]]
    # A guest on process two cannot take her name, though she is a member on both processes.
    guest = await WSClient(two.ws_url, name="guest").open()
    await guest.send("join_room", {"room_name": "tech", "username": "ann"})
    assert (await guest.expect("error", skip=NOISE))["code"] == "username_reserved"

    # Logging out through process one closes the laptop's socket on process two, and only that one.
    await asyncio.to_thread(laptop.log_out)
    events, code = await closed_with(socket)
    assert code == 4015 and "signed_out" in events
    assert (await other.say("the phone is still ann"))["username"] == "ann"
    for client in (other, guest):
        await client.close()
