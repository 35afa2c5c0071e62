"""What a server frame says: the encoding and the payloads of rooms and messages.

One encoder and one shape per thing, used by services (what they announce),
selectors (what they read) and the ws layer (what it answers), so a message
looks the same live, in history and after a resume. No Django import at
module level (rooms/ws/protocol.py imports this module without Django).
"""

import base64
import functools
import hashlib
import hmac
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


@functools.lru_cache(maxsize=4096)
def author_token(person_key: str) -> str:
    """An opaque, stable stand-in for a person's key: lets a page mark its own messages on every device.

    A keyed hash, so a frame never carries the key itself and tokens cannot be
    forged from a display name; the same person gets the same token in every room.
    """
    from django.conf import settings  # here, not at import: see the module's docstring

    digest = hmac.new(settings.SECRET_KEY.encode(), b"author:" + person_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def avatar_url(stem: str | None) -> str | None:
    """The small avatar's URL for an account's avatar stem; None for none (the page draws initials)."""
    if not stem:
        return None
    from chatsite.accounts.avatars import avatar_url  # here, not at import: see the module's docstring

    return avatar_url(stem)


def roster_data(accounts: dict[str, str]) -> dict[str, Any]:
    """`accounts` and `avatars` of a member list, from {name: avatar stem} of the members who are accounts."""
    return {
        "accounts": list(accounts),
        "avatars": {name: avatar_url(stem) for name, stem in accounts.items() if stem},
    }


def member_list_data(room_name: str, members: list[str], accounts: dict[str, str]) -> dict[str, Any]:
    """Who is in a room, in arrival order, which of them are accounts (the page marks them), and their avatars."""
    return {"room": room_name, "members": members, **roster_data(accounts)}


def room_data(room, users: int) -> dict[str, Any]:
    return {"name": room.name, "title": room.title, "kind": room.kind, "users": users}


QUOTE_CHARS = 120  # how much of the original a reply's quote carries
REACTION_NAMES_MAX = 20  # names per emoji for "who reacted"; the count and the tokens are complete


def reply_quote(original) -> dict[str, Any]:
    """The one-line quote a reply shows: built from the original as it is now (edited, or removed)."""
    if original.deleted_at is not None:
        return {"id": original.id, "removed": True}
    text = " ".join(original.text.split())
    return {
        "id": original.id,
        "username": original.username,
        "author": author_token(original.author_key),
        "text": text[:QUOTE_CHARS],
        "removed": False,
    }


def reactions_data(rows) -> list[dict[str, Any]]:
    """A message's reactions from its rows (emoji, person key, display name), oldest first.

    One entry per emoji, in the order each was first used: its count, every
    reactor's author token (the page marks its own reaction by `author`, as it
    marks its own messages: one frame serves the whole room) and the first
    REACTION_NAMES_MAX names.
    """
    by_emoji: dict[str, dict[str, Any]] = {}
    for emoji, person_key, username in rows:
        entry = by_emoji.setdefault(emoji, {"emoji": emoji, "count": 0, "authors": [], "names": []})
        entry["count"] += 1
        entry["authors"].append(author_token(person_key))
        if len(entry["names"]) < REACTION_NAMES_MAX:
            entry["names"].append(username)
    return list(by_emoji.values())


def reactions_event(message_id: int, room_name: str, rseq: int, reactions: list[dict[str, Any]]) -> dict[str, Any]:
    """`reactions`: a message's whole set of reactions now; `rseq` orders them (a page keeps the newest)."""
    return {"id": message_id, "room": room_name, "rseq": rseq, "reactions": reactions}


def attachment_data(attachment) -> dict[str, Any]:
    """One attachment as frames show it: what to draw before anything loads (a voice note's `duration` too),
    and where it is served from."""
    base = f"/media/a/{attachment.token}/"
    data = {
        "id": attachment.id,
        "kind": attachment.kind,
        "name": attachment.name,
        "size": attachment.size,
        "type": attachment.content_type,
        "url": base + attachment.name,
    }
    if attachment.width:
        data["width"], data["height"] = attachment.width, attachment.height
    if attachment.duration is not None:
        data["duration"] = round(attachment.duration, 1)
    if attachment.thumb_path:
        data["thumb"] = {"url": base + "thumb.webp", "width": attachment.thumb_width, "height": attachment.thumb_height}
    return data


def preview_data(preview) -> dict[str, Any]:
    """A link's card as frames show it: text only (the page puts it in text nodes), and its picture
    (drawn again, served by chatsite) with the size to draw before it loads, or null."""
    image = None
    if preview.image_path:
        image = {
            "url": f"/media/p/{preview.token}/image.webp",
            "width": preview.image_width,
            "height": preview.image_height,
        }
    return {
        "url": preview.url,
        "site": preview.site,
        "title": preview.title,
        "description": preview.description,
        "image": image,
    }


def message_data(message, room_name: str, reactions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A message as every frame shows it; `reactions` when it has had any (read with it by the selectors)."""
    data = {
        "id": message.id,
        "room": room_name,
        "username": message.username,
        "author": author_token(message.author_key),
        "account": message.author_user_id is not None,
        "text": message.text,
        "ts": timestamp(message.created_at),
    }
    if message.client_id:
        data["client_id"] = message.client_id
    if message.edited_at:
        data["edited_at"] = timestamp(message.edited_at)
    if avatar := getattr(message, "author_avatar", None):
        data["avatar"] = avatar_url(avatar)
    if message.reply_to_id is not None:
        data["reply_to"] = reply_quote(message.reply_to)  # select_related by every reader
    if attachments := getattr(message, "attachment_list", None):
        data["attachments"] = [attachment_data(a) for a in attachments]  # prefetched by every reader
    if preview := getattr(message, "preview", None):
        data["preview"] = preview_data(preview)  # read with the page by every reader
    if message.reactions_seq:
        data["reactions"] = reactions or []
        data["rseq"] = message.reactions_seq
    return data
