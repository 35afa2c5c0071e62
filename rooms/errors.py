"""The domain error, its stable codes, and the WebSocket close codes.

Every refusal in chatsite is a `ChatError` with one of the `Code` strings:
services raise it, the ws layer sends it as an `error` event, the views turn
it into a page. Clients switch on these values, so none is ever renamed;
docs/protocol.md lists them from this module (a test compares the two), and
static/js/protocol.js holds the same values for the browser (also compared).

No Django import: a client can share this module.
"""

from typing import Any


class Code:
    """Stable error codes; clients switch on these, so never rename one."""

    BAD_FRAME = "bad_frame"
    FRAME_TOO_LARGE = "frame_too_large"
    UNKNOWN_EVENT = "unknown_event"
    INVALID_USERNAME = "invalid_username"
    USERNAME_TAKEN = "username_taken"
    USERNAME_RESERVED = "username_reserved"
    ROOM_NOT_FOUND = "room_not_found"
    INVALID_ROOM_NAME = "invalid_room_name"
    NOT_IN_ROOM = "not_in_room"
    INVALID_MESSAGE = "invalid_message"
    MESSAGE_TOO_LONG = "message_too_long"
    MESSAGE_NOT_FOUND = "message_not_found"
    MEMBER_NOT_FOUND = "member_not_found"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    FORBIDDEN = "forbidden"
    BANNED = "banned"
    ROOM_LOCKED = "room_locked"
    RATE_LIMITED = "rate_limited"
    ROOM_LIMIT = "room_limit"
    INVALID_EMOJI = "invalid_emoji"
    REACTION_LIMIT = "reaction_limit"
    REACTIONS_TOO_FAST = "reactions_too_fast"
    SEARCHES_TOO_FAST = "searches_too_fast"
    UPLOAD_TOO_LARGE = "upload_too_large"
    UPLOAD_TYPE = "upload_type"
    UPLOADS_TOO_FAST = "uploads_too_fast"
    UPLOADS_BUSY = "uploads_busy"
    ATTACHMENT_NOT_FOUND = "attachment_not_found"
    UNAVAILABLE = "unavailable"
    BUSY = "busy"
    DIRECT_SELF = "direct_self"
    TOO_MANY_PEOPLE = "too_many_people"
    BLOCKED = "blocked"
    INTERNAL_ERROR = "internal_error"


class Close:
    """WebSocket close codes chatsite sends; 4000-4999 are the application's own (RFC 6455 §7.4.2)."""

    RESTART = 4012  # this process was declared dead and dropped its sockets: reconnect
    BACKLOG = 4013  # this socket stopped reading and fell too far behind: reconnect and resume
    BANNED = 4003  # banned from the whole site: do not reconnect
    FLOOD = 4008  # disconnected by flood control: do not reconnect
    TOO_MANY_SOCKETS = 4014  # this person already has WS_MAX_SOCKETS_PER_PERSON open here: do not reconnect
    SIGNED_OUT = 4015  # this socket's session logged out: load the page again, as a guest
    BAD_PACKET = 4002  # /socket.io/ only: not an Engine.IO packet, or one over maxPayload: the session ends
    # RFC 6455 has "Try Again Later" (1013), but daphne's autobahn sends no 1xxx code but 1000 once a socket is
    # open (it raises instead), so chatsite says it in its own range, as with 4012.
    TRY_AGAIN = 4011  # the database is unreachable; reconnect after a while


DEFAULT_MESSAGES = {
    Code.BAD_FRAME: "That frame is not a valid chatsite event.",
    Code.FRAME_TOO_LARGE: "That frame is too large.",
    Code.UNKNOWN_EVENT: "Unknown event.",
    Code.INVALID_USERNAME: "Pick a display name.",
    Code.USERNAME_TAKEN: "Someone in this room already uses that name.",
    Code.USERNAME_RESERVED: "That is the name of an account. Log in, or pick another name.",
    Code.ROOM_NOT_FOUND: "No room by that name or code.",
    Code.INVALID_ROOM_NAME: "That is not a valid room name.",
    Code.NOT_IN_ROOM: "Join a room first.",
    Code.INVALID_MESSAGE: "A message cannot be empty.",
    Code.MESSAGE_TOO_LONG: "That message is too long.",
    Code.MESSAGE_NOT_FOUND: "No such message in this room.",
    Code.MEMBER_NOT_FOUND: "Nobody by that name is in this room.",
    Code.EDIT_WINDOW_CLOSED: "That message can no longer be edited.",
    Code.FORBIDDEN: "You are not allowed to do that.",
    Code.BANNED: "You are banned from this room.",
    Code.ROOM_LOCKED: "This room is read-only for now.",
    Code.RATE_LIMITED: "You are sending too fast.",
    Code.ROOM_LIMIT: "You have created too many rooms lately; join an existing one or try again later.",
    Code.INVALID_EMOJI: "That is not an emoji the picker offers.",
    Code.REACTION_LIMIT: "This message has as many different reactions as it can take.",
    Code.REACTIONS_TOO_FAST: "You are reacting too fast.",
    Code.SEARCHES_TOO_FAST: "You are searching too fast.",
    Code.UPLOAD_TOO_LARGE: "That file is too large.",
    Code.UPLOAD_TYPE: "That type of file is not accepted.",
    Code.UPLOADS_TOO_FAST: "You are uploading too fast.",
    Code.UPLOADS_BUSY: "The server is busy with other uploads; try this one again in a few seconds.",
    Code.ATTACHMENT_NOT_FOUND: "That attachment is not yours to send here, or was already sent.",
    Code.UNAVAILABLE: "The chat cannot reach its database right now; trying again in a moment.",
    Code.BUSY: "The chat is very busy right now; your message goes again in a moment.",
    Code.DIRECT_SELF: "You cannot start a conversation with yourself.",
    Code.TOO_MANY_PEOPLE: "A conversation can have at most 8 people, you included.",
    Code.BLOCKED: "This person does not accept your messages.",
    Code.INTERNAL_ERROR: "Something went wrong on our side; please try again.",
}


def codes() -> dict[str, str]:
    """Every error code, by attribute name."""
    return {name: value for name, value in vars(Code).items() if name.isupper()}


class ChatError(Exception):
    """A client mistake or a refused action, carried to the client as `error`."""

    def __init__(self, code: str, message: str | None = None, **extra: Any):
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, code)
        self.extra = extra
        super().__init__(f"{code}: {self.message}")

    def as_data(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}

    @classmethod
    def from_validation(cls, error: Exception, default: str = Code.BAD_FRAME) -> "ChatError":
        """A rule's ValidationError (rooms/rules.py) as the ChatError a client is sent.

        The rule's `code` becomes the error code and its `params` the extra fields.
        """
        code = getattr(error, "code", None) or default
        params = getattr(error, "params", None) or {}
        messages = getattr(error, "messages", None) or [str(error)]
        return cls(code, messages[0], **params)
