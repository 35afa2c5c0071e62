"""Admission at the handshake over a real daphne (rooms/ws/admission.py): while more than
WS_HANDSHAKE_QUEUE_MAX database calls are outstanding, a new socket waits its turn (daphne holds the
upgrade request up to WS_HANDSHAKE_WAIT_SECONDS, rooms/ws/daphne.py) or, past that or with no wait, is
refused as "try again" (and so is a Socket.IO long-polling handshake), the sockets already open keep going,
and once the process catches up it lets them in."""

import asyncio
import re
import socket
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
        # Answered before daphne builds anything for the socket (rooms/ws/daphne.py pace_upgrades)
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
    with sqlite_server(tmp_path, WS_HANDSHAKE_QUEUE_MAX=str(QUEUE_MAX), WS_HANDSHAKE_WAIT_SECONDS="0") as server:
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


def upgrade_and_hang_up(host: str, port: int) -> int:
    """Send a WebSocket upgrade request and close the connection unanswered; the local port it came from."""
    with socket.create_connection((host, port), timeout=10) as raw:
        raw.sendall(
            f"GET /ws/chat/ HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{host}:{port}\r\n\r\n".encode()
        )
        return raw.getsockname()[1]


async def test_a_handshake_while_the_process_is_behind_waits_its_turn_unless_it_waits_too_long(tmp_path):
    wait = 3
    with sqlite_server(tmp_path, WS_HANDSHAKE_QUEUE_MAX=str(QUEUE_MAX), WS_HANDSHAKE_WAIT_SECONDS=str(wait)) as server:
        joiners = [await WSClient(server.ws_url, name=f"j{n}").open() for n in range(JOINERS)]
        for joiner in joiners:
            await joiner.expect("inbox")
        host, port = server.ws_url.split("//")[1].split("/")[0].split(":")

        with database_write_lock(server.env["DATABASE_URL"]):
            for n, joiner in enumerate(joiners):
                await joiner.send("join_room", {"room_name": "general", "username": f"joiner{n}"})
            deadline = time.monotonic() + 10
            while "holding handshakes" not in server.log():  # the process is behind: newcomers are held
                assert time.monotonic() < deadline, "no handshake was held with the database thread backed up"
                probe = asyncio.create_task(refused(server.ws_url))
                await asyncio.sleep(0.2)
                probe.cancel()
            # Held past its wait: answered "try again later" as before.
            started = time.monotonic()
            assert await refused(server.ws_url)
            assert time.monotonic() - started >= wait - 0.5  # answered when its wait ran out, not at once
            # One that hangs up while held costs nothing once the process catches up.
            quitter = await asyncio.to_thread(upgrade_and_hang_up, host, int(port))
            # And one that waits its turn is let in once the process catches up.
            upgraded = server.log().count("WSCONNECTING")
            newcomer = asyncio.create_task(WSClient(server.ws_url, name="late").open())
            await asyncio.sleep(0.5)
            assert not newcomer.done()  # neither refused nor open while the database is held
            assert server.log().count("WSCONNECTING") == upgraded  # held: daphne has not started on it

        late = await newcomer  # let in: not refused, no retry
        assert (await late.expect("room_list"))["rooms"] is not None
        for n, joiner in enumerate(joiners):
            assert (await joiner.expect("join_confirm", wait=20))["username"] == f"joiner{n}"
        confirm = await late.join("general", "late")
        assert confirm["members"] == [*(f"joiner{n}" for n in range(JOINERS)), "late"]
        for client in [*joiners, late]:
            await client.close()
        log = server.log()
        assert re.search(rf":{late.ws.local_address[1]} .*WSCONNECTING", log)
        assert not re.search(rf":{quitter} .*WSCONNECTING", log)  # never upgraded: dropped while held
        assert "holding handshakes until the database thread catches up" in log


async def test_a_burst_of_handshakes_on_an_idle_process_is_let_in_at_the_database_threads_pace(tmp_path):
    burst = 24  # all at once, as a restarted server's pages come back: far more openings than QUEUE_MAX
    with sqlite_server(tmp_path, WS_HANDSHAKE_QUEUE_MAX=str(QUEUE_MAX), WS_HANDSHAKE_WAIT_SECONDS="30") as server:
        clients = await asyncio.gather(*(WSClient(server.ws_url, name=f"b{n}").open() for n in range(burst)))
        for client in clients:
            assert (await client.expect("inbox", wait=20))["conversations"] == []  # every one let in, none refused
        confirm = await clients[0].join("general", "burst0")
        assert confirm["members"] == ["burst0"]
        for client in clients:
            await client.close()
        log = server.log()
        # The process was idle when the burst came, so nothing was behind yet; each upgrade was still counted
        # against the database thread's room and the rest held, not let in at once and refused by the check after.
        assert "holding handshakes until the database thread catches up" in log
        assert "refusing handshakes" not in log
        assert log.count("WSCONNECTING") == burst  # one upgrade each: nobody had to retry


async def test_with_a_queue_bound_of_zero_handshakes_still_get_in_one_at_a_time(tmp_path):
    # WS_HANDSHAKE_QUEUE_MAX=0: not let in while any database call is outstanding, so one opening at a time.
    with sqlite_server(tmp_path, WS_HANDSHAKE_QUEUE_MAX="0", WS_HANDSHAKE_WAIT_SECONDS="30") as server:
        clients = await asyncio.gather(*(WSClient(server.ws_url, name=f"z{n}").open() for n in range(6)))
        for client in clients:
            assert (await client.expect("inbox", wait=20))["conversations"] == []
        for client in clients:
            await client.close()
        assert server.log().count("WSCONNECTING") == 6
        assert "refusing handshakes" not in server.log()
