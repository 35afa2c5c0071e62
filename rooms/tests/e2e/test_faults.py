"""Nothing a user sent or should have seen is lost or shown twice, whatever breaks.

Each test runs real daphne processes and real clients that behave like the
chat page (rooms/tests/wsclient.py ChatUser: reconnect, `since_id`, resend
unacknowledged `client_id`s), breaks something, and then compares what every
client received with what the database holds. The integration variants run on
Redis and PostgreSQL (`-m integration`); the SQLite variants run in the plain
suite where the fault makes sense without Redis.
"""

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
from collections import Counter
from urllib.parse import urlsplit

import pytest
import websockets

from rooms.tests.support.client import ChatUser, WSClient, session_cookie, updated_rooms
from rooms.tests.support.servers import ChatServer, query, room_messages

ROOM = "general"
PRESENCE_TIMEOUT = 3.0
# The clients here are scripts and type faster than people; flood control has its own tests.
SCRIPTED = {"RATE_LIMIT_BURST": "100000", "FRAME_RATE_BURST": "100000"}
BACKENDS = ["sqlite", pytest.param("redis-postgres", marks=pytest.mark.integration)]


def database_url(server: ChatServer) -> str:
    return server.env["DATABASE_URL"]


async def user(name: str, servers: list[ChatServer], **options) -> ChatUser:
    """A new tab with its own session, joined to ROOM on the first of `servers`."""
    cookie = await asyncio.to_thread(session_cookie, servers[0].url)
    return await ChatUser(name, ROOM, [server.ws_url for server in servers], cookie=cookie, **options).start()


async def talk(who: ChatUser, count: int, pace: float) -> None:
    for number in range(count):
        await who.say(f"{who.name} says {number}")
        await asyncio.sleep(pace)


async def settle(users: list[ChatUser], db_url: str, *, within: float = 60) -> list[tuple]:
    """Wait until every message is acknowledged and every user has as many as the database; return the rows."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        rows = await asyncio.to_thread(room_messages, db_url, ROOM)
        ids = {row[0] for row in rows}
        if all(not u.unacked and ids <= {m["id"] for m in u.received} for u in users):
            return rows
        if loop.time() > deadline:
            state = {u.name: (len(u.received), sorted(u.unacked)[:5], u.errors[:3]) for u in users}
            raise AssertionError(f"not settled after {within}s: {len(rows)} in the database; {state}")
        await asyncio.sleep(0.2)


def assert_delivered(
    users: list[ChatUser], rows: list[tuple], *, everything: list[ChatUser], late: tuple[ChatUser, ...] = ()
) -> None:
    """0 lost, 0 duplicates: in the database and in every client's view.

    `users` sent every message in the room; each of `everything` must have been
    shown all of them (those in `late` joined later: the newest ones), in order, once.
    """
    stored = Counter(row[3] for row in rows)
    sent = [client_id for u in users for client_id in u.sent]
    assert sum(stored.values()) == len(sent), "messages in the room that nobody here sent, or missing ones"
    assert {cid for cid, n in stored.items() if n != 1} == set(), "a client_id stored twice"
    assert set(stored) == set(sent), f"lost: {sorted(set(sent) - set(stored))[:10]}"
    texts = {client_id: text for u in users for client_id, text in u.texts.items()}
    assert all(row[2] == texts[row[3]] for row in rows), "a message was stored with another text"
    ids = [row[0] for row in rows]
    for u in everything:
        got = [message["id"] for message in u.received]
        assert len(got) == len(set(got)), f"{u.name} was shown a message twice"
        expected = ids[ids.index(got[0]) :] if u in late and got else ids
        assert got == expected, f"{u.name} missed some, or got them out of order"
        shown = {message["id"]: message["text"] for message in u.received}
        assert all(shown[row[0]] == row[2] for row in rows if row[0] in shown), f"{u.name} was shown another text"
        assert u.errors == [], f"{u.name} got errors: {u.errors}"


async def stop_all(users: list[ChatUser]) -> None:
    for u in users:
        await u.stop()


# --- 1. a server process is killed ------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkill_mid_chat_loses_nothing(cluster, backend):
    """Clients on two processes chat; one is SIGKILLed; its clients resume on the other."""
    await chat_through_a_lost_process(cluster, backend, ChatServer.kill)


@pytest.mark.integration
async def test_rolling_restart_mid_chat_loses_nothing(cluster):
    """The same with SIGTERM, as `systemctl restart chatsite@PORT` does it (docs/deploy.md)."""
    await chat_through_a_lost_process(cluster, "redis-postgres", ChatServer.stop)


async def chat_through_a_lost_process(cluster, backend: str, lose) -> None:
    survivor, doomed = cluster(2, backend=backend, PRESENCE_TIMEOUT_SECONDS=str(PRESENCE_TIMEOUT), **SCRIPTED)
    db_url = database_url(survivor)
    ann = await user("ann", [survivor])
    bob = await user("bob", [survivor])
    cat = await user("cat", [doomed, survivor])
    dan = await user("dan", [doomed, survivor])
    eve = await user("eve", [doomed], reconnect=False)  # her tab goes with the process: a ghost
    talkers = [ann, bob, cat, dan]

    loop = asyncio.get_running_loop()
    chatting = asyncio.gather(*(talk(u, 20, 0.05) for u in talkers))
    await asyncio.sleep(0.5)
    await asyncio.to_thread(lose, doomed)
    lost_at = loop.time()
    await chatting

    rows = await settle(talkers, db_url)
    assert_delivered(talkers, rows, everything=talkers)
    assert len(rows) == 80
    assert cat.connections == dan.connections == 2, "cat and dan should have resumed on the survivor"

    # The ghost leaves within the presence timeout; cat and dan came back as themselves.
    while not any(n["kind"] == "leave" and n["username"] == "eve" for n in ann.notices):
        assert loop.time() - lost_at < PRESENCE_TIMEOUT + 6, "eve's ghost is still there"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    assert sorted(ann.members) == sorted(cat.members) == ["ann", "bob", "cat", "dan"]
    assert [n["username"] for n in ann.notices if n["kind"] == "leave"] == ["eve"]
    processes = await asyncio.to_thread(query, db_url, "SELECT pid FROM rooms_serverprocess")
    assert processes == [(survivor.process.pid,)], "the lost process is still registered"
    sockets = await asyncio.to_thread(query, db_url, "SELECT count(*) FROM rooms_connection")
    assert sockets == [(4,)], "connections of the lost process are left over"
    await stop_all([*talkers, eve])


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


# --- 3. a burst past the layer's capacity, with a slow reader ---------------------


async def slow_reader(server: ChatServer, name: str) -> websockets.ClientConnection:
    """A client whose socket barely buffers and that stops reading after joining."""
    parts = urlsplit(server.ws_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    ws = await websockets.connect(
        server.ws_url, sock=sock, origin=f"http://{parts.netloc}", max_queue=1, max_size=None, open_timeout=10
    )
    await ws.send(json.dumps({"event": "join_room", "data": {"room_name": ROOM, "username": name}}))
    return ws


async def drain(ws, want: int, *, within: float = 30) -> list[int]:
    """Read until `want` chat messages arrived; return their ids in arrival order."""
    ids = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while len(ids) < want:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - loop.time())))
        if frame["event"] == "receive_message":
            ids.append(frame["data"]["id"])
        assert frame["event"] != "error", frame
    return ids


@pytest.mark.parametrize(
    ("backend", "layer"),
    [
        ("sqlite", None),
        pytest.param("redis-postgres", "core", marks=pytest.mark.integration),
        pytest.param("redis-postgres", "pubsub", marks=pytest.mark.integration),
    ],
)
async def test_burst_past_layer_capacity_with_a_slow_reader(cluster, backend, layer):
    """150 messages as fast as two senders can post, through a small layer capacity, to stalled readers.

    Each process has a reader whose socket stops being read. With two processes
    the second one is also frozen (SIGSTOP) during the burst. On the core Redis
    layer its channel overflows and Redis drops what does not fit, as it does
    for a consumer that falls behind; its hub must get the rest from the
    database. The pub/sub layer has no queue to overflow: Redis holds what the
    frozen process has not read, up to its output buffer limit.
    """
    count = 2 if backend == "redis-postgres" else 1  # the embedded default is one process
    # A capacity of 5 channel-layer messages: the hub sends a burst as a few batches, not one message each.
    redis_layer = {"REDIS_CHANNEL_LAYER": layer} if layer else {}
    servers = cluster(count, backend=backend, CHANNEL_CAPACITY="5", **redis_layer, **SCRIPTED)
    db_url = database_url(servers[0])
    readers = [await slow_reader(server, f"reader{i}") for i, server in enumerate(servers)]
    await asyncio.sleep(0.5)  # joined; from here on nobody reads these sockets
    ann = await user("ann", [servers[0]])
    bob = await user("bob", [servers[0]])
    frozen = servers[1] if count == 2 else None

    if frozen is not None:
        os.kill(frozen.process.pid, signal.SIGSTOP)
    try:
        for number in range(75):  # fire without waiting for acks: a burst
            await ann.say(f"ann burst {number}")
            await bob.say(f"bob burst {number}")
        rows = await settle([ann, bob], db_url)
    finally:
        if frozen is not None:
            os.kill(frozen.process.pid, signal.SIGCONT)
    assert len(rows) == 150
    assert_delivered([ann, bob], rows, everything=[ann, bob])
    if layer == "core":
        assert "channels over capacity in group" in servers[0].log(), "the layer never overflowed"

    await asyncio.sleep(2)  # the readers stay stalled a while longer, then catch up
    ids = [row[0] for row in rows]
    for reader in readers:
        assert await drain(reader, 150) == ids
        await reader.close()
    await stop_all([ann, bob])


# --- 4. a client offline while others chat ----------------------------------------


@pytest.mark.parametrize(
    ("backend", "offline"),
    [("sqlite", 3.0), pytest.param("redis-postgres", 30.0, marks=pytest.mark.integration)],
)
async def test_offline_client_comes_back_with_everything_in_order(cluster, backend, offline):
    """A tab loses its connection for `offline` seconds and resumes with since_id."""
    servers = cluster(2 if backend == "redis-postgres" else 1, backend=backend, **SCRIPTED)
    db_url = database_url(servers[0])
    ann = await user("ann", [servers[0]])
    bob = await user("bob", [servers[-1]])
    liz = await user("liz", [servers[0]])
    await talk(ann, 3, 0.05)
    await settle([ann, bob, liz], db_url)

    await liz.go_offline()
    loop = asyncio.get_running_loop()
    gone_at = loop.time()
    turn = 0
    while loop.time() - gone_at < offline:
        await (ann if turn % 2 else bob).say(f"while liz is away {turn}")
        turn += 1
        await asyncio.sleep(0.25)
    assert turn >= 10

    await liz.come_back([servers[-1].ws_url])  # the load balancer may send her anywhere
    assert liz.resumed and liz.connections == 2
    rows = await settle([ann, bob, liz], db_url)
    assert len(rows) == 3 + turn
    assert_delivered([ann, bob, liz], rows, everything=[ann, bob, liz])
    await stop_all([ann, bob, liz])
