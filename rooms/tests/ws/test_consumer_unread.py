"""A person's own stream, live: unread counts of public rooms and online dots of conversations.

Real ASGI application, real hub, test database: nothing mocked.
"""

import pytest

from rooms.tests.support.client import NOISE, STREAM_NOISE

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = (*NOISE, *STREAM_NOISE)


def unread_of(frames, room: str) -> list[dict]:
    return [data for name, data in frames if name == "unread" and data["room"] == room]


async def test_a_public_rooms_count_reaches_a_member_who_is_elsewhere_coalesced(joined):
    ann = await joined("general", "ann")
    carol = await joined("general", "carol")
    bob = await joined("general", "bob")
    await bob.join("tech")  # a member of #general since he joined it; now he reads #tech

    first = await ann.say("one")
    assert await bob.expect("unread", skip=NOISE) == {"room": "general", "count": 1}
    for n in range(19):
        await ann.say(f"more {n}")
    frames = await bob.collect(seconds=2.5)
    counts = [data["count"] for data in unread_of(frames, "general")]
    # Twenty messages, not twenty frames: the rest waited for the window and came as one count.
    assert counts == [20], frames
    # Those present in #general count for themselves: neither the writer nor carol hears a count.
    assert unread_of(await carol.collect(seconds=0.3), "general") == []
    assert unread_of(await ann.collect(seconds=0.3), "general") == []

    # bob comes back: the count clears on every socket of his (mark_read), and stops while he is there.
    await bob.join("general")
    await bob.send("mark_read", {"room": "general", "id": first["id"] + 19})
    assert await bob.expect("unread", skip=NOISE) == {"room": "general", "count": 0, "last_read": first["id"] + 19}
    await ann.say("while bob is here")
    assert unread_of(await bob.collect(seconds=1.5), "general") == []


async def test_a_member_with_no_page_open_is_not_sent_a_count_and_gets_it_on_connect(connect, joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    session = bob.session_key
    await bob.close()
    await ann.say("while bob is away")
    await ann.say("and again")
    again = await connect(session=session)
    counts = {row["room"]: row["count"] for row in again.inbox["unread"]}
    assert counts["general"] == 2


async def open_direct(client, *names) -> str:
    await client.send("open_direct", {"usernames": list(names)})
    return (await client.expect("direct_opened", skip=STREAM))["room"]


async def test_online_dots_follow_the_first_and_last_room_of_a_person(connect, joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    carol = await joined("general", "carol")
    await open_direct(ann, "bob")
    await bob.expect("direct_added", skip=NOISE)
    bob_author = (await bob.join("tech"))["author"]  # moving between rooms: never offline
    assert [data for name, data in await ann.collect(seconds=0.5) if name == "online"] == []

    session = bob.session_key
    await bob.close()
    assert await ann.expect("online", skip=NOISE) == {"author": bob_author, "online": False}

    again = await connect(session=session)
    assert (await again.join("music", "bob"))["author"] == bob_author
    assert await ann.expect("online", skip=NOISE) == {"author": bob_author, "online": True}
    # A second tab of bob's is no transition; carol shares no conversation with bob and hears nothing.
    second = await connect(session=session)
    await second.join("sports", "bob")
    await second.close()
    assert [data for name, data in await ann.collect(seconds=0.5) if name == "online"] == []
    assert [name for name, _ in await carol.collect(seconds=0.3) if name == "online"] == []


async def test_a_blocked_persons_messages_count_for_nothing_and_announce_nothing_to_the_blocker(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    carol = await joined("general", "carol")
    group = await open_direct(ann, "bob", "carol")
    await bob.send("block", {"username": "ann"})
    await bob.expect("block_added", skip=STREAM)
    await bob.join("tech")

    # In a group conversation ann may still write; carol hears of it, bob (who blocks her) does not.
    await ann.join(group)
    await ann.say("from ann, in the group")
    assert await carol.expect("unread", skip=STREAM, where=lambda d: d["room"] == group) == {
        "room": group,
        "count": 1,
        "username": "ann",
    }
    # In #general, where carol now writes too: bob's count is carol's message only.
    await carol.join(group)
    await carol.say("from carol, in the group")
    assert await bob.expect("unread", skip=STREAM, where=lambda d: d["room"] == group) == {
        "room": group,
        "count": 1,
        "username": "carol",
    }
    frames = await bob.collect(seconds=0.5)
    assert not [data for name, data in frames if name == "unread" and data.get("username") == "ann"]
    await ann.expect("receive_message", skip=STREAM)  # carol's, in the group ann is showing
    await carol.join("general")
    await ann.join("general")
    await ann.say("ann in general")
    await carol.say("carol in general")
    frames = await bob.collect(seconds=2.5)
    assert [data["count"] for data in unread_of(frames, "general")][-1] == 1
