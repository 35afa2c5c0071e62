"""rooms/wire.py: frames built once per broadcast, written straight to daphne's sockets."""

import asyncio

import pytest
from websockets.frames import Frame, Opcode

from rooms.realtime.wire import Wire, text_frame
from rooms.tests.support.client import WSClient


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frame_matches_an_independent_encoder(size):
    text = ("é€😀a" * size)[:size]
    expected = Frame(Opcode.TEXT, text.encode("utf-8")).serialize(mask=False, extensions=[])
    assert text_frame(text) == expected


def test_no_wire_outside_daphne():
    async def send(message):
        return None

    assert Wire.of(send) is None


async def test_messages_through_daphne_arrive_whole_and_in_order(chat_server):
    """Over a real daphne socket: long, non-ASCII texts and a burst, exactly as sent."""
    ann = await WSClient(chat_server.ws_url, name="ann").open()
    bob = await WSClient(chat_server.ws_url, name="bob").open()
    try:
        await ann.join("wire-room", "ann", create=True)
        await bob.join("wire-room", "bob")
        texts = ["short", "é€😀 " * 500, "x" * 125, "y" * 126, *(f"burst {i}" for i in range(50))]
        for text in texts:
            await ann.send("send_message", {"text": text})
        got = []
        while len(got) < len(texts):
            data = await bob.expect(
                "receive_message",
                skip=("room_list", "inbox", "room_update", "room_updates", "member_list", "system_message"),
            )
            got.append(data["text"])
        assert got == [text.rstrip() for text in texts]
        # The socket is still healthy afterwards: a ping round-trips through daphne.
        await asyncio.wait_for(await bob.ws.ping(), 5)
    finally:
        await ann.close()
        await bob.close()
