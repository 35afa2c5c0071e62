"""Reactions, replies and history around a message, through the real ASGI application:
what the room hears, every refusal, and what a resuming page is sent."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from rooms.models import Message, Reaction
from rooms.tests.support.client import NOISE

pytestmark = pytest.mark.django_db(transaction=True)

SKIP = (*NOISE, "ack", "receive_message", "typing")
THUMBS = "👍\ufe0f"  # as the picker's data writes it; "👍" alone is the same emoji


async def reactions_of(client, message_id, until=None):
    """The next `reactions` frame of that message (that satisfies `until`: older ones may come first)."""
    return await client.expect(
        "reactions", skip=(*SKIP, "reactions"), where=lambda d: d["id"] == message_id and (until is None or until(d))
    )


def counts(data):
    return [(r["emoji"], r["count"]) for r in data["reactions"]]


@database_sync_to_async
def stored(message_id):
    return sorted(Reaction.objects.filter(message_id=message_id).values_list("username", "emoji"))


@database_sync_to_async
def remove(message_id):
    Message.objects.filter(pk=message_id).update(deleted_at="2026-01-01T00:00:00Z", deleted_by="moderator")


# --- react and unreact -------------------------------------------------------------


async def test_a_reaction_reaches_everyone_with_its_count_and_who(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    message = await ann.say("lunch?")
    await bob.expect("receive_message", skip=SKIP[:-2])
    await bob.send("react", {"id": message["id"], "emoji": "👍"})
    for client in (ann, bob):
        data = await reactions_of(client, message["id"])
        assert data["room"] == "general"
        [thumbs] = data["reactions"]
        assert thumbs["emoji"] == THUMBS
        assert thumbs["count"] == 1
        assert thumbs["names"] == ["bob"]
        assert thumbs["authors"] != [message["author"]]  # bob's token, not ann's
    await ann.send("react", {"id": message["id"], "emoji": THUMBS})  # the same emoji, the picker's way
    data = await reactions_of(bob, message["id"])
    assert len(data["reactions"]) == 1
    assert data["reactions"][0]["count"] == 2
    assert data["reactions"][0]["names"] == ["bob", "ann"]
    assert message["author"] in data["reactions"][0]["authors"]
    assert await stored(message["id"]) == [("ann", THUMBS), ("bob", THUMBS)]


async def test_unreact_takes_only_ones_own_reaction_off(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    message = await ann.say("vote")
    for client in (ann, bob):
        await client.send("react", {"id": message["id"], "emoji": "🎉"})
        await reactions_of(client, message["id"])
    await bob.send("unreact", {"id": message["id"], "emoji": "🎉"})
    data = await reactions_of(ann, message["id"], until=lambda d: counts(d) == [("🎉", 1)])
    assert data["reactions"][0]["names"] == ["ann"]
    assert await stored(message["id"]) == [("ann", "🎉")]
    await ann.send("unreact", {"id": message["id"], "emoji": "🎉"})
    await reactions_of(bob, message["id"], until=lambda d: d["reactions"] == [])
    assert await stored(message["id"]) == []


async def test_the_same_reaction_twice_is_stored_once(joined):
    ann = await joined("tech", "ann")
    message = await ann.say("x")
    await ann.send("react", {"id": message["id"], "emoji": "👀"})
    await reactions_of(ann, message["id"])
    await ann.send("react", {"id": message["id"], "emoji": "👀"})
    assert await ann.events(seconds=0.5) == []
    assert await stored(message["id"]) == [("ann", "👀")]


async def test_history_carries_reactions_and_their_rseq(joined):
    ann = await joined("music", "ann")
    message = await ann.say("song")
    await ann.send("react", {"id": message["id"], "emoji": "🎵"})
    live = await reactions_of(ann, message["id"])
    bob = await joined("music", "bob")
    await bob.send("history", {})
    page = await bob.expect("history", skip=SKIP)
    [shown] = [m for m in page["messages"] if m["id"] == message["id"]]
    assert shown["reactions"] == live["reactions"]
    assert shown["rseq"] == live["rseq"]


# --- refusals ----------------------------------------------------------------------


async def test_an_emoji_the_picker_does_not_offer_is_refused(joined):
    ann = await joined("general", "ann")
    message = await ann.say("x")
    for event in ("react", "unreact"):
        for emoji in ["hello", "👍👍", "<b>", "a", "\u200b", "👍\u200d"]:
            await ann.send(event, {"id": message["id"], "emoji": emoji})
            error = await ann.expect("error", skip=SKIP)
            assert error["code"] == "invalid_emoji", emoji
            assert error["event"] == event
    await ann.send("react", {"id": message["id"], "emoji": "x" * 33})
    assert (await ann.expect("error", skip=SKIP))["code"] == "bad_frame"
    await ann.send("react", {"id": message["id"]})
    assert (await ann.expect("error", skip=SKIP))["code"] == "bad_frame"
    assert await stored(message["id"]) == []


async def test_a_skin_tone_from_the_picker_is_an_emoji(joined):
    ann = await joined("general", "ann")
    message = await ann.say("x")
    await ann.send("react", {"id": message["id"], "emoji": "👍🏽"})
    assert (await reactions_of(ann, message["id"]))["reactions"][0]["emoji"] == "👍🏽"


async def test_reacting_to_a_removed_message_or_another_rooms_is_refused(joined):
    ann = await joined("general", "ann")
    bob = await joined("tech", "bob")
    here = await ann.say("here")
    there = await bob.say("there")
    await remove(here["id"])
    for message_id in (here["id"], there["id"], 10**9):
        for event in ("react", "unreact"):
            await ann.send(event, {"id": message_id, "emoji": "👍"})
            error = await ann.expect("error", skip=SKIP)
            assert error["code"] == "message_not_found"
            assert error["event"] == event


async def test_reacting_outside_a_room_is_not_in_room(connect):
    ann = await connect(username="ann")
    await ann.send("react", {"id": 1, "emoji": "👍"})
    assert (await ann.expect("error"))["code"] == "not_in_room"


async def test_a_message_takes_a_limited_number_of_different_emoji(joined, settings):
    settings.REACTIONS_PER_MESSAGE_MAX = 2
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    message = await ann.say("pick")
    for emoji in ("😀", "😂"):
        await ann.send("react", {"id": message["id"], "emoji": emoji})
        await reactions_of(ann, message["id"], until=lambda d, e=emoji: e in [r["emoji"] for r in d["reactions"]])
    await ann.send("react", {"id": message["id"], "emoji": "🔥"})
    error = await ann.expect("error", skip=SKIP)
    assert error["code"] == "reaction_limit"
    assert error["max_reactions"] == 2
    # One already there may still be added by someone else.
    await bob.send("react", {"id": message["id"], "emoji": "😂"})
    await reactions_of(bob, message["id"], until=lambda d: counts(d) == [("😀", 1), ("😂", 2)])


async def test_reacting_too_fast_is_refused_with_its_own_code(joined, settings):
    settings.REACTION_RATE_LIMIT = 3
    settings.REACTION_RATE_WINDOW_SECONDS = 60
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    message = await ann.say("spam me")
    for event, count in (("react", 1), ("unreact", 0), ("react", 1)):
        await ann.send(event, {"id": message["id"], "emoji": "👍"})
        await reactions_of(ann, message["id"], until=lambda d, c=count: len(d["reactions"]) == c)
    await ann.send("unreact", {"id": message["id"], "emoji": "👍"})
    error = await ann.expect("error", skip=SKIP)
    assert error["code"] == "reactions_too_fast"
    assert 0 < error["retry_after"] <= 60
    assert await stored(message["id"]) == [("ann", THUMBS)]
    # Someone else is not slowed by it.
    await bob.send("react", {"id": message["id"], "emoji": "👍"})
    await reactions_of(bob, message["id"], until=lambda d: counts(d) == [(THUMBS, 2)])


async def test_removing_a_message_removes_its_reactions(joined):
    ann = await joined("general", "ann")
    message = await ann.say("oops")
    await ann.send("react", {"id": message["id"], "emoji": "😂"})
    await reactions_of(ann, message["id"])
    await ann.send("delete_message", {"id": message["id"]})
    await ann.expect("message_deleted", skip=SKIP)
    assert await stored(message["id"]) == []


# --- resume ------------------------------------------------------------------------


async def test_reactions_made_while_a_page_was_away_arrive_when_it_resumes(joined, connect):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    old = await ann.say("old one")
    untouched = await ann.say("nobody reacts to this")
    newest = await ann.say("newest")
    await bob.send("react", {"id": old["id"], "emoji": "❤️"})
    await reactions_of(ann, old["id"])
    await ann.send("join_room", {"room_name": "tech"})  # ann's page leaves, remembering what it knew
    first = await ann.expect("join_confirm", skip=SKIP)
    assert first["reactions_seq"] == 0  # nothing ever reacted in tech
    await ann.send("join_room", {"room_name": "general"})
    known = (await ann.expect("join_confirm", skip=SKIP))["reactions_seq"]
    assert known > 0
    await ann.close()

    await bob.send("react", {"id": old["id"], "emoji": "👍"})
    await reactions_of(bob, old["id"])
    await bob.send("react", {"id": newest["id"], "emoji": "🎉"})
    await reactions_of(bob, newest["id"])
    later = await bob.say("said while ann was away")
    await bob.send("react", {"id": later["id"], "emoji": "👀"})
    await reactions_of(bob, later["id"])

    back = await connect(username="ann")
    await back.send("join_room", {"room_name": "general", "since_id": newest["id"], "reactions_since": known})
    confirm = await back.expect("join_confirm", skip=NOISE)
    assert confirm["resumed"] is True
    assert confirm["reactions_seq"] > known
    frames = [(name, data) for name, data in await back.collect() if name in ("reactions", "receive_message")]
    changed = {data["id"]: data for name, data in frames if name == "reactions"}
    assert set(changed) == {old["id"], newest["id"]}  # not the untouched one, not the one ann never had
    assert untouched["id"] not in changed
    assert [r["emoji"] for r in changed[old["id"]]["reactions"]] == ["❤\ufe0f", THUMBS]
    assert [r["emoji"] for r in changed[newest["id"]]["reactions"]] == ["🎉"]
    # The message ann never had comes whole, its reactions with it, after the changed sets.
    [(name, missed)] = [(n, d) for n, d in frames if n == "receive_message"]
    assert missed["id"] == later["id"]
    assert [r["emoji"] for r in missed["reactions"]] == ["👀"]
    assert [n for n, _ in frames] == ["reactions", "reactions", "receive_message"]


async def test_edits_and_removals_made_while_a_page_was_away_arrive_when_it_resumes(joined, connect):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    edited = await bob.say("teh first")
    removed = await bob.say("something regrettable")
    kept = await bob.say("stays as it was")
    await ann.expect("receive_message", skip=NOISE, where=lambda d: d["id"] == kept["id"])
    await ann.send("join_room", {"room_name": "tech"})  # ann's page leaves, remembering what it knew
    await ann.expect("join_confirm", skip=SKIP)
    await ann.send("join_room", {"room_name": "general"})
    known = (await ann.expect("join_confirm", skip=SKIP))["reactions_seq"]
    await ann.close()

    await bob.send("edit_message", {"id": edited["id"], "text": "the first"})
    await bob.expect("message_updated", skip=SKIP)
    await bob.send("delete_message", {"id": removed["id"]})
    await bob.expect("message_deleted", skip=SKIP)

    back = await connect(username="ann")
    await back.send("join_room", {"room_name": "general", "since_id": kept["id"], "reactions_since": known})
    confirm = await back.expect("join_confirm", skip=NOISE)
    assert confirm["resumed"] is True and confirm["reactions_seq"] > known
    frames = [(n, d) for n, d in await back.collect() if n in ("message_updated", "message_deleted", "reactions")]
    assert ("message_deleted", {"id": removed["id"], "room": "general", "by": "author"}) in frames
    [update] = [d for n, d in frames if n == "message_updated"]
    assert (update["id"], update["text"]) == (edited["id"], "the first") and update["edited_at"]
    assert kept["id"] not in {d["id"] for _, d in frames}  # nothing changed there: not sent again

    # Resuming from the same point again gives the same frames: each carries the message's state now.
    await back.close()
    again = await connect(username="ann")
    await again.send("join_room", {"room_name": "general", "since_id": kept["id"], "reactions_since": known})
    await again.expect("join_confirm", skip=NOISE)
    names = [n for n, _ in await again.collect() if n in ("message_updated", "message_deleted")]
    assert sorted(names) == ["message_deleted", "message_updated"]


async def test_a_resume_without_reactions_since_is_sent_no_reaction_sets(joined, connect):
    ann = await joined("general", "ann")
    message = await ann.say("x")
    await ann.send("react", {"id": message["id"], "emoji": "👍"})
    await reactions_of(ann, message["id"])
    back = await connect(username="bob")
    await back.send("join_room", {"room_name": "general", "since_id": message["id"]})
    await back.expect("join_confirm", skip=NOISE)
    assert "reactions" not in await back.events()


# --- replies -----------------------------------------------------------------------


async def test_a_reply_quotes_its_original_as_it_is_when_read(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    original = await ann.say("is   the\nbuild green?")
    await bob.send("send_message", {"text": "yes", "reply_to": original["id"]})
    reply = await ann.expect("receive_message", skip=SKIP[:-2])
    assert reply["reply_to"] == {
        "id": original["id"],
        "username": "ann",
        "author": original["author"],
        "text": "is the build green?",
        "removed": False,
    }
    await ann.send("edit_message", {"id": original["id"], "text": "is main green?"})
    await ann.send("history", {})
    page = await ann.expect("history", skip=(*SKIP, "message_updated"))
    [shown] = [m for m in page["messages"] if m["id"] == reply["id"]]
    assert shown["reply_to"]["text"] == "is main green?"
    await ann.send("delete_message", {"id": original["id"]})
    await ann.send("history", {})
    page = await ann.expect("history", skip=(*SKIP, "message_deleted", "message_updated"))
    [shown] = [m for m in page["messages"] if m["id"] == reply["id"]]
    assert shown["reply_to"] == {"id": original["id"], "removed": True}


async def test_a_reply_to_a_removed_or_foreign_message_is_refused(joined):
    ann = await joined("general", "ann")
    bob = await joined("tech", "bob")
    removed = await ann.say("soon gone")
    await remove(removed["id"])
    foreign = await bob.say("elsewhere")
    for target in (removed["id"], foreign["id"]):
        await ann.send("send_message", {"text": "re", "reply_to": target, "client_id": f"c{target}"})
        error = await ann.expect("error", skip=SKIP)
        assert error["code"] == "message_not_found"
        assert error["client_id"] == f"c{target}"  # the page keeps the text
    assert not await database_sync_to_async(Message.objects.filter(text="re").exists)()


# --- history around a message, and after one ---------------------------------------


async def test_history_around_a_message_and_onwards_from_there(joined, settings):
    ann = await joined("sports", "ann")
    ids = [(await ann.say(f"m{i}"))["id"] for i in range(12)]
    await ann.send("history", {"around_id": ids[5], "limit": 5})
    page = await ann.expect("history", skip=SKIP)
    assert page["around_id"] == ids[5]
    assert [m["id"] for m in page["messages"]] == ids[3:8]
    assert page["has_more"] is True
    assert page["has_newer"] is True
    await ann.send("history", {"after_id": ids[7], "limit": 3})
    page = await ann.expect("history", skip=SKIP)
    assert page["after_id"] == ids[7]
    assert [m["id"] for m in page["messages"]] == ids[8:11]
    assert page["has_newer"] is True
    await ann.send("history", {"after_id": ids[10], "limit": 3})
    page = await ann.expect("history", skip=SKIP)
    assert [m["id"] for m in page["messages"]] == ids[11:]
    assert page["has_newer"] is False
    await ann.send("history", {"around_id": ids[0], "limit": 4})
    page = await ann.expect("history", skip=SKIP)
    assert [m["id"] for m in page["messages"]] == ids[0:4]  # nothing before it: the rest after
    assert page["has_more"] is False


async def test_history_around_a_message_not_in_the_room_is_refused(joined):
    ann = await joined("general", "ann")
    bob = await joined("tech", "bob")
    removed = await ann.say("gone")
    await remove(removed["id"])
    foreign = await bob.say("elsewhere")
    for target in (removed["id"], foreign["id"]):
        await ann.send("history", {"around_id": target})
        error = await ann.expect("error", skip=SKIP)
        assert error["code"] == "message_not_found"
        assert error["event"] == "history"


async def test_after_the_window_reacting_works_again(joined, settings):
    settings.REACTION_RATE_LIMIT = 1
    settings.REACTION_RATE_WINDOW_SECONDS = 1
    ann = await joined("general", "ann")
    message = await ann.say("x")
    await ann.send("react", {"id": message["id"], "emoji": "😀"})
    await reactions_of(ann, message["id"])
    await ann.send("react", {"id": message["id"], "emoji": "😂"})
    error = await ann.expect("error", skip=SKIP)
    assert error["code"] == "reactions_too_fast"
    await asyncio.sleep(error["retry_after"] + 0.1)
    await ann.send("react", {"id": message["id"], "emoji": "😂"})
    await reactions_of(ann, message["id"], until=lambda d: counts(d) == [("😀", 1), ("😂", 1)])
