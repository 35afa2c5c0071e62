"""What a server frame says: the encoding and the payloads of rooms and messages.

One encoder and one shape per thing, used by services (what they announce),
selectors (what they read) and the ws layer (what it answers), so a message
looks the same live, in history and after a resume. No Django import.
"""

import json
from datetime import UTC, datetime
from typing import Any


def encode(event: str, data: dict[str, Any]) -> str:
    """One server frame as JSON text."""
    return json.dumps({"event": event, "data": data}, ensure_ascii=False, separators=(",", ":"))


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z, the form browsers parse everywhere."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def room_data(room, users: int) -> dict[str, Any]:
    return {"name": room.name, "title": room.title, "kind": room.kind, "users": users}


def message_data(message, room_name: str) -> dict[str, Any]:
    data = {
        "id": message.id,
        "room": room_name,
        "username": message.username,
        "text": message.text,
        "ts": timestamp(message.created_at),
    }
    if message.client_id:
        data["client_id"] = message.client_id
    if message.edited_at:
        data["edited_at"] = timestamp(message.edited_at)
    return data
