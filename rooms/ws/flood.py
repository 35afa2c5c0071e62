"""Flood control for one socket: every frame and every message metered, the excess refused, a flood cut off.

Every refused frame is answered (at most FLOOD_DISCONNECT_AFTER of them before
the close), with its event and client_id when it has them, so a client never
loses a message without being told. Far past the limit the socket is closed
with Close.FLOOD and no longer read (Wire.cut_off).
"""

import time
from typing import Any

from django.conf import settings

from rooms.errors import ChatError
from rooms.throttle import rate_limited
from rooms.ws.protocol import parse_frame

STRIKES_RESET_SECONDS = 10


class TokenBucket:
    """`burst` actions at once, refilled at `per_second`."""

    __slots__ = ("burst", "per_second", "tokens", "updated")

    def __init__(self, burst: int, per_second: float):
        self.burst = burst
        self.per_second = per_second
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> float:
        """Spend one token: 0.0 if allowed, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second

    def give_back(self) -> None:
        """Return the token an action spent when the server, not the sender, refused it."""
        self.tokens = min(self.burst, self.tokens + 1)


class FloodGuard:
    """One socket's meters: frames (loose) and messages (send, edit)."""

    __slots__ = ("frames", "messages", "strikes", "last_refusal", "closed")

    def __init__(self) -> None:
        self.frames = TokenBucket(settings.FRAME_RATE_BURST, settings.FRAME_RATE_PER_SECOND)
        self.messages = TokenBucket(settings.RATE_LIMIT_BURST, settings.RATE_LIMIT_PER_SECOND)
        self.strikes = 0
        self.last_refusal = 0.0
        self.closed = False

    def frame(self) -> float | None:
        """Meter one frame: None to let it through, 0.0 to close the socket now, else the seconds to wait."""
        wait = self.frames.take()
        if not wait:
            return None
        now = time.monotonic()
        if now - self.last_refusal > STRIKES_RESET_SECONDS:
            self.strikes = 0
        self.strikes += 1
        self.last_refusal = now
        if self.strikes >= settings.FLOOD_DISCONNECT_AFTER:
            self.closed = True
            return 0.0
        return wait

    def message(self) -> None:
        """Meter one message; raise rate_limited past the limit."""
        wait = self.messages.take()
        if wait:
            raise rate_limited(wait)

    def message_refused(self) -> None:
        """The message metered last was refused as `busy`: the server's load is not the sender's flood."""
        self.messages.give_back()


def refusal(wait: float, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    """The `error` a refused frame gets: rate_limited, with the frame's event and client_id if it has them."""
    found: dict[str, Any] = rate_limited(wait).as_data()
    try:
        event, data = parse_frame(text_data, bytes_data)
    except ChatError:
        return found
    found["event"] = event
    if data.get("client_id"):
        found["client_id"] = data["client_id"]
    return found
