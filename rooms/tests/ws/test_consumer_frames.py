"""The WebSocket contract, driven through the real ASGI application: malformed and binary
frames get a stable error code, and nobody else notices."""

import json

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


# --- malformed frames ---------------------------------------------------------------

BAD_FRAMES = [
    ("not json", "bad_frame"),
    ("[1, 2, 3]", "bad_frame"),
    ('"just a string"', "bad_frame"),
    ("{}", "bad_frame"),
    ('{"event": 5}', "bad_frame"),
    ('{"event": "send_message", "data": []}', "bad_frame"),
    ('{"event": "send_message", "data": {"text": 5}}', "bad_frame"),
    ('{"event": "send_message", "data": {}}', "bad_frame"),
    ('{"event": "join_room", "data": {"room_name": "general", "create": "yes"}}', "bad_frame"),
    ('{"event": "history", "data": {"before_id": true}}', "bad_frame"),
    ('{"event": "history", "data": {"before_id": -3}}', "bad_frame"),
    ('{"event": "send_message", "data": {"text": "a", "client_id": "' + "x" * 65 + '"}}', "bad_frame"),
    ('{"event": "x", "data": {"a": {"b": {"c": {"d": {}}}}}}', "bad_frame"),
    ("[" * 5000 + "]" * 5000, "bad_frame"),
    ('{"event": "fly_to_the_moon", "data": {}}', "unknown_event"),
    ('{"event": "' + "y" * 70000 + '"}', "frame_too_large"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
async def test_malformed_frames_get_a_stable_code_and_nobody_else_notices(joined, frame, code):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    await ann.collect()
    await ann.send_raw(frame)
    error = await ann.expect("error")
    assert error["code"] == code
    assert error["message"]
    assert await bob.events() == []
    # Still usable.
    assert (await ann.say("still here"))["text"] == "still here"


async def test_binary_frames_are_refused(joined):
    ann = await joined()
    await ann.send_raw(binary=b"\x00\x01binary")
    assert (await ann.expect("error"))["code"] == "bad_frame"
    assert (await ann.say("ok"))["text"] == "ok"


async def test_error_frames_are_valid_json_objects(connect):
    ann = await connect()
    await ann.send_raw("nope")
    raw = await ann.communicator.receive_from()
    frame = json.loads(raw)
    assert frame["event"] == "error"
    assert set(frame["data"]) >= {"code", "message"}
