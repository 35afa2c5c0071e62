"""The WebSocket frame protocol: parsing, the client events' schemas, encoding.

Every frame is JSON text `{"event": NAME, "data": {...}}` (docs/protocol.md).
`parse_frame` turns raw text into a validated `(event, data)` pair or raises
`ChatError` with a stable code (rooms/errors.py); nothing else in chatsite
inspects raw frames. Services raise the same `ChatError`, so every mistake
reaches the client the same way: an `error` event, with the socket left open.

The schemas check shape (types, raw length caps); what a name or a message
may be is a rule of rooms/rules.py, applied by the services. No Django
import, so a client can share this module.
"""

import json
from dataclasses import dataclass
from typing import Any

from rooms.errors import ChatError, Code
from rooms.payloads import encode

__all__ = ["MAX_FRAME_CHARS", "SCHEMAS", "encode", "parse_frame"]

# Hard caps on what a client may send, checked before and after json.loads.
MAX_FRAME_CHARS = 64 * 1024
MAX_JSON_DEPTH = 4
MAX_CLIENT_ID_LENGTH = 64


@dataclass(frozen=True)
class Field:
    kind: type
    required: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    ids: bool = False  # a list: of ids (positive integers), each checked

    def check(self, event: str, name: str, value: Any) -> Any:
        # bool is an int in Python; a JSON true is never a number here.
        if not isinstance(value, self.kind) or (self.kind is int and isinstance(value, bool)):
            raise ChatError(Code.BAD_FRAME, f"{event}.{name} must be {_TYPE_NAMES[self.kind]}.")
        if self.max_length is not None and len(value) > self.max_length:
            raise ChatError(Code.BAD_FRAME, f"{event}.{name} is too long.")
        if self.minimum is not None and value < self.minimum:
            raise ChatError(Code.BAD_FRAME, f"{event}.{name} must be at least {self.minimum}.")
        if self.maximum is not None and value > self.maximum:
            raise ChatError(Code.BAD_FRAME, f"{event}.{name} must be at most {self.maximum}.")
        if self.ids:
            for item in value:
                _ID.check(event, name, item)
        return value


_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "an object", list: "a list"}
_ID = Field(int, required=True, minimum=1, maximum=2**63 - 1)
_NAME = Field(str, max_length=200)  # raw cap; the real rules live in rooms/rules.py
_SOME_ID = Field(int, minimum=1, maximum=2**63 - 1)
_EMOJI = Field(str, required=True, max_length=32)  # rules.clean_reaction_emoji: one of the picker's

# Client → server events and their `data` fields. Unknown fields are ignored,
# so a newer client can talk to an older server.
SCHEMAS: dict[str, dict[str, Field]] = {
    "join_room": {
        "room_name": Field(str, required=True, max_length=200),
        "username": _NAME,
        "create": Field(bool),
        "since_id": Field(int, minimum=0, maximum=2**63 - 1),
        "reactions_since": Field(int, minimum=0, maximum=2**63 - 1),
    },
    "leave_room": {},
    "create_room": {"username": _NAME},
    "find_rooms": {"query": Field(str, max_length=200), "after": Field(str, max_length=200)},
    "send_message": {
        "text": Field(str, required=True, max_length=MAX_FRAME_CHARS),
        "client_id": Field(str, max_length=MAX_CLIENT_ID_LENGTH),
        "reply_to": _SOME_ID,
        "attachments": Field(list, max_length=100, ids=True),  # the real cap: ATTACHMENTS_PER_MESSAGE_MAX
    },
    "history": {
        "before_id": _SOME_ID,
        "after_id": Field(int, minimum=0, maximum=2**63 - 1),
        "around_id": _SOME_ID,
        "limit": Field(int, minimum=1, maximum=10_000),
    },
    "react": {"id": _ID, "emoji": _EMOJI},
    "unreact": {"id": _ID, "emoji": _EMOJI},
    "edit_message": {"id": _ID, "text": Field(str, required=True, max_length=MAX_FRAME_CHARS)},
    "delete_message": {"id": _ID},
    "preview_remove": {"id": _ID},
    "typing": {},
    "get_profile": {"username": Field(str, max_length=200), "message_id": Field(int, minimum=1, maximum=2**63 - 1)},
    # Each name is checked by the service; more than 7 distinct ones is `too_many_people`.
    "open_direct": {"usernames": Field(list, required=True, max_length=50)},
    "mark_read": {"room": Field(str, required=True, max_length=200), "id": _ID},
    "inbox_more": {"before": Field(str, required=True, max_length=200)},
    "get_conversation": {"room": Field(str, required=True, max_length=200)},
    "block": {"username": Field(str, max_length=200), "message_id": Field(int, minimum=1, maximum=2**63 - 1)},
    "report_message": {"id": _ID, "reason": Field(str, max_length=2000)},  # trimmed to 500 by the service
    "unblock": {"author": Field(str, required=True, max_length=64)},
    # The query's length is capped by the frame; the search reads at most its first 1,000 characters.
    "search": {"query": Field(str, required=True, max_length=MAX_FRAME_CHARS), "before": _SOME_ID},
    "kick_member": {"username": Field(str, required=True, max_length=200)},
    "lock_room": {"locked": Field(bool, required=True)},
    "set_slow_mode": {"seconds": Field(int, required=True, minimum=0, maximum=2**31 - 1)},  # rules.clean_slow_mode
}


class _Refused(ValueError):
    """A frame that is JSON to Python's parser but not to the protocol."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"event": "a", "event": "b"} means different things to different parsers.
    frame = dict(pairs)
    if len(frame) != len(pairs):
        raise _Refused("That frame repeats a key.")
    return frame


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON.")  # NaN, Infinity, -Infinity


def _check_tree(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion; refuse strings no database can store.

    A NUL character or an unpaired surrogate ("\\ud800") decodes to a Python str but
    cannot be encoded as UTF-8 or stored in PostgreSQL, so it is refused here.
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((key, level) for key in item)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise ChatError(Code.BAD_FRAME, "Strings cannot contain NUL characters.")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ChatError(Code.BAD_FRAME, "Strings cannot contain unpaired surrogates.") from None
    return deepest


def parse_frame(text: str | None, binary: bytes | None = None) -> tuple[str, dict[str, Any]]:
    """Validate one client frame; return (event, data) or raise ChatError."""
    if text is None:
        raise ChatError(Code.BAD_FRAME, "Send JSON text frames, not binary ones.")
    if len(text) > MAX_FRAME_CHARS:
        raise ChatError(Code.FRAME_TOO_LARGE, f"Frames are limited to {MAX_FRAME_CHARS} characters.")
    try:
        frame = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Refused as error:
        raise ChatError(Code.BAD_FRAME, str(error)) from None
    except (ValueError, RecursionError):
        raise ChatError(Code.BAD_FRAME, "That frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise ChatError(Code.BAD_FRAME, 'A frame must be an object: {"event": ..., "data": {...}}.')
    if _check_tree(frame) > MAX_JSON_DEPTH:
        raise ChatError(Code.BAD_FRAME, "That frame is nested too deeply.")
    event = frame.get("event")
    if not isinstance(event, str) or not event:
        raise ChatError(Code.BAD_FRAME, "A frame needs an event name.")
    data = frame.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ChatError(Code.BAD_FRAME, "data must be an object.")
    schema = SCHEMAS.get(event)
    if schema is None:
        raise ChatError(Code.UNKNOWN_EVENT, f"Unknown event {event[:40]!r}.")
    clean: dict[str, Any] = {}
    for name, field in schema.items():
        if name in data and data[name] is not None:
            clean[name] = field.check(event, name, data[name])
        elif field.required:
            raise ChatError(Code.BAD_FRAME, f"{event} needs {name}.")
    return event, clean
