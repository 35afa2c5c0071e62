"""What a join costs the database, counted over the real consumer (docs/performance.md, "Joins").

Every statement the socket's join_room sends to the database is recorded on
the database thread (the one `database_sync_to_async` runs every call on),
then compared between a small world (an empty room, one room, no
conversations) and a big one (1,000 messages of history, 100 rooms the person
belongs to, 20 conversations): the count must not grow with any of them, and
stays within the budget of the join path's statements.
"""

import re
import traceback

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from rooms.identity import GUEST_KEY
from rooms.models import Membership, Message, Room

pytestmark = pytest.mark.django_db(transaction=True)

# Transaction control is not work the database does for the join: counted apart.
CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)
# The hub's own rounds (rooms/realtime/housekeeping.py) may fall inside a join: they are not the join's.
HOUSEKEEPING = {"process_heartbeat", "presence_sweep", "rooms_purge_empty", "room_tails", "process_register"}

# The budget: the room with everything known of the person there, the room's lock with its positions,
# who is present, the new presence, the socket's connection, the page of history, and a first-ever
# membership, started read up to the room's newest message in the same statement; and, the person's first room
# (not a move from another), whom to tell they came online: those they share a conversation with,
# unless they are present elsewhere, in one statement (services.person_online_announce).
FIRST_JOIN = 8
RETURNING_JOIN = 7  # a member since before: no membership to write
RESUME = 6  # with since_id: no history page


class Recorder:
    """Every statement run on this thread's connection while recording, with the stack that ran it."""

    def __init__(self):
        self.statements: list[str] = []
        self.on = False

    def __call__(self, execute, sql, params, many, context):
        if self.on:
            callers = {frame.name for frame in traceback.extract_stack()}
            if not callers & HOUSEKEEPING:
                self.statements.append(sql)
        return execute(sql, params, many, context)


recorder = Recorder()


@database_sync_to_async
def install():
    if recorder not in connection.execute_wrappers:
        connection.execute_wrappers.append(recorder)


@database_sync_to_async
def set_recording(on: bool):
    recorder.on = on


async def statements_of(action) -> tuple[list[str], list[str]]:
    """(work, transaction control) statements the server ran for `action`."""
    await install()
    recorder.statements = []
    await set_recording(True)
    try:
        await action()
    finally:
        await set_recording(False)
    work = [sql for sql in recorder.statements if not CONTROL.match(sql)]
    return work, [sql for sql in recorder.statements if CONTROL.match(sql)]


@database_sync_to_async
def guest_key_of(session_key: str) -> str:
    return SessionStore(session_key=session_key)[GUEST_KEY]


@database_sync_to_async
def build_world(*, room_name: str, person: str, messages: int, rooms: int, conversations: int) -> None:
    room = Room.objects.create(kind=Room.Kind.NAMED, name=room_name, title=room_name)
    Message.objects.bulk_create(
        Message(room=room, seq=seq, author_key="seed", username="seed", text=f"m{seq}")
        for seq in range(1, messages + 1)
    )
    Room.objects.filter(pk=room.pk).update(last_seq=messages)
    others = [
        Room(kind=Room.Kind.NAMED, name=f"{room_name}-{n}", key=f"{room_name}-{n}", title="x") for n in range(rooms)
    ]
    others += [
        Room(
            kind=Room.Kind.DIRECT,
            name=f"{room_name}-dm-{n}",
            key=f"{room_name}-dm-{n}",
            title="dm",
            people_key=f"{room_name}{n}",
        )
        for n in range(conversations)
    ]
    Room.objects.bulk_create(others)
    mine = Room.objects.filter(key__startswith=f"{room_name}-")
    Membership.objects.bulk_create(Membership(room=r, person_key=person, username="ann") for r in mine)
    Message.objects.bulk_create(Message(room=r, seq=1, author_key="seed", username="seed", text="hi") for r in mine)


async def join_costs(connect, *, room_name: str, messages: int, rooms: int, conversations: int) -> dict:
    """Statements of a first join, a join again after leaving, and a resume, in a world of that size."""
    bob = await connect(username="bob")  # someone else in the room, so the member list is not trivial
    ann = await connect(username="ann")
    await build_world(
        room_name=room_name,
        person=await guest_key_of(ann.session_key),
        messages=messages,
        rooms=rooms,
        conversations=conversations,
    )
    await bob.join(room_name, "bob")
    costs = {}
    confirm = {}

    async def join(**extra):
        confirm.clear()
        confirm.update(await ann.join(room_name, "ann", **extra))

    costs["first"] = await statements_of(join)
    assert confirm["members"] == ["bob", "ann"] and len(confirm["history"]) == min(messages, 50)
    newest = confirm["history"][-1]["id"] if confirm["history"] else 0
    await ann.send("leave_room")
    await ann.expect("leave_confirm", skip=("member_list", "system_message", "room_update", "room_updates"))
    costs["returning"] = await statements_of(join)
    assert confirm["members"] == ["bob", "ann"] and confirm["last_read"] == newest
    await ann.send("leave_room")
    await ann.expect("leave_confirm", skip=("member_list", "system_message", "room_update", "room_updates"))
    costs["resume"] = await statements_of(lambda: join(since_id=newest))
    assert confirm["resumed"] is True and confirm["history"] == []
    return costs


async def test_a_join_costs_the_same_few_statements_whatever_the_history_rooms_and_conversations(connect):
    small = await join_costs(connect, room_name="small", messages=0, rooms=1, conversations=0)
    big = await join_costs(connect, room_name="big", messages=1000, rooms=100, conversations=20)
    for kind, budget in (("first", FIRST_JOIN), ("returning", RETURNING_JOIN), ("resume", RESUME)):
        (small_work, _), (big_work, big_control) = small[kind], big[kind]
        assert len(big_work) == len(small_work), (kind, big_work, small_work)
        assert len(big_work) <= budget, (kind, big_work)
        # One transaction (the room's lock) and no savepoint inside it.
        assert not any("SAVEPOINT" in sql.upper() for sql in big_control), (kind, big_control)
        assert len([sql for sql in big_control if sql.upper().startswith("BEGIN")]) <= 1, (kind, big_control)
