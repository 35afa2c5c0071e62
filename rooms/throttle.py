"""Rate limits kept across processes: slow mode and code guessing, answered as `rate_limited {retry_after}`.

Slow mode and code guessing are metered in the cache (Redis when REDIS_URL is
set, so every process agrees); a socket's own flood control is rooms/ws/flood.py. While the cache is unreachable (Redis restarting) those two
checks let everything through, logged once a minute: chat keeps working and
the limits come back with Redis.
"""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache

from rooms.errors import ChatError, Code

logger = logging.getLogger(__name__)
_cache_down_logged_at = 0.0


def _cache_unavailable(error: Exception) -> None:
    global _cache_down_logged_at
    now = time.monotonic()
    if now - _cache_down_logged_at > 60:
        _cache_down_logged_at = now
        logger.warning(
            "cache unavailable (%s: %s); rate limits are not enforced until it is back", type(error).__name__, error
        )


def rate_limited(retry_after: float, message: str | None = None) -> ChatError:
    seconds = max(0.1, round(retry_after, 1))
    return ChatError(
        Code.RATE_LIMITED,
        message or f"You are sending too fast; try again in {math.ceil(seconds)} s.",
        retry_after=seconds,
    )


def slow_mode_check(*, room_id: int, guest_key: str, seconds: int) -> None:
    """Raise rate_limited if this member posted in the room less than `seconds` ago."""
    key = f"slow:{room_id}:{guest_key}"
    now = time.time()
    try:
        if cache.add(key, now, timeout=seconds):
            return
        since = cache.get(key) or now
    except Exception as error:  # whatever the cache backend raises when its server is down
        _cache_unavailable(error)
        return
    raise rate_limited(seconds - (now - since), f"Slow mode is on: one message every {seconds} s.")


def _miss_keys(guest_key: str, ip: str) -> list[str]:
    keys = [f"miss:g:{guest_key}"]
    if ip:
        keys.append(f"miss:ip:{ip}")
    return keys


def guess_check(*, guest_key: str, ip: str) -> None:
    """Raise rate_limited once a session or an IP has missed JOIN_MISS_LIMIT codes this minute."""
    try:
        misses = [cache.get(key) or 0 for key in _miss_keys(guest_key, ip)]
    except Exception as error:
        _cache_unavailable(error)
        return
    if max(misses) >= settings.JOIN_MISS_LIMIT:
        raise rate_limited(60, "Too many unknown room codes; wait a minute before trying again.")


def guess_missed(*, guest_key: str, ip: str) -> None:
    try:
        for key in _miss_keys(guest_key, ip):
            if cache.add(key, 1, timeout=60):
                continue
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=60)
    except Exception as error:
        _cache_unavailable(error)
