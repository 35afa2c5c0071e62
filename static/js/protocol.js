// The protocol numbers the page acts on, in one place (docs/protocol.md).
// Every other module imports them from here; no close code or error code is
// written out anywhere else in static/js.
//
// The server holds the same values (rooms/errors.py: Code, Close) and a test
// reads this file with a regular expression to compare the two, so keep the
// format plain: one `NAME: value,` per line inside each Object.freeze({ … }),
// and no comments inside the braces.

// WebSocket close codes. BANNED (banned from the site), FLOOD (cut off by
// flood control) and TOO_MANY_SOCKETS (chatsite is open in too many tabs)
// mean "do not reconnect"; RESTART (the server is restarting or
// was declared dead) and BACKLOG (this tab stopped reading and fell too far
// behind) are retried like any other close, resuming with since_id, and so is
// TRY_AGAIN (the server could not reach its database while this socket opened).
// SIGNED_OUT (this tab's session logged out in another tab) reloads the page,
// which then belongs to a guest. BAD_PACKET is sent on /socket.io/ only.
export const Close = Object.freeze({
  BANNED: 4003,
  FLOOD: 4008,
  RESTART: 4012,
  BACKLOG: 4013,
  TOO_MANY_SOCKETS: 4014,
  SIGNED_OUT: 4015,
  BAD_PACKET: 4002,
  TRY_AGAIN: 4011,
});

// The stable `code` of an `error` event, as the server sends it.
export const Code = Object.freeze({
  BAD_FRAME: "bad_frame",
  FRAME_TOO_LARGE: "frame_too_large",
  UNKNOWN_EVENT: "unknown_event",
  INVALID_USERNAME: "invalid_username",
  USERNAME_TAKEN: "username_taken",
  USERNAME_RESERVED: "username_reserved",
  ROOM_NOT_FOUND: "room_not_found",
  INVALID_ROOM_NAME: "invalid_room_name",
  NOT_IN_ROOM: "not_in_room",
  INVALID_MESSAGE: "invalid_message",
  MESSAGE_TOO_LONG: "message_too_long",
  MESSAGE_NOT_FOUND: "message_not_found",
  MEMBER_NOT_FOUND: "member_not_found",
  EDIT_WINDOW_CLOSED: "edit_window_closed",
  FORBIDDEN: "forbidden",
  BANNED: "banned",
  ROOM_LOCKED: "room_locked",
  RATE_LIMITED: "rate_limited",
  ROOM_LIMIT: "room_limit",
  INVALID_EMOJI: "invalid_emoji",
  REACTION_LIMIT: "reaction_limit",
  REACTIONS_TOO_FAST: "reactions_too_fast",
  SEARCHES_TOO_FAST: "searches_too_fast",
  UPLOAD_TOO_LARGE: "upload_too_large",
  UPLOAD_TYPE: "upload_type",
  UPLOADS_TOO_FAST: "uploads_too_fast",
  UPLOADS_BUSY: "uploads_busy",
  ATTACHMENT_NOT_FOUND: "attachment_not_found",
  UNAVAILABLE: "unavailable",
  BUSY: "busy",
  DIRECT_SELF: "direct_self",
  TOO_MANY_PEOPLE: "too_many_people",
  BLOCKED: "blocked",
  INTERNAL_ERROR: "internal_error",
});
