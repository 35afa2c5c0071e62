"""Editing and deleting your last message, and scrolling back through history, from the terminal."""

from rooms.tests.client.conftest import unique
from rooms.tests.support.client import NOISE


async def test_up_edits_the_last_message_and_delete_removes_it(terminal, browser_client):
    bob = await browser_client()
    async with terminal() as term:
        ann = unique("ann")
        await term.enter(ann)
        await term.pane_shows("#status", "#general")
        await bob.join("general", unique("bob"))
        await term.enter("first try")
        await term.enter("secnd try")
        await bob.expect("receive_message", where=lambda m: m["text"] == "first try", skip=(*NOISE, "ack", "typing"))
        sent = await bob.expect("receive_message", skip=(*NOISE, "ack", "typing"))
        await term.pane_shows("#messages", f"{ann} secnd try")

        await term.pilot.press("up")  # an empty line: Up brings back the last message to edit
        await term.pane_shows("#status", "editing")
        assert term.app.screen.query_one("#composer").value == "secnd try"
        await term.pilot.press("ctrl+u")  # Textual's Input: delete to the start of the line
        await term.enter("second try")
        updated = await bob.expect("message_updated", skip=(*NOISE, "ack", "typing"))
        assert (updated["id"], updated["text"]) == (sent["id"], "second try")
        await term.pane_shows("#messages", f"{ann} second try (edited)")

        await term.enter("/delete")
        deleted = await bob.expect("message_deleted", skip=(*NOISE, "ack", "typing"))
        assert deleted["id"] == sent["id"]
        await term.loses("second try")
        assert "first try" in term.pane("#messages")


async def test_pageup_scrolls_back_through_older_history(terminal, browser_client):
    room = unique("archive")
    bob = await browser_client()
    await bob.join(room, unique("bob"), create=True)
    for number in range(1, 71):  # more than the 50 a join brings
        await bob.say(f"old message {number:02}")

    async with terminal(room=room) as term:
        await term.enter(unique("ann"))
        await term.pane_shows("#messages", "old message 70")
        assert "old message 05" not in term.pane("#messages")
        for _ in range(40):  # PageUp until the top, then once more for the older page
            await term.pilot.press("pageup")
            if "old message 01" in term.pane("#messages"):
                break
            await term.pilot.pause(0.1)
        await term.pane_shows("#messages", "old message 01")
        shown = term.app.screen.lines()
        texts = [line.message["text"] for line in shown]
        assert texts == [f"old message {n:02}" for n in range(1, 71)]  # each once, in order


async def test_a_refused_message_is_said_and_given_back_to_the_message_line(terminal, browser_client):
    room = unique("slow")
    bob = await browser_client()
    await bob.join(room, unique("bob"), create=True)  # bob owns the room
    await bob.send("set_slow_mode", {"seconds": 600})
    await bob.expect("room_state")

    async with terminal(room=room) as term:
        ann = unique("ann")
        await term.enter(ann)
        await term.pane_shows("#status", f"#{room} as {ann}")
        await term.enter("one is allowed")
        await term.pane_shows("#messages", f"{ann} one is allowed")
        await term.enter("two is too soon")
        await term.pane_shows("#messages", "[rate_limited]")
        await term.loses("sending… two is too soon")
        assert term.app.screen.query_one("#composer").value == "two is too soon"  # kept, to send later
        texts = [line.message["text"] for line in term.app.screen.lines()]
        assert texts == ["one is allowed"]
