"""A socket that stops reading is closed once its backlog passes the cap, not buffered for a minute.

Real daphne, a raw client with a 4 KB receive buffer that joins a room and then
never reads again, and a chatter filling the room with large messages.
"""

import asyncio
import json

import pytest

from rooms.tests.support.client import WSClient
from rooms.tests.support.rawsocket import RawSocket
from rooms.tests.support.servers import query, sqlite_server

BACKLOG_CAP = 64 * 1024
TEXT = "x" * 50_000  # 50 KB a message: a few hundred of them fill any kernel buffer


@pytest.fixture
def server(tmp_path):
    with sqlite_server(
        tmp_path,
        WS_SEND_BACKLOG_MAX_BYTES=str(BACKLOG_CAP),
        MAX_MESSAGE_LENGTH="60000",
        RATE_LIMIT_BURST="100000",
        RATE_LIMIT_PER_SECOND="10000",
        FRAME_RATE_BURST="100000",
        FRAME_RATE_PER_SECOND="10000",
    ) as running:
        yield running


def sockets(server) -> int:
    return query(server.env["DATABASE_URL"], "SELECT COUNT(*) FROM rooms_connection")[0][0]


async def test_a_client_that_stops_reading_is_closed_and_the_room_goes_on(server):
    slow = await RawSocket.open(server.port, receive_buffer=4096)
    slow.frame(1, json.dumps({"event": "join_room", "data": {"room_name": "general", "username": "slow"}}).encode())
    assert (await slow.event())[0] == "join_confirm"  # and from here on it never reads
    ann = await WSClient(server.ws_url, name="ann").open()
    await ann.join("general", "ann")
    assert sockets(server) == 2

    sent = 0
    while "closing a socket that stopped reading" not in server.log() and sent < 400:
        await ann.send("send_message", {"text": TEXT, "client_id": f"c{sent}"})
        await ann.expect("ack", skip=("receive_message", "member_list", "system_message", "room_update"), wait=10)
        sent += 1
    assert sent < 400, "the socket that stopped reading was never closed"
    # Then it is dropped (its close frame sits behind the backlog) and leaves the room as any socket does.
    for _ in range(100):
        if sockets(server) == 1:
            break
        await asyncio.sleep(0.1)
    assert sockets(server) == 1
    # What the kernel's buffers hold, plus the cap: far less than the 20 MB the room said meanwhile.
    assert sent * len(TEXT) < 10 * 1024 * 1024, sent

    # The room goes on for everyone else, and nothing of ann's was lost on the way.
    await ann.send("send_message", {"text": "still here", "client_id": "last"})
    assert (await ann.expect("receive_message", where=lambda m: m.get("client_id") == "last"))["text"] == "still here"
    stored = query(server.env["DATABASE_URL"], "SELECT COUNT(*) FROM rooms_message")[0][0]
    assert stored == sent + 1
    await ann.close()
    slow.close()
