"""Direct conversations on the socket: opening one, its members' streams, and every path an outsider could try.

The sockets are the real ASGI application (origin check, session, consumer,
hub) on the test database; nothing is mocked.
"""

import json
import re

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from rooms.models import Membership, Report, Room
from rooms.rules import new_direct_name
from rooms.tests.support.accounts import log_in, session_of, sign_up
from rooms.tests.support.client import LOBBY_NOISE, NOISE, STREAM_NOISE

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = (*NOISE, *STREAM_NOISE)


async def three_in_general(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    carol = await joined("general", "carol")
    return ann, bob, carol


async def open_direct(client, *names) -> str:
    await client.send("open_direct", {"usernames": list(names)})
    return (await client.expect("direct_opened", skip=STREAM))["room"]


async def refusal(client, event: str, data: dict) -> dict:
    await client.send(event, data)
    return await client.expect("error", skip=STREAM)


async def test_the_same_people_open_the_same_conversation_and_only_they_hear_of_it(joined):
    ann, bob, carol = await three_in_general(joined)
    room = await open_direct(ann, "bob")
    assert room.startswith("_") and len(room) == 31

    added = await bob.expect("direct_added", skip=NOISE)
    assert added["room"] == room
    assert [person["username"] for person in added["people"]] == ["ann"]
    assert added["people"][0]["online"] is True
    # Opened again, from either side, it is the same conversation: nothing new is announced.
    assert await open_direct(ann, "BOB") == room
    assert await open_direct(bob, "ann") == room
    assert "direct_added" not in await bob.events(skip=NOISE)

    assert (await ann.join(room))["room"]["kind"] == "direct"
    sent = await ann.say("just between us")
    # bob is in #general: he hears the count and who wrote, never the text.
    unread = await bob.expect("unread", skip=NOISE)
    assert unread == {"room": room, "count": 1, "username": "ann"}
    heard = await carol.collect(seconds=0.5)
    assert all(room not in json.dumps(data) and "between us" not in json.dumps(data) for _, data in heard)

    confirm = await bob.join(room)
    assert [m["text"] for m in confirm["history"]] == ["just between us"] and confirm["last_read"] == 0
    await bob.send("mark_read", {"room": room, "id": sent["id"]})
    assert await bob.expect("unread", skip=NOISE) == {"room": room, "count": 0, "last_read": sent["id"]}


async def test_counts_come_back_from_the_database_on_every_new_socket(connect, joined):
    ann, bob, _ = await three_in_general(joined)
    room = await open_direct(ann, "bob")
    await ann.join(room)
    await ann.say("one")
    await ann.say("two")
    await bob.expect("unread", skip=STREAM, where=lambda data: data["count"] == 2)

    again = await connect(session=bob.session_key)
    inbox = again.inbox
    assert [c["room"] for c in inbox["conversations"]] == [room]
    counts = {row["room"]: row["count"] for row in inbox["unread"]}
    assert counts == {"general": 0, room: 2}

    # Read on one device, cleared on the other: both sockets of bob hear it.
    await again.join(room)
    newest = (await again.send("history", {}), await again.expect("history", skip=NOISE))[1]["messages"][-1]["id"]
    await again.send("mark_read", {"room": room, "id": newest})
    assert (await bob.expect("unread", skip=NOISE))["count"] == 0
    assert (await again.expect("unread", skip=NOISE))["count"] == 0


async def test_refusals_say_why(joined):
    ann, _, _ = await three_in_general(joined)
    assert (await refusal(ann, "open_direct", {"usernames": ["ann"]}))["code"] == "direct_self"
    assert (await refusal(ann, "open_direct", {"usernames": ["nobody-here"]}))["code"] == "member_not_found"
    eight = [f"p{i}" for i in range(8)]
    assert (await refusal(ann, "open_direct", {"usernames": eight}))["code"] == "too_many_people"
    assert (await refusal(ann, "open_direct", {"usernames": []}))["code"] == "bad_frame"
    assert (await refusal(ann, "open_direct", {"usernames": [3]}))["code"] == "bad_frame"


async def test_a_group_of_up_to_eight_and_an_account_who_is_elsewhere(connect, joined):
    await sign_up(None, "dave")  # an account, not in the room: found by its name
    ann, bob, carol = await three_in_general(joined)
    room = await open_direct(ann, "bob", "carol", "dave")
    assert await open_direct(carol, "dave", "ann", "bob") == room
    people = {p["username"] for p in (await bob.expect("direct_added", skip=NOISE))["people"]}
    assert people == {"ann", "carol", "dave"}
    assert await database_sync_to_async(Membership.objects.filter(room__name=room).count)() == 4


async def test_a_block_refuses_a_one_to_one_both_ways_in(joined):
    ann, bob, _ = await three_in_general(joined)
    room = await open_direct(ann, "bob")
    await ann.join(room)
    await bob.join(room)  # ann is here now, not in #general
    await bob.send("block", {"username": "ann"})
    blocked = await bob.expect("block_added", skip=STREAM)
    assert blocked["username"] == "ann"

    error = await refusal(ann, "send_message", {"text": "hello?", "client_id": "c1"})
    assert error["code"] == "blocked" and error["client_id"] == "c1", error
    await ann.send("leave_room")
    await ann.expect("leave_confirm", skip=NOISE)
    await ann.join("general")
    await bob.join("general")  # where ann can find him by name
    assert (await refusal(ann, "open_direct", {"usernames": ["bob"]}))["code"] == "blocked"

    await bob.send("unblock", {"author": blocked["author"]})
    assert (await bob.expect("block_removed", skip=STREAM))["author"] == blocked["author"]
    assert await open_direct(ann, "bob") == room


async def test_a_guest_who_signs_up_keeps_their_conversations(connect, joined):
    ann, bob, _ = await three_in_general(joined)
    room = await open_direct(ann, "bob")
    await ann.join(room)
    await ann.say("hi bob")
    await sign_up(bob.session_key, "robert")
    await bob.expect("identity", skip=STREAM)
    # bob's open socket now follows the account's stream: the next message's count reaches it there.
    await ann.say("still there?")
    assert (await bob.expect("unread", skip=NOISE, where=lambda data: data["count"] == 2))["room"] == room
    # The account's every device, a new one included, has the conversation and its count.
    fresh = await connect(session=session_of(await log_in("robert")))
    inbox = fresh.inbox
    assert [c["room"] for c in inbox["conversations"]] == [room]
    assert {row["room"]: row["count"] for row in inbox["unread"]}[room] == 2


# --- every way in, as someone who is not a member ---------------------------------------------


async def outsider_sees(carol, room: str, stranger_room: str, message_id: int, missing_id: int):
    """What carol gets for each path into `room`, next to the same path into a room that does not exist."""
    answers = []
    for target, msg in ((room, message_id), (stranger_room, missing_id)):
        seen = []
        for event, data in (
            ("join_room", {"room_name": target}),
            ("join_room", {"room_name": target.upper()}),
            ("join_room", {"room_name": target, "create": True}),
            ("join_room", {"room_name": target, "since_id": 0}),
            ("join_room", {"room_name": target, "since_id": msg - 1}),
            ("mark_read", {"room": target, "id": msg}),
        ):
            seen.append((event, await refusal(carol, event, data)))
        await carol.join("general")
        for event, data in (
            ("edit_message", {"id": msg, "text": "mine now"}),
            ("delete_message", {"id": msg}),
            ("get_profile", {"message_id": msg}),
            ("block", {"message_id": msg}),
            ("history", {"before_id": msg + 1}),
        ):
            await carol.send(event, data)
            name, answer = await _next(carol)
            seen.append((event, (name, answer)))
        answers.append(seen)
    return answers


async def _next(client):
    while True:
        name, data = await client.receive()
        if name not in (*LOBBY_NOISE, "member_list", "system_message"):
            return name, data


async def test_an_outsider_gets_exactly_what_a_missing_room_gets_on_every_path(connect, joined):
    ann, bob, carol = await three_in_general(joined)
    room = await open_direct(ann, "bob")
    await ann.join(room)
    sent = await ann.say("private")
    stranger = new_direct_name()
    missing = sent["id"] + 1000

    real, fake = await outsider_sees(carol, room, stranger, sent["id"], missing)
    for (event, got), (_, expected) in zip(real, fake, strict=True):
        assert got == expected, event
    codes = [(answer[1] if isinstance(answer, tuple) else answer).get("code") for _, answer in real]
    assert codes == [
        "room_not_found",  # join by its identifier
        "room_not_found",  # ... in other case
        "invalid_room_name",  # ... asking to create it, as for any name that cannot be a room's
        "room_not_found",  # resume from the start
        "room_not_found",  # resume with since_id
        "room_not_found",  # mark_read
        "message_not_found",  # edit its message from #general
        "message_not_found",  # delete it
        "message_not_found",  # its author's profile card
        "message_not_found",  # block its author
        None,  # history: #general's own
    ]
    # history in #general is #general's: the conversation's message is not in it.
    history = next(answer for event, answer in real if event == "history")
    assert history[0] == "history" and all(m["id"] != sent["id"] for m in history[1]["messages"])

    # Nothing carol's sockets ever received names the conversation; nor does the lobby or search.
    await carol.send("find_rooms", {"query": ""})
    found = await carol.expect("room_results", skip=NOISE)
    assert room not in json.dumps(found)
    later = await connect(session=carol.session_key)
    everything = await later.collect(seconds=0.3) + await carol.collect(seconds=0.3)
    assert all(room not in json.dumps(data) and data.get("text") != "private" for _, data in everything)
    # The room page: a conversation's address is a 404 like any missing room's, for an outsider.
    page, other = await _get(carol.session_key, f"/r/{room}/"), await _get(carol.session_key, f"/r/{stranger}/")
    assert page.status_code == other.status_code == 404
    assert _page_text(page).replace(room, "ID") == _page_text(other).replace(stranger, "ID")
    assert await database_sync_to_async(Room.objects.filter(name=room, kind="direct").exists)()


def _page_text(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@database_sync_to_async
def _get(session_key: str, path: str):
    client = Client()
    client.cookies["sessionid"] = session_key
    return client.get(path)


@database_sync_to_async
def reports_of(message_id: int) -> list[tuple[str, str]]:
    return list(Report.objects.filter(message_id=message_id).values_list("reporter_name", "reason"))


async def test_a_member_reports_a_message_and_an_outsider_cannot(joined):
    ann, bob, carol = await three_in_general(joined)
    room = await open_direct(ann, "bob")
    await ann.join(room)
    await bob.join(room)
    sent = await ann.say("something nasty")
    await bob.expect("receive_message", skip=STREAM)
    await bob.send("report_message", {"id": sent["id"], "reason": "  rude\x07 and   mean "})
    assert await bob.expect("reported", skip=STREAM) == {"id": sent["id"]}
    await bob.send("report_message", {"id": sent["id"]})  # again: still one report
    await bob.expect("reported", skip=STREAM)
    assert await reports_of(sent["id"]) == [("bob", "rude and mean")]

    # carol, in #general, reporting it by id gets what a message that does not exist gets.
    outsider = await refusal(carol, "report_message", {"id": sent["id"]})
    missing = await refusal(carol, "report_message", {"id": sent["id"] + 1000})
    assert outsider == missing and outsider["code"] == "message_not_found"
    assert await reports_of(sent["id"]) == [("bob", "rude and mean")]


async def test_reactions_and_replies_work_in_a_conversation_and_never_from_outside(joined):
    ann, bob, carol = await three_in_general(joined)
    room = await open_direct(ann, "bob")
    await ann.join(room)
    await bob.join(room)
    first = await ann.say("shall we?")
    await bob.expect("receive_message", skip=STREAM)

    await bob.send("react", {"id": first["id"], "emoji": "👍"})
    for member in (ann, bob):
        reactions = await member.expect("reactions", skip=STREAM)
        assert reactions["id"] == first["id"] and [r["emoji"].rstrip("\ufe0f") for r in reactions["reactions"]] == [
            "👍"
        ]
    await bob.send("send_message", {"text": "yes", "client_id": "r1", "reply_to": first["id"]})
    reply = await ann.expect("receive_message", skip=(*STREAM, "reactions"))
    assert reply["reply_to"]["id"] == first["id"] and reply["reply_to"]["text"] == "shall we?"

    # carol, in #general, reaches neither the message nor its reactions: the same answer as a missing id.
    for event, data in (
        ("react", {"id": first["id"], "emoji": "👍"}),
        ("unreact", {"id": first["id"], "emoji": "👍"}),
        ("send_message", {"text": "me too", "client_id": "c1", "reply_to": first["id"]}),
        ("history", {"around_id": first["id"]}),
    ):
        assert (await refusal(carol, event, data))["code"] == "message_not_found", event
    heard = await carol.collect(seconds=0.4)
    assert all(room not in json.dumps(data) and "shall we" not in json.dumps(data) for _, data in heard)
