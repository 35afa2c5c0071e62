"""Rate limits kept across processes: slow mode, code guessing, room creation, reactions and searches.

Slow mode and code guessing are answered as `rate_limited {retry_after}`, room
creation past its limit as `room_limit {retry_after}`, reactions past theirs as
`reactions_too_fast {retry_after}`, searches past theirs as
`searches_too_fast {retry_after}`. All five are metered in
the cache (Redis when REDIS_URL is set, so every process agrees); a socket's own
flood control is rooms/ws/flood.py. While the cache is unreachable (Redis
restarting) these checks let everything through, logged once a minute: chat
keeps working and the limits come back with Redis.
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


def _count(key: str, timeout: float) -> None:
    """One more in the counter `key`, which starts at 1 and lives `timeout` seconds from its first count."""
    if cache.add(key, 1, timeout=timeout):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)


def guess_missed(*, guest_key: str, ip: str) -> None:
    try:
        for key in _miss_keys(guest_key, ip):
            _count(key, 60)
    except Exception as error:
        _cache_unavailable(error)


def _create_keys(guest_key: str, ip: str) -> list[tuple[str, int]]:
    keys = [(f"create:g:{guest_key}", settings.ROOM_CREATE_LIMIT)]
    if ip:
        keys.append((f"create:ip:{ip}", settings.ROOM_CREATE_ADDRESS_LIMIT))
    return keys


def room_create_check(*, guest_key: str, ip: str) -> None:
    """Raise room_limit once a person or an address created its ROOM_CREATE_* rooms in this window.

    Each window starts with the first room created in it (one key holds the
    count, one the start) and lasts ROOM_CREATE_WINDOW_SECONDS.
    """
    window = settings.ROOM_CREATE_WINDOW_SECONDS
    now = time.time()
    for key, limit in _create_keys(guest_key, ip):
        try:
            count, since = cache.get(key) or 0, cache.get(f"{key}:since") or now
        except Exception as error:
            _cache_unavailable(error)
            return
        if count >= limit:
            retry_after = max(1, math.ceil(since + window - now))
            who = "you" if key.startswith("create:g:") else "your network address"
            raise ChatError(
                Code.ROOM_LIMIT,
                f"Too many new rooms: {who} may create {limit} every {_duration(window)}; "
                f"try again in {_duration(retry_after)}, or join an existing room.",
                retry_after=retry_after,
            )


def room_created(*, guest_key: str, ip: str) -> None:
    """Count one room created by this person and address (after room_create_check let it through)."""
    window = settings.ROOM_CREATE_WINDOW_SECONDS
    try:
        for key, _ in _create_keys(guest_key, ip):
            cache.add(f"{key}:since", time.time(), timeout=window)
            _count(key, window)
    except Exception as error:
        _cache_unavailable(error)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{math.ceil(seconds)} s"
    return f"{math.ceil(seconds / 60)} min"


def _window_count(key: str, window: int) -> tuple[int, float] | None:
    """Count one in `key`'s window (it starts with its first count); the count and its start, None if not counted."""
    now = time.time()
    try:
        if cache.add(key, 1, timeout=window):
            cache.set(f"{key}:since", now, timeout=window)
            return 1, now
        count = cache.incr(key)
        since = cache.get(f"{key}:since") or now
    except ValueError:  # expired between add and incr: the next one starts a new window
        return None
    except Exception as error:
        _cache_unavailable(error)
        return None
    return count, since


def reaction_check(*, guest_key: str) -> None:
    """Count one reaction change by this person; past REACTION_RATE_LIMIT in this window, raise reactions_too_fast.

    A window starts with the first change counted in it and lasts
    REACTION_RATE_WINDOW_SECONDS (one key holds the count, one the start):
    reactions come in bursts, so a burst of LIMIT is fine, and the next window
    starts afresh. Its own code, not `rate_limited`: the page's composer counts
    down on that one, and a reaction says nothing about posting.
    """
    _window_check(
        f"react:{guest_key}",
        settings.REACTION_RATE_WINDOW_SECONDS,
        settings.REACTION_RATE_LIMIT,
        Code.REACTIONS_TOO_FAST,
        "reacting",
    )


def _window_check(key: str, window: int, limit: int, code: Code, doing: str) -> None:
    """Count one in `key`'s window; past `limit`, raise `code` with the seconds until the window ends."""
    counted = _window_count(key, window)
    if counted is not None and counted[0] > limit:
        retry_after = max(0.1, round(counted[1] + window - time.time(), 1))
        raise ChatError(
            code, f"You are {doing} too fast; try again in {_duration(retry_after)}.", retry_after=retry_after
        )


def search_check(*, guest_key: str) -> None:
    """Count one search by this person; past SEARCH_RATE_LIMIT in this window, raise searches_too_fast.

    Windows as for reactions. Results as you type make bursts of searches, so
    the limit is per window, not per second; its own code, because the page
    answers it in the search panel (and not in the composer).
    """
    _window_check(
        f"search:{guest_key}",
        settings.SEARCH_RATE_WINDOW_SECONDS,
        settings.SEARCH_RATE_LIMIT,
        Code.SEARCHES_TOO_FAST,
        "searching",
    )


def upload_check(*, guest_key: str) -> None:
    """Count one upload by this person; past UPLOAD_RATE_LIMIT in this window, raise uploads_too_fast.

    Windows start with their first upload, as reaction windows do (reaction_check).
    """
    _window_check(
        f"upload:{guest_key}",
        settings.UPLOAD_RATE_WINDOW_SECONDS,
        settings.UPLOAD_RATE_LIMIT,
        Code.UPLOADS_TOO_FAST,
        "uploading",
    )
