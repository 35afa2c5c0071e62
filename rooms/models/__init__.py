"""chatsite's data, one module per concern; the rules each field obeys are in rooms/rules.py.

Writes go through rooms/services/, reads through rooms/selectors/. Everything
is re-exported here, so `from rooms.models import Room` and the migrations
keep working.
"""

from rooms.models.attachment import Attachment
from rooms.models.membership import Block, Membership
from rooms.models.message import Message
from rooms.models.moderation import AuditEntry, Ban
from rooms.models.presence import Connection, Presence, ServerProcess
from rooms.models.preview import LinkPreview
from rooms.models.reaction import Reaction
from rooms.models.report import Report
from rooms.models.room import Room

__all__ = [
    "Attachment",
    "AuditEntry",
    "Ban",
    "Block",
    "Connection",
    "LinkPreview",
    "Membership",
    "Message",
    "Presence",
    "Reaction",
    "Report",
    "Room",
    "ServerProcess",
]
