"""Flooding against real daphne (docs/security.md): the flooder is cut off once and
disconnected, memory stays bounded, and another member keeps chatting."""

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
import websockets

from rooms.tests.support.docs import documented_close_codes

pytestmark = pytest.mark.django_db(transaction=True)


# --- 8. Flood against real daphne -------------------------------------------------------------


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def flood(ws, frames: int) -> int | None:
    """Send `frames` frames as fast as the socket takes them; the close code the server gave."""
    frame = json.dumps({"event": "send_message", "data": {"text": "spam " * 200}})

    async def read_until_closed():
        # Keep reading, or the client stops at its queue limit and never sees the Close frame.
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in ws:
                pass

    reader = asyncio.create_task(read_until_closed())
    with contextlib.suppress(websockets.ConnectionClosed):
        for _ in range(frames):
            await ws.send(frame)
    await asyncio.wait_for(reader, 30)
    return ws.close_code


async def chat(ws, count: int) -> list[str]:
    """Send `count` messages a tenth of a second apart; the texts of ours that came back."""
    received: list[str] = []

    async def send():
        for i in range(count):
            await ws.send(json.dumps({"event": "send_message", "data": {"text": f"calm {i}"}}))
            await asyncio.sleep(0.1)

    sender = asyncio.create_task(send())
    while len(received) < count:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert frame["event"] != "error", frame
        if frame["event"] == "receive_message" and frame["data"]["username"] == "calm":
            received.append(frame["data"]["text"])
    await sender
    return received


async def test_a_flooder_is_disconnected_while_another_member_keeps_chatting(clean_log):
    url, origin = clean_log.ws_url, clean_log.url
    async with websockets.connect(url, origin=origin) as calm, websockets.connect(url, origin=origin) as flooder:
        for ws, name in ((calm, "calm"), (flooder, "flood")):
            await ws.send(json.dumps({"event": "join_room", "data": {"room_name": "general", "username": name}}))
            while json.loads(await asyncio.wait_for(ws.recv(), 10))["event"] != "join_confirm":
                pass
        rss_before = rss_kb(clean_log.process.pid)
        warnings_before = clean_log.log().count("for flooding")
        closed_with, received = await asyncio.gather(flood(flooder, 20_000), chat(calm, 10))
        assert closed_with == 4008
        # Cut off once: the thousands of frames still in flight are not read, answered or logged.
        assert clean_log.log().count("for flooding") - warnings_before == 1
        assert 4008 in documented_close_codes()
        assert received == [f"calm {i}" for i in range(10)]
    rss_after = rss_kb(clean_log.process.pid)
    assert rss_after < rss_before * 3 + 50_000, (rss_before, rss_after)
