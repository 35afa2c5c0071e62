"""rooms/ws/flood.py: the meters of one socket."""

import json

import pytest

from rooms.errors import ChatError
from rooms.ws.flood import FloodGuard, TokenBucket, refusal


def test_a_bucket_allows_a_burst_then_says_how_long_to_wait(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("rooms.ws.flood.time.monotonic", lambda: now[0])
    bucket = TokenBucket(burst=2, per_second=1.0)
    assert bucket.take() == 0.0 and bucket.take() == 0.0
    assert bucket.take() == pytest.approx(1.0)
    now[0] += 1.0
    assert bucket.take() == 0.0


def test_the_guard_refuses_past_the_burst_and_closes_far_past_it(settings):
    settings.FRAME_RATE_BURST, settings.FRAME_RATE_PER_SECOND, settings.FLOOD_DISCONNECT_AFTER = 2, 0.1, 3
    guard = FloodGuard()
    assert guard.frame() is None and guard.frame() is None
    assert guard.frame() > 0 and guard.frame() > 0  # refused, answered
    assert guard.frame() == 0.0 and guard.closed  # third strike: close


def test_messages_have_their_own_meter(settings):
    settings.RATE_LIMIT_BURST, settings.RATE_LIMIT_PER_SECOND = 1, 0.1
    guard = FloodGuard()
    guard.message()
    with pytest.raises(ChatError) as caught:
        guard.message()
    assert caught.value.code == "rate_limited"


def test_a_refusal_names_the_frame_it_refused():
    frame = json.dumps({"event": "send_message", "data": {"text": "hi", "client_id": "c-1"}})
    answer = refusal(2.04, frame, None)
    assert (answer["code"], answer["event"], answer["client_id"], answer["retry_after"]) == (
        "rate_limited",
        "send_message",
        "c-1",
        2.0,
    )
    assert "event" not in refusal(1, "not json", None)
