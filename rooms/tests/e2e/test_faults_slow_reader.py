"""Nothing is lost or shown twice in a burst past the channel layer's capacity, with slow
readers.

Real daphne processes and clients that behave like the chat page, checked against the
database: see fault_steps.py. `integration` variants run on Redis and PostgreSQL.
"""

import asyncio
import json
import os
import signal
import socket
from urllib.parse import urlsplit

import pytest
import websockets

from rooms.tests.e2e.fault_steps import ROOM, SCRIPTED, assert_delivered, database_url, settle, stop_all, user
from rooms.tests.support.servers import ChatServer

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
