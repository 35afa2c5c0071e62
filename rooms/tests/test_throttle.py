"""rooms/throttle.py: slow mode and code guessing, counted in the cache."""

import logging

import pytest
from django.core.cache import cache

from rooms import throttle
from rooms.errors import ChatError


def test_slow_mode_lets_one_message_through_per_period():
    throttle.slow_mode_check(room_id=1, guest_key="ann", seconds=30)
    with pytest.raises(ChatError) as caught:
        throttle.slow_mode_check(room_id=1, guest_key="ann", seconds=30)
    assert caught.value.code == "rate_limited"
    assert 0 < caught.value.extra["retry_after"] <= 30
    throttle.slow_mode_check(room_id=1, guest_key="bob", seconds=30)  # each member on their own
    throttle.slow_mode_check(room_id=2, guest_key="ann", seconds=30)  # and each room


def test_guesses_are_counted_per_session_and_per_address(settings):
    settings.JOIN_MISS_LIMIT = 3
    for _ in range(3):
        throttle.guess_check(guest_key="eve", ip="10.0.0.9")
        throttle.guess_missed(guest_key="eve", ip="10.0.0.9")
    with pytest.raises(ChatError):
        throttle.guess_check(guest_key="eve", ip="10.0.0.1")  # the session is spent
    with pytest.raises(ChatError):
        throttle.guess_check(guest_key="eve-again", ip="10.0.0.9")  # and so is the address
    throttle.guess_check(guest_key="ann", ip="10.0.0.1")


def test_an_unreachable_cache_lets_chat_through_and_says_so_once(monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", down)
    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(throttle, "_cache_down_logged_at", -1000.0)
    with caplog.at_level(logging.WARNING, logger="rooms.throttle"):
        for _ in range(3):
            throttle.slow_mode_check(room_id=1, guest_key="ann", seconds=30)
            throttle.guess_check(guest_key="eve", ip="")
            throttle.guess_missed(guest_key="eve", ip="")
    warnings = [r for r in caplog.records if r.name == "rooms.throttle"]
    assert len(warnings) == 1 and "rate limits are not enforced" in warnings[0].getMessage()
