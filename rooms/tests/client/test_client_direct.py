"""Direct messages in the terminal client, with someone on the browser protocol, against a real daphne."""

from asyncio import to_thread

from rooms.rules import new_direct_name
from rooms.tests.client.conftest import unique
from rooms.tests.support.client import NOISE, WSClient


async def in_general(term, browser_client):
    """ann at the terminal and bob on the browser protocol, both in #general: (ann's name, bob's client, name)."""
    ann = unique("ann")
    await term.enter(ann)
    await term.pane_shows("#status", f"#general as {ann}")
    bob = await browser_client()
    bob_name = unique("bob")
    await bob.join("general", bob_name)
    await term.pane_shows("#members", bob_name)
    return ann, bob, bob_name


async def test_a_direct_conversation_opens_chats_counts_unread_and_clears(terminal, browser_client, server):
    async with terminal() as term:
        ann, bob, bob_name = await in_general(term, browser_client)

        await term.enter(f"/msg {bob_name}")
        await term.pane_shows("#status", f"direct with {bob_name} as {ann}")
        await term.pane_shows("#directs", bob_name)
        assert bob_name not in term.pane("#rooms")  # a conversation is never in the lobby
        added = await bob.expect("direct_added", skip=NOISE)
        assert [person["username"] for person in added["people"]] == [ann]
        conversation = added["room"]

        await bob.join(conversation)
        await term.enter("hi bob, privately")
        heard = await bob.expect("receive_message", skip=(*NOISE, "typing", "ack"))
        assert (heard["room"], heard["username"], heard["text"]) == (conversation, ann, "hi bob, privately")
        await bob.say("hello ann")
        await term.pane_shows("#messages", f"{bob_name} hello ann")

        # ann goes back to #general; bob writes twice: the count shows in the list, with a notice.
        await term.enter("/join general")
        await term.pane_shows("#status", f"#general as {ann}")
        await bob.say("are you there?")
        await term.pane_shows("#directs", f"{bob_name} (1 new)")
        await term.pane_shows("#messages", f"{bob_name} wrote to you")
        second = await bob.say("second one")
        await term.pane_shows("#directs", f"{bob_name} (2 new)")
        assert "are you there?" not in term.pane("#messages")  # elsewhere: the count, never the text

        # ann's second device (her session, another socket) hears her read position move.
        device = await WSClient(server.ws_url, cookie=term.app.connection.cookie).open()
        try:
            inbox = await device.expect("inbox", skip=("room_list",))
            assert {row["room"]: row["count"] for row in inbox["unread"]}[conversation] == 2

            # Picked from the list with the keyboard: Tab to the rooms, Tab to the conversations, Enter.
            await term.pilot.press("tab", "tab", "home", "enter")
            await term.pane_shows("#status", f"direct with {bob_name}")
            await term.pane_shows("#messages", f"{bob_name} second one")  # its history, like a room
            assert "are you there?" in term.pane("#messages")
            await term.loses("(2 new)")
            read = await device.expect("unread", skip=NOISE)
            assert (read["room"], read["count"]) == (conversation, 0)
            assert read["last_read"] == second["id"]  # the newest message it showed
        finally:
            await device.close()


async def test_a_conversation_with_yourself_or_someone_who_blocked_you_is_refused(terminal, browser_client):
    async with terminal() as term:
        ann, bob, bob_name = await in_general(term, browser_client)

        await term.enter(f"/msg {ann}")
        await term.pane_shows("#messages", "[direct_self]")
        await term.enter("/msg nobody-here-at-all")
        await term.pane_shows("#messages", "[member_not_found]")
        await term.enter("/msg " + " ".join(unique("p") for _ in range(8)))
        await term.pane_shows("#messages", "[too_many_people]")

        await bob.send("block", {"username": ann})
        assert (await bob.expect("block_added", skip=NOISE))["username"] == ann
        await term.enter(f"/msg {bob_name}")
        await term.pane_shows("#messages", "[blocked]")
        refusal = next(line for line in term.pane("#messages").splitlines() if "[blocked]" in line)
        assert len(refusal.split("⚠", 1)[1].split("[blocked]")[0].strip()) > 3  # the server's sentence, too
        await term.pane_shows("#status", f"#general as {ann}")  # still where it was
        assert bob_name not in term.pane("#directs")


async def test_a_rooms_unread_count_is_live_and_comes_back_with_the_inbox_after_a_reconnect(
    terminal, browser_client, relay
):
    room = unique("lounge")
    bob = await browser_client()
    await bob.join(room, unique("bob"), create=True)
    async with terminal(url=relay.url) as term:
        await term.enter(unique("ann"))
        await term.pane_shows("#status", "#general as")
        await term.enter(f"/join {room}")  # ann belongs to the room from now on
        await term.pane_shows("#status", f"#{room} as")
        await term.enter("/join general")
        await term.pane_shows("#status", "#general as")
        await bob.say("one while you were away")
        await bob.say("two while you were away")
        await term.pane_shows("#rooms", f"#{room} 1 (2 new)")  # live, on ann's own stream (coalesced)

        relay.cut()  # the socket drops; the client reconnects and gets its inbox from the database
        await term.pane_shows("#rooms", f"#{room} 1 (2 new)", wait=30)
        await term.pane_shows("#status", "● connected · #general")

        await term.enter(f"/join {room}")
        await term.pane_shows("#messages", "two while you were away")
        await term.loses("(2 new)")


async def test_block_hides_their_messages_and_refuses_their_direct_messages_until_unblocked(terminal, browser_client):
    async with terminal() as term:
        ann, bob, bob_name = await in_general(term, browser_client)
        await bob.say("before the block")
        await term.pane_shows("#messages", f"{bob_name} before the block")

        await term.enter(f"/block {bob_name}")
        await term.pane_shows("#messages", f"You blocked {bob_name}")
        await term.loses("before the block")  # what they said is hidden too
        await bob.say("said while blocked")
        await bob.send("open_direct", {"usernames": [ann]})
        assert (await bob.expect("error", skip=(*NOISE, "ack", "receive_message")))["code"] == "blocked"
        await term.enter("still here")
        await bob.expect("receive_message", skip=(*NOISE, "ack", "typing"), where=lambda d: d["text"] == "still here")
        assert "said while blocked" not in term.pane("#messages")

        await term.enter("/unblock nobody-like-that")
        await term.pane_shows("#messages", "You have not blocked anyone called nobody-like-that.")
        await term.enter(f"/unblock {bob_name}")
        await term.pane_shows("#messages", f"You unblocked {bob_name}")
        await bob.say("after the unblock")
        await term.pane_shows("#messages", f"{bob_name} after the unblock")


SEED_OLD_CONVERSATION = """
from datetime import timedelta
from django.utils import timezone
from rooms.models import Membership, Presence, Room

def key_of(name):
    return Presence.objects.filter(room__key="general", username=name).values_list("guest_key", flat=True).get()

old = Room.objects.create(
    kind="direct", name={name!r}, title="Direct conversation", people_key="seed-" + {name!r},
    last_active_at=timezone.now() - timedelta(days=30),
)
Membership.objects.create(person_key=key_of({ann!r}), room=old, username={ann!r})
Membership.objects.create(person_key=key_of({bob!r}), room=old, username={bob!r})
"""


async def test_news_in_a_conversation_the_inbox_did_not_list_brings_it_into_the_list(terminal, browser_client, server):
    async with terminal() as term:
        ann, bob, bob_name = await in_general(term, browser_client)
        # A conversation of theirs the terminal's inbox did not carry (as one past its first page would not).
        conversation = new_direct_name()
        await to_thread(server.shell, SEED_OLD_CONVERSATION.format(name=conversation, ann=ann, bob=bob_name))
        assert bob_name not in term.pane("#directs")

        await bob.join(conversation)
        await bob.say("an old thread, again")
        await term.pane_shows("#directs", f"{bob_name} (1 new)")


async def test_the_conversation_list_shows_online_dots_that_follow_the_other_person(terminal, browser_client):
    async with terminal() as term:
        ann, bob, bob_name = await in_general(term, browser_client)
        await term.enter(f"/msg {bob_name}")
        await term.pane_shows("#directs", f"● {bob_name}")  # bob is in #general: online

        await bob.send("leave_room")  # back to the lobby: in no room, offline
        await bob.expect("leave_confirm", skip=(*NOISE, "direct_added"))
        await term.pane_shows("#directs", f"○ {bob_name}")
        await bob.join("general", bob_name)  # a room again: online
        await term.pane_shows("#directs", f"● {bob_name}")
        await bob.close()  # every socket closed: offline
        await term.pane_shows("#directs", f"○ {bob_name}")


SEED_CONVERSATIONS = """
from datetime import timedelta
from django.utils import timezone
from rooms.models import Membership, Presence, Room
from rooms.rules import new_direct_name

ann = Presence.objects.filter(room__key="general", username={ann!r}).values_list("guest_key", flat=True).get()
start = timezone.now() - timedelta(days=10)
for n in range({count}):
    name = new_direct_name()
    room = Room.objects.create(
        kind="direct", name=name, title="Direct conversation", people_key="seed-" + name,
        last_active_at=start + timedelta(minutes=n + 1),
    )
    Membership.objects.create(person_key=ann, room=room, username={ann!r})
    Membership.objects.create(person_key="g:someone-away", room=room, username=f"pat{{n:02d}}")
"""


async def test_moving_to_the_last_conversation_listed_pages_in_the_older_ones(terminal, server, relay):
    async with terminal(url=relay.url) as term:
        ann = unique("ann")
        await term.enter(ann)
        await term.pane_shows("#status", f"#general as {ann}")
        await to_thread(server.shell, SEED_CONVERSATIONS.format(ann=ann, count=60))
        relay.cut()  # reconnected, the client gets its inbox again: the newest 50 of 60, and `more`
        await term.pane_shows("#directs", "○ pat59", wait=30)
        await term.pane_shows("#status", "● connected · #general")
        directs = term.app.screen.query_one("#directs")
        assert directs.option_count == 50

        # Tab to the rooms, Tab to the conversations, End: the last one listed; the next page comes.
        await term.pilot.press("tab", "tab", "end")
        await term.until(lambda: directs.option_count == 60, "the older ten conversations listed")
        await term.pilot.press("end")
        await term.pane_shows("#directs", "○ pat00")  # the oldest, at the end
        assert term.app.screen.inbox_more is False  # nothing older: End again asks for nothing
        await term.pilot.press("home", "end")
        await term.pilot.pause(0.3)
        assert directs.option_count == 60
        assert term.app.screen.inbox_asking is None
