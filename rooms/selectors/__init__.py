"""Reads: what the lobby, a joining socket, a history page and the hub see.

Keyword-only functions returning plain data ready for the protocol, one
module per concern, re-exported here: `selectors.lobby_rooms()`.
"""

from rooms.selectors.attachments import attachment_for_reader, preview_for_reader, room_readable
from rooms.selectors.bans import active_ban, bans_keeping_out, in_force
from rooms.selectors.direct import (
    absent_unread,
    conversation_data,
    conversation_of,
    conversation_partners,
    inbox_page,
    person_inbox,
    unread_counts,
)
from rooms.selectors.messages import (
    JoinSnapshot,
    join_snapshot,
    message_reactions,
    message_visible,
    messages_after,
    messages_changed,
    payloads,
    room_history,
    room_history_after,
    room_history_around,
)
from rooms.selectors.people import person_data, profile_card
from rooms.selectors.rooms import (
    JoinFacts,
    lobby_rooms,
    presence_state,
    readable_rooms,
    room_by_name,
    room_for_joining,
    room_members,
    room_roster,
    room_tails,
    rooms_find,
    roster_of,
)
from rooms.selectors.search import message_search

__all__ = [
    "attachment_for_reader",
    "preview_for_reader",
    "room_readable",
    "JoinSnapshot",
    "JoinFacts",
    "active_ban",
    "bans_keeping_out",
    "conversation_data",
    "in_force",
    "join_snapshot",
    "message_reactions",
    "message_search",
    "message_visible",
    "messages_after",
    "payloads",
    "messages_changed",
    "lobby_rooms",
    "person_data",
    "person_inbox",
    "absent_unread",
    "inbox_page",
    "conversation_of",
    "conversation_partners",
    "presence_state",
    "profile_card",
    "readable_rooms",
    "room_by_name",
    "room_for_joining",
    "room_history",
    "room_history_after",
    "room_history_around",
    "room_members",
    "room_roster",
    "roster_of",
    "room_tails",
    "rooms_find",
    "unread_counts",
]
