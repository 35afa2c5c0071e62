"""Hostile frames through the consumer (docs/security.md): deep nesting, NaN, duplicate keys,
lone surrogates, NUL, huge numbers and wrong types each get a documented error code, and
the socket stays usable."""

import pytest
from channels.db import database_sync_to_async

from rooms.models import Message
from rooms.tests.support.docs import documented_codes
from rooms.tests.ws.security_steps import NOISE

pytestmark = pytest.mark.django_db(transaction=True)


# --- 2. Limits: hostile frames through the consumer --------------------------------------


def deep(levels: int) -> str:
    return '{"event": "typing", "data": ' + '{"a": ' * levels + "1" + "}" * (levels + 1)


HOSTILE_FRAMES = [
    pytest.param(deep(9_000), "bad_frame", id="nested-9000-objects"),
    pytest.param("[" * 10_000 + "]" * 10_000, "bad_frame", id="nested-10000-arrays"),
    pytest.param(
        '{"event": "typing", "data": {"a": ' + "[" * 30_000 + "]" * 30_000 + "}}", "bad_frame", id="nested-30000"
    ),
    pytest.param(deep(4), "bad_frame", id="nested-5-levels"),
    pytest.param('{"event": "history", "data": {"limit": NaN}}', "bad_frame", id="nan"),
    pytest.param('{"event": "history", "data": {"limit": Infinity}}', "bad_frame", id="infinity"),
    pytest.param('{"event": "typing", "data": {"x": -Infinity}}', "bad_frame", id="nan-in-unknown-field"),
    pytest.param('{"event": "typing", "event": "leave_room"}', "bad_frame", id="duplicate-event"),
    pytest.param('{"event": "send_message", "data": {"text": "a", "text": "b"}}', "bad_frame", id="duplicate-field"),
    pytest.param('{"event": "send_message", "data": {"text": "\\ud800"}}', "bad_frame", id="lone-surrogate"),
    pytest.param('{"event": "send_message", "data": {"text": "a\\udfff b"}}', "bad_frame", id="lone-low-surrogate"),
    pytest.param('{"event": "typing", "data": {"\\ud800": 1}}', "bad_frame", id="surrogate-key"),
    pytest.param('{"event": "send_message", "data": {"text": "a\\u0000b"}}', "bad_frame", id="nul"),
    pytest.param('{"event": "send_message", "data": {"text": "x", "client_id": "\\u0000"}}', "bad_frame", id="nul-id"),
    pytest.param('{"event": "history", "data": {"limit": ' + "9" * 5000 + "}}", "bad_frame", id="5000-digit-int"),
    pytest.param(
        '{"event": "history", "data": {"before_id": 99999999999999999999}}', "bad_frame", id="int-over-64-bit"
    ),
    pytest.param('{"event": "history", "data": {"limit": 1e308}}', "bad_frame", id="float-for-int"),
    pytest.param('{"event": "history", "data": {"limit": true}}', "bad_frame", id="bool-for-int"),
    pytest.param('{"event": "send_message", "data": {"text": 5}}', "bad_frame", id="int-for-string"),
    pytest.param('{"event": "send_message", "data": {"text": ["a"]}}', "bad_frame", id="list-for-string"),
    pytest.param('{"event": "send_message", "data": []}', "bad_frame", id="list-for-data"),
    pytest.param('{"event": 7}', "bad_frame", id="int-event"),
    pytest.param('{"event": "__init__"}', "unknown_event", id="dunder-event"),
    pytest.param('{"event": "receive"}', "unknown_event", id="method-name-event"),
    pytest.param('{"event": "send_message", "data": {"text": "' + "x" * 60_000 + '"}}', "message_too_long", id="60k"),
    pytest.param('{"event": "send_message", "data": {"text": "' + "x" * 70_000 + '"}}', "frame_too_large", id="70k"),
    pytest.param("\ufeff{}", "bad_frame", id="bom"),
    pytest.param("   ", "bad_frame", id="whitespace"),
]


@pytest.mark.parametrize("frame, code", HOSTILE_FRAMES)
async def test_hostile_frames_get_a_defined_code_and_the_socket_stays_usable(joined, caplog, frame, code):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.send_raw(frame)
    error = await ann.expect("error", skip=NOISE)
    assert error["code"] == code
    assert error["code"] in documented_codes()
    assert (await ann.say("still here"))["text"] == "still here"
    assert [name for name, _ in await bob.collect() if name not in NOISE] == ["receive_message"]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info]
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_a_paired_surrogate_emoji_is_fine(joined):
    ann = await joined("general", "ann")
    await ann.send_raw('{"event": "send_message", "data": {"text": "\\ud83d\\ude00"}}')
    assert (await ann.expect("receive_message", skip=NOISE))["text"] == "\U0001f600"
