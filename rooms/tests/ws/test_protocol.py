"""Frame parsing and encoding: every shape a client can send, and what comes back."""

import json
import subprocess
import sys

import pytest

from rooms.errors import ChatError
from rooms.payloads import encode, timestamp
from rooms.tests.support.servers import BASE_DIR
from rooms.ws.protocol import MAX_FRAME_CHARS, parse_frame


def frame(event, data=None):
    return json.dumps({"event": event, "data": data} if data is not None else {"event": event})


def test_a_valid_frame_gives_event_and_checked_data():
    event, data = parse_frame(frame("send_message", {"text": "hi", "client_id": "c1", "extra": [1]}))
    assert event == "send_message"
    assert data == {"text": "hi", "client_id": "c1"}  # unknown fields dropped


def test_data_may_be_omitted_or_null():
    assert parse_frame(frame("leave_room")) == ("leave_room", {})
    assert parse_frame('{"event": "leave_room", "data": null}') == ("leave_room", {})


def test_null_optional_fields_count_as_absent():
    assert parse_frame(frame("join_room", {"room_name": "general", "username": None})) == (
        "join_room",
        {"room_name": "general"},
    )


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "nope",
        "1",
        "null",
        "[]",
        '{"data": {}}',
        '{"event": ""}',
        '{"event": ["join_room"]}',
        '{"event": "join_room", "data": "general"}',
        '{"event": "join_room", "data": {}}',
        '{"event": "join_room", "data": {"room_name": 7}}',
        '{"event": "join_room", "data": {"room_name": "g", "since_id": 1.5}}',
        '{"event": "join_room", "data": {"room_name": "g", "since_id": false}}',
        '{"event": "history", "data": {"limit": 0}}',
        '{"event": "history", "data": {"before_id": 9223372036854775808}}',
        '{"event": "e", "data": {"a": [[[[1]]]]}}',
        "[" * 20_000 + "]" * 20_000,
    ],
)
def test_malformed_frames_are_bad_frame(raw):
    with pytest.raises(ChatError) as caught:
        parse_frame(raw)
    assert caught.value.code == "bad_frame"


def test_binary_is_bad_frame():
    with pytest.raises(ChatError) as caught:
        parse_frame(None, b"\x00")
    assert caught.value.code == "bad_frame"


def test_unknown_event():
    with pytest.raises(ChatError) as caught:
        parse_frame(frame("teleport", {}))
    assert caught.value.code == "unknown_event"


def test_oversized_frame_is_refused_before_parsing():
    with pytest.raises(ChatError) as caught:
        parse_frame(" " * (MAX_FRAME_CHARS + 1))
    assert caught.value.code == "frame_too_large"


def test_error_data_carries_code_message_and_extras():
    error = ChatError("rate_limited", retry_after=2.5)
    assert error.as_data() == {"code": "rate_limited", "message": "You are sending too fast.", "retry_after": 2.5}


def test_encode_keeps_unicode_and_is_compact():
    text = encode("receive_message", {"text": "héllo 👋"})
    assert text == '{"event":"receive_message","data":{"text":"héllo 👋"}}'


def test_timestamps_are_utc_with_z():
    from datetime import datetime, timedelta, timezone

    moment = datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=timezone(timedelta(hours=2)))
    assert timestamp(moment) == "2026-01-02T01:04:05.678Z"


def test_the_frame_protocol_can_be_shared_by_a_client_without_django():
    """rooms.ws.protocol (and the errors and payloads it uses) import nothing of Django."""
    code = (
        "import sys; import rooms.ws.protocol as p; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'channels')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
