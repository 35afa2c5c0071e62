"""Admission at the handshake over a real daphne (rooms/ws/admission.py): while more than
WS_HANDSHAKE_QUEUE_MAX database calls are outstanding, a new socket (and a Socket.IO long-polling
handshake) is refused as "try again" at once, the sockets already open keep going, and once the process catches up it lets them in."""

import asyncio
import time
import urllib.error
import urllib.request

import websockets

from rooms.tests.support.client import WSClient
from rooms.tests.support.servers import database_write_lock, sqlite_server

QUEUE_MAX = 2
JOINERS = 4  # their joins wait on the database: more calls outstanding than QUEUE_MAX


async def refused(url: str) -> bool:
    """Open a socket: True if the handshake is refused (503 "try again later"), False if it opens."""
    try:
        client = await WSClient(url, name="newcomer").open()
    except websockets.InvalidStatus as refusal:
        # Answered before daphne builds anything for the socket (rooms/ws/daphne.py refuse_upgrades_while_behind)
        assert refusal.response.status_code == 503 and b"Try again later" in refusal.response.body
        assert refusal.response.headers["Retry-After"] == "1"
        return True
    await client.close()
    return False


def polling_refused(base_url: str) -> bool:
    """A Socket.IO long-polling handshake: True if refused "try again later" (503), False if it opens a session."""
    try:
        with urllib.request.urlopen(f"{base_url}/socket.io/?EIO=4&transport=polling", timeout=30) as answer:
            assert answer.read().startswith(b"0{")  # Engine.IO's open packet
            return False
    except urllib.error.HTTPError as refusal:
        assert refusal.code == 503 and b"Try again later" in refusal.read()
        return True


async def test_a_process_behind_on_its_database_refuses_handshakes_until_it_catches_up(tmp_path):
    with sqlite_server(tmp_path, WS_HANDSHAKE_QUEUE_MAX=str(QUEUE_MAX)) as server:
        joiners = [await WSClient(server.ws_url, name=f"j{n}").open() for n in range(JOINERS)]
        for joiner in joiners:
            await joiner.expect("inbox")  # its connect's reads are done: nothing outstanding for it
        assert not await refused(server.ws_url)  # a quiet process lets a socket in

        with database_write_lock(server.env["DATABASE_URL"]):
            for n, joiner in enumerate(joiners):
                await joiner.send("join_room", {"room_name": "general", "username": f"joiner{n}"})
            # The first join waits for the write lock on the database thread, the others behind it.
            deadline = time.monotonic() + 10
            while not await refused(server.ws_url):
                assert time.monotonic() < deadline, "a handshake was let in with the database thread backed up"
                await asyncio.sleep(0.05)
            assert await refused(server.ws_url)  # and the next one too, while it stays behind
            assert await asyncio.to_thread(polling_refused, server.url)  # and Socket.IO's long-polling handshake

        # Caught up: the joins that waited go through, none lost, and newcomers are let in again.
        for n, joiner in enumerate(joiners):
            confirm = await joiner.expect("join_confirm", wait=20)
            assert confirm["username"] == f"joiner{n}"
        deadline = time.monotonic() + 10
        while await refused(server.ws_url):
            assert time.monotonic() < deadline, "still refusing once the database thread had caught up"
            await asyncio.sleep(0.05)
        assert not await asyncio.to_thread(polling_refused, server.url)
        newcomer = await WSClient(server.ws_url, name="late").open()
        assert (await newcomer.expect("room_list"))["rooms"]
        assert (await newcomer.join("general", "late"))["members"] == [*(f"joiner{n}" for n in range(JOINERS)), "late"]
        for client in [*joiners, newcomer]:
            await client.close()
        assert "refusing handshakes (try again)" in server.log()
