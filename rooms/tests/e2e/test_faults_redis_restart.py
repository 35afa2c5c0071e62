"""Nothing is lost or shown twice when Redis restarts mid-chat.

Real daphne processes and clients that behave like the chat page, checked against the
database: see fault_steps.py. `integration` variants run on Redis and PostgreSQL.
"""

import asyncio
import contextlib
import os
import socket
import subprocess
from urllib.parse import urlsplit

import pytest
import websockets

from rooms.tests.e2e.fault_steps import ROOM, SCRIPTED, assert_delivered, database_url, settle, stop_all, talk, user
from rooms.tests.support.client import WSClient, updated_rooms

# --- 2. Redis restarts ------------------------------------------------------------


async def watch_count(lobby: WSClient, counts: list[int]) -> None:
    """Record every member count of ROOM that a lobby socket is told."""
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:
            name, data = await lobby.receive(wait=3600)
            counts.extend(room["users"] for room in updated_rooms(name, data) if room["name"] == ROOM)


def redis_address() -> tuple[str, str]:
    parts = urlsplit(os.environ["REDIS_URL"])
    return parts.hostname or "127.0.0.1", str(parts.port or 6379)


def redis_up(host: str, port: str) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=0.5) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")
    return False


def redis_start(host: str, port: str) -> None:
    """Start the machine's Redis again the way .ci/run does, and wait until it answers."""
    if redis_up(host, port):
        return
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", host, "--port", port, "--save", ""], check=True, timeout=30
    )
    for _ in range(100):
        if redis_up(host, port):
            return
        subprocess.run(["sleep", "0.1"], check=True)
    raise RuntimeError(f"Redis did not come back on {host}:{port}")


def redis_stop(host: str, port: str) -> None:
    subprocess.run(["redis-cli", "-h", host, "-p", port, "SHUTDOWN", "NOSAVE"], capture_output=True, timeout=30)
    for _ in range(100):
        if not redis_up(host, port):
            return
        subprocess.run(["sleep", "0.1"], check=True)
    raise RuntimeError("Redis did not stop")


@pytest.fixture
def redis_restartable():
    """Whatever happens in the test, Redis is running again afterwards."""
    host, port = redis_address()
    yield host, port
    redis_start(host, port)


@pytest.mark.integration
async def test_redis_restart_mid_chat_loses_nothing(cluster, redis_restartable):
    """Redis goes away for a few seconds while people chat: servers keep serving, clients catch up."""
    host, port = redis_restartable
    one, two = cluster(2, backend="redis-postgres", **SCRIPTED)
    db_url = database_url(one)
    ann = await user("ann", [one])
    bob = await user("bob", [one])
    cat = await user("cat", [two])
    dan = await user("dan", [two])
    talkers = [ann, bob, cat, dan]
    lobby = await WSClient(one.ws_url, name="lobby").open()  # someone on the home page
    counts = []
    watching = asyncio.get_running_loop().create_task(watch_count(lobby, counts))

    chatting = asyncio.gather(*(talk(u, 30, 0.15) for u in talkers))
    try:
        await asyncio.sleep(1)
        await asyncio.to_thread(redis_stop, host, port)
        # During the outage a newcomer opens the room and speaks.
        fay = await user("fay", [two])
        await fay.say("hello while Redis is down")
        await asyncio.sleep(2)
    finally:
        await asyncio.to_thread(redis_start, host, port)
    await chatting

    everyone = [*talkers, fay]
    rows = await settle(everyone, db_url)
    assert_delivered(everyone, rows, everything=everyone, late=(fay,))
    assert len(rows) == 121
    assert all(u.connections == 1 for u in everyone), "a socket dropped"
    assert all("channel layer unavailable" in server.log() for server in (one, two)), "Redis never went away"
    # Redis is back for real: a message now travels between processes at once.
    await ann.say("after the restart")
    await settle(everyone, db_url, within=3)

    # fay's arrival was announced while Redis was down; once it is back, everyone knows of her.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while sorted(ann.members) != ["ann", "bob", "cat", "dan", "fay"] or counts[-1:] != [5]:
        assert loop.time() < deadline, f"stale after the outage: members {ann.members}, lobby counts {counts}"
        await asyncio.sleep(0.1)
    watching.cancel()
    await lobby.close()
    await stop_all(everyone)
