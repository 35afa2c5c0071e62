"""Editing and deleting your last message, and scrolling back through history, from the terminal."""

from rooms.client.app import highlighted
from rooms.tests.client.conftest import unique
from rooms.tests.support import images
from rooms.tests.support.client import NOISE, WSClient
from rooms.tests.support.formclient import Browser
from rooms.tests.support.linksite import link_site


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


async def test_search_finds_what_was_said_with_where_who_and_the_words_marked(terminal, browser_client):
    async with terminal() as term:
        ann = unique("ann")
        await term.enter(ann)
        await term.pane_shows("#status", f"#general as {ann}")
        bob = await browser_client()
        bob_name = unique("bob")
        word = unique("aubergine")  # a word nothing else on this server says
        await bob.join("tech", bob_name)
        await bob.say(f"the {word} recipe is up")
        await bob.say(f"a second {word} here")

        await term.enter(f"/search {word} from:{bob_name}")
        await term.pane_shows("#messages", f"Messages matching '{word} from:{bob_name}', newest first:")
        await term.pane_shows("#messages", f"the {word} recipe is up")
        pane = term.pane("#messages")
        assert pane.index(f"a second {word} here") < pane.index(f"the {word} recipe is up")  # newest first
        assert f"Tech · {bob_name} · " in pane  # where it was said, by whom, when

        await term.enter("/search zzqqxx-nothing-like-it")
        await term.pane_shows("#messages", "No messages match 'zzqqxx-nothing-like-it'.")
        await term.enter('/search "')  # a lone quote: an answer, not an error
        await term.pane_shows("#messages", "No messages match '\"'.")


def test_a_search_snippet_marks_the_matched_words_even_after_an_emoji():
    snippet = "🎉 party at noon"
    # The server counts UTF-16 code units (docs/protocol.md): 🎉 is two, so "party" is 3..8.
    text = highlighted(snippet, [[3, 8]])
    [span] = text.spans
    assert snippet[span.start : span.end] == "party"


async def test_files_and_link_cards_are_shown_as_text(terminal, server):
    async with terminal() as term:
        ann = unique("ann")
        await term.enter(ann)
        await term.pane_shows("#status", f"#general as {ann}")
        browser = Browser()
        bob_name = unique("bob")
        bob = await WSClient(server.ws_url, cookie=browser.enter(server.url, bob_name), name="bob").open()
        try:
            await bob.join("general", bob_name)
            picture = browser.upload(server.url, "general", "sunset.jpg", images.halves(1200, 900, "JPEG"))
            await bob.send("send_message", {"text": "the view", "attachments": [picture["id"]], "client_id": "f1"})
            await term.pane_shows("#messages", f"{bob_name} the view")
            await term.pane_shows("#messages", f"[image] sunset.jpg ({picture['size'] / 1000:.1f} KB)")

            with link_site() as site:
                await bob.send("send_message", {"text": f"read {site.url('/page')}", "client_id": "f2"})
                # The card comes after the message, and is drawn under it.
                await term.pane_shows("#messages", "↳ The Test Site · A page about <b>tests</b>")
        finally:
            await bob.close()
