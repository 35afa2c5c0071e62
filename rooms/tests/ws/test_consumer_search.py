"""search → search_results through the real ASGI application: scoping, paging, hostile queries, the rate limit."""

import pytest

from rooms.tests.support.client import NOISE, STREAM_NOISE

pytestmark = pytest.mark.django_db(transaction=True)

SKIP = (*NOISE, *STREAM_NOISE, "ack", "receive_message", "typing", "room_update", "room_updates")


async def search(client, query, **extra):
    await client.send("search", {"query": query, **extra})
    return await client.expect("search_results", skip=SKIP)


async def test_search_finds_what_one_may_read_from_any_room_or_none(joined, connect):
    bob = await joined("tech", "bob")
    said = await bob.say("the kernel panics on boot")
    await bob.send("create_room", {})
    private = (await bob.expect("room_created", skip=SKIP))["room"]["name"]
    await bob.join(private, "bob")
    secret = await bob.say("kernel secrets in here")
    ann = await connect(username="ann")  # in no room at all
    answer = await search(ann, "kernel")
    assert answer["query"] == "kernel"
    assert [r["id"] for r in answer["results"]] == [said["id"]]
    [result] = answer["results"]
    assert (result["room"], result["username"], result["snippet"]) == ("tech", "bob", "the kernel panics on boot")
    assert [result["snippet"][s:e] for s, e in result["ranges"]] == ["kernel"]
    assert answer["next"] is None
    mine = await search(bob, "kernel")
    assert [r["id"] for r in mine["results"]] == [secret["id"], said["id"]]
    assert mine["results"][0]["room_kind"] == "private"


async def test_pages_come_with_before(joined, settings):
    settings.SEARCH_PAGE_SIZE = 2
    ann = await joined("tech", "ann")
    posted = [(await ann.say(f"paging {i}"))["id"] for i in range(3)]
    first = await search(ann, "paging")
    assert [r["id"] for r in first["results"]] == posted[:0:-1]
    rest = await search(ann, "paging", before=first["next"])
    assert [r["id"] for r in rest["results"]] == posted[:1]
    assert rest["next"] is None


@pytest.mark.parametrize("query", ['"', "'; DROP TABLE rooms_message; --", "x" * 5000, "*:(", "NEAR(a b) OR"])
async def test_hostile_queries_are_answered_and_the_socket_stays(joined, query):
    ann = await joined("tech", "ann")
    answer = await search(ann, query)
    assert answer["results"] == []
    assert (await ann.say("still here"))["text"] == "still here"


async def test_a_search_needs_a_query_string(connect):
    ann = await connect(username="ann")
    await ann.send("search", {"query": 5})
    error = await ann.expect("error", skip=SKIP)
    assert error["code"] == "bad_frame"
    assert "search.query" in error["message"]


async def test_searching_too_fast_is_refused_with_its_own_code(connect, settings):
    settings.SEARCH_RATE_LIMIT = 2
    settings.SEARCH_RATE_WINDOW_SECONDS = 60
    ann = await connect(username="ann")
    await search(ann, "one")
    await search(ann, "two")
    await ann.send("search", {"query": "three"})
    error = await ann.expect("error", skip=SKIP)
    assert (error["code"], error["event"]) == ("searches_too_fast", "search")
    assert 0 < error["retry_after"] <= 60
    other = await connect(username="bob")  # per person
    assert (await search(other, "one"))["results"] == []


async def test_a_conversations_messages_are_found_by_its_members_only(joined):
    ann = await joined("general", "ann")
    bob = await joined("general", "bob")
    carol = await joined("general", "carol")
    await ann.send("open_direct", {"usernames": ["bob"]})
    room = (await ann.expect("direct_opened", skip=SKIP))["room"]
    await ann.join(room)
    said = await ann.say("the pineapple plan")
    public = await carol.say("pineapple pizza, anyone?")
    for member in (ann, bob):
        found = await search(member, "pineapple")
        assert [r["id"] for r in found["results"]] == [public["id"], said["id"]]
        assert found["results"][1]["room"] == room and found["results"][1]["room_kind"] == "direct"
    outsider = await search(carol, "pineapple")
    assert [r["id"] for r in outsider["results"]] == [public["id"]]
    assert room not in str(outsider)


async def test_who_blocks_someone_no_longer_finds_their_messages(joined):
    bob = await joined("general", "bob")
    carol = await joined("general", "carol")
    ann = await joined("tech", "ann")
    his = await bob.say("the mango shipment is late")
    hers = await ann.say("mango season again")
    assert [r["id"] for r in (await search(carol, "mango"))["results"]] == [hers["id"], his["id"]]
    await carol.send("block", {"message_id": his["id"]})
    await carol.expect("block_added", skip=SKIP)
    assert [r["id"] for r in (await search(carol, "mango"))["results"]] == [hers["id"]]
    assert (await search(carol, "from:bob"))["results"] == []
    assert [r["id"] for r in (await search(ann, "mango"))["results"]] == [hers["id"], his["id"]]  # the others still do
