"""What a display name, a room name, a title, a message, a reaction and slow mode may be: each rule once.

The lobby forms, the admin forms, the services and so the WebSocket protocol
all call these. Each raises Django's ValidationError with the stable error
code (rooms/errors.py) as its `code`, so a form shows it next to its field
and a service turns it into the `error` event a socket is sent
(`ChatError.from_validation`).
"""

import functools
import json
import re
import secrets
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError

from chatsite import names
from rooms.errors import Code

# Unambiguous upper-case alphabet for private room codes: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
ROOM_NAME_MAX_LENGTH = 32
ROOM_TITLE_MAX_LENGTH = 64
ROOM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
CONTROL_CHARS_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
C0_C1_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SLOW_MODE_MAX_SECONDS = 3600


def clean_username(value: object) -> str:
    """Return the display name a person asked for, or raise ValidationError.

    Trimmed, in Unicode's composed form (NFC), 1 to MAX_USERNAME_LENGTH
    characters; none that is invisible or changes the text's direction (zero
    width characters, soft hyphens, tags, bidi controls: they let one name pose
    as another in the member list), something that shows, and nothing that
    could pass for one of RESERVED_NAMES. Uniqueness in a room is by
    `chatsite.names.name_key` (look-alikes are one name), checked by the service.
    """
    if not isinstance(value, str):
        raise ValidationError("Pick a display name.", code=Code.INVALID_USERNAME)
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name:
        raise ValidationError("Pick a display name.", code=Code.INVALID_USERNAME)
    if len(name) > settings.MAX_USERNAME_LENGTH:
        raise ValidationError(
            f"A display name can be at most {settings.MAX_USERNAME_LENGTH} characters.",
            code=Code.INVALID_USERNAME,
        )
    if names.looks_blank(name):
        raise ValidationError("Pick a display name people can see.", code=Code.INVALID_USERNAME)
    if C0_C1_RE.search(name):
        raise ValidationError("A display name cannot contain control characters.", code=Code.INVALID_USERNAME)
    if names.invisible_characters(name):
        raise ValidationError(
            "A display name cannot contain invisible or direction-changing characters.", code=Code.INVALID_USERNAME
        )
    if names.is_reserved(name, tuple(settings.RESERVED_NAMES)):
        raise ValidationError("That name is kept for chatsite's own notices. Pick another.", code=Code.INVALID_USERNAME)
    return name


def clean_room_name(value: object) -> str:
    """Return a valid name for a new public room, or raise ValidationError.

    Letters, digits, '-' and '_', starting with a letter or digit, at most 32
    characters: safe in a URL and easy to say aloud.
    """
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise ValidationError("Give the room a name.", code=Code.INVALID_ROOM_NAME)
    if len(name) > ROOM_NAME_MAX_LENGTH:
        raise ValidationError(
            f"A room name can be at most {ROOM_NAME_MAX_LENGTH} characters.", code=Code.INVALID_ROOM_NAME
        )
    if not ROOM_NAME_RE.match(name):
        raise ValidationError(
            "A room name may use letters, digits, '-' and '_', and must start with a letter or digit.",
            code=Code.INVALID_ROOM_NAME,
        )
    if looks_like_code(name):
        # Else "create a room called K7QX9MPA" would tell a guesser whether that code exists.
        raise ValidationError(
            f"Names of {CODE_LENGTH} letters and digits like this one are kept for private room codes.",
            code=Code.INVALID_ROOM_NAME,
        )
    return name


def looks_like_code(name: str) -> bool:
    """Shaped like a private room code (names are compared case-insensitively)."""
    name = name.strip().upper()
    return len(name) == CODE_LENGTH and set(name) <= set(CODE_ALPHABET)


def clean_room_title(value: object) -> str:
    """A room's title as shown: whitespace collapsed, 1 to 64 characters, no control characters."""
    title = " ".join(value.split()) if isinstance(value, str) else ""
    if not title or len(title) > ROOM_TITLE_MAX_LENGTH or CONTROL_CHARS_RE.search(title):
        raise ValidationError(
            f"A room title is 1 to {ROOM_TITLE_MAX_LENGTH} characters, without control characters.",
            code=Code.INVALID_ROOM_NAME,
        )
    return title


def clean_message_text(text: str) -> str:
    """Message text as stored: trailing whitespace trimmed, never blank, never too long."""
    text = text.rstrip()
    if not text.strip():
        raise ValidationError("A message cannot be empty.", code=Code.INVALID_MESSAGE)
    if len(text) > settings.MAX_MESSAGE_LENGTH:
        raise ValidationError(
            f"Messages are limited to {settings.MAX_MESSAGE_LENGTH} characters.",
            code=Code.MESSAGE_TOO_LONG,
            params={"max_length": settings.MAX_MESSAGE_LENGTH},
        )
    return text


def clean_caption(text: str) -> str:
    """A message that carries files: its text is a caption, which may be empty, never too long."""
    text = text.rstrip()
    if not text.strip():
        return ""
    return clean_message_text(text)


# The emoji data the page's picker ships (emoji-picker-element, vendored with its data):
# a reaction is one of these, as the picker or the quick row sends it, never any other string.
EMOJI_DATA = "static/vendor/emoji-picker-element/data.json"


VARIATION_SELECTOR = "\ufe0f"


@functools.cache
def reaction_emoji() -> dict[str, str]:
    """Every emoji of the picker's data, with each of its skin tones, by its form without
    variation selectors: "👍" and "👍\ufe0f" are one emoji, stored as the data writes it."""
    with open(settings.BASE_DIR / EMOJI_DATA, encoding="utf-8") as data:
        entries = json.load(data)
    found = {}
    for entry in entries:
        for emoji in [entry["emoji"], *(skin["emoji"] for skin in entry.get("skins", ()))]:
            found.setdefault(emoji.replace(VARIATION_SELECTOR, ""), emoji)
    return found


def clean_reaction_emoji(value: object) -> str:
    """An emoji of the picker's data, in the data's form (so one emoji is one reaction however it is sent)."""
    emoji = reaction_emoji().get(value.replace(VARIATION_SELECTOR, "")) if isinstance(value, str) else None
    if emoji is None:
        raise ValidationError("That is not an emoji the picker offers.", code=Code.INVALID_EMOJI)
    return emoji


def clean_slow_mode(seconds: int) -> int:
    """Seconds between one member's messages: 0 (off) to SLOW_MODE_MAX_SECONDS."""
    if not 0 <= seconds <= SLOW_MODE_MAX_SECONDS:
        raise ValidationError(f"Slow mode takes 0 to {SLOW_MODE_MAX_SECONDS} seconds.", code=Code.BAD_FRAME)
    return seconds


DIRECT_NAME_PREFIX = "_"
DIRECT_PEOPLE_MAX = 8  # a direct conversation's people, the one who opens it included


def new_direct_name() -> str:
    """A direct conversation's identifier: 120 random bits, unguessable, uniqueness checked by the caller.

    It starts with "_", which no room name may (ROOM_NAME_RE), so asking to
    create a room of that name is refused like any other invalid name and
    never tells whether a conversation by it exists. Lower case, since room
    keys are compared case-insensitively.
    """
    return DIRECT_NAME_PREFIX + secrets.token_hex(15)


def new_room_code() -> str:
    """A random private-room code; uniqueness is checked by the caller."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
