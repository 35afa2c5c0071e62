"""The room's change sequence: every change to a message already posted takes the next number.

A reaction added or taken away, an edit, a removal (one by one, or a whole
history cleared) takes the room's next number (`Room.last_reaction_seq`,
named for the first kind of change it counted) under the room's row lock and
stamps it on the message (`Message.reactions_seq`). A page that was away
sends back the number it last knew and hears, after its `join_confirm`, every
change made since to the messages it has (rooms/selectors/messages.py
`join_snapshot`), as the same frames it would have heard live.

The room's row is locked before the message's, as posting does, so that
concurrent changes never wait on each other in opposite orders.
"""

from django.db import connection

from rooms.errors import ChatError, Code
from rooms.models import Room


def next_change_seq(room_id: int) -> int:
    """The room's next change sequence, under its row lock (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Room._meta.db_table} SET last_reaction_seq = last_reaction_seq + 1 "
            "WHERE id = %s RETURNING last_reaction_seq",
            [room_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise ChatError(Code.ROOM_NOT_FOUND)
    return row[0]
