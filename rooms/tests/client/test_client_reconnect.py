"""The server drops the terminal client's socket: it reconnects, resumes with since_id and loses nothing."""

import asyncio

from rooms.tests.client.conftest import unique
from rooms.tests.support.client import NOISE, WSClient
from rooms.tests.support.tab import session_cookie


async def test_after_a_server_restart_it_resumes_and_gets_what_it_missed(terminal, browser_client, relay, server):
    async with terminal(url=relay.url) as term:  # the client reaches daphne through a relay the test can hold shut
        ann = unique("ann")
        await term.enter(ann)
        await term.pane_shows("#status", "● connected · #general")
        bob = await browser_client()
        bob_name = unique("bob")
        await bob.join("general", bob_name)
        await bob.say("before the restart")
        await term.pane_shows("#messages", f"{bob_name} before the restart")

        relay.hold()  # a reconnect cannot get through until the test says so
        server.restart()  # daphne goes down: it drops the client's socket
        await term.pane_shows("#status", "reconnecting")
        await term.enter("typed while away")
        await term.pane_shows("#messages", "sending… typed while away")

        bob = await browser_client()  # the browser tab is back first and the room goes on
        await bob.join("general", bob_name)
        await bob.say("missed one")
        await bob.say("missed two")
        await term.until(lambda: relay.refused > 0, "a reconnect attempt turned away")
        assert "missed one" not in term.pane("#messages")

        relay.release()
        await term.pane_shows("#status", "● connected · #general", wait=30)
        await term.pane_shows("#messages", f"{bob_name} missed two")
        heard = await bob.expect("receive_message", skip=(*NOISE, "ack", "typing"))
        assert (heard["username"], heard["text"]) == (ann, "typed while away")  # the outbox went after the join
        await term.pane_shows("#messages", f"{ann} typed while away")
        await term.loses("sending…")

        texts = [line.message["text"] for line in term.app.screen.lines()]
        assert texts == ["before the restart", "missed one", "missed two", "typed while away"], texts
        assert "Reconnected; caught up." in term.pane("#messages")  # resumed, not a fresh history


async def test_too_many_open_tabs_is_said_and_not_retried(terminal, browser_client, relay, server):
    async with terminal(url=relay.url) as term:
        await term.enter(unique("ann"))
        await term.pane_shows("#status", "● connected · #general")
        relay.hold()
        relay.cut()  # the socket drops; the reconnect waits at the relay
        await term.until(lambda: relay.refused > 0, "a reconnect attempt turned away")

        # Meanwhile the same person (the client's own session) fills their sockets on this process.
        tabs = [await WSClient(server.ws_url, cookie=term.app.connection.cookie).open() for _ in range(20)]
        try:
            for tab in tabs:
                await tab.expect("room_list", skip=())  # each one is in, not closed with 4014
            relay.release()
            await term.pane_shows("#messages", "Too many open tabs", wait=30)
            assert "4014" in term.pane("#messages")
            attempts = relay.accepted
            await asyncio.sleep(3)  # the backoff would have tried again well within this
            assert relay.accepted == attempts, "it reconnected after 4014"
        finally:
            for tab in tabs:
                await tab.close()


async def test_edits_and_removals_made_while_it_was_away_are_shown_after_the_resume(terminal, relay, server):
    cookie = session_cookie(server.url)  # bob's browser: the same session after the restart, so still the author
    async with terminal(url=relay.url) as term:
        await term.enter(unique("ann"))
        await term.pane_shows("#status", "● connected · #general")
        bob_name = unique("bob")
        bob = await WSClient(server.ws_url, cookie=cookie, name="bob").open()
        await bob.join("general", bob_name)
        typo = await bob.say("teh typo")
        regret = await bob.say("something regrettable")
        await term.pane_shows("#messages", f"{bob_name} something regrettable")

        relay.hold()
        server.restart()
        await term.pane_shows("#status", "reconnecting")
        await bob.close()
        bob = await WSClient(server.ws_url, cookie=cookie, name="bob").open()
        await bob.join("general", bob_name)
        await bob.send("edit_message", {"id": typo["id"], "text": "the typo, fixed"})
        await bob.expect("message_updated", skip=(*NOISE, "ack", "typing"))
        await bob.send("delete_message", {"id": regret["id"]})
        await bob.expect("message_deleted", skip=(*NOISE, "ack", "typing"))
        await term.until(lambda: relay.refused > 0, "a reconnect attempt turned away")

        relay.release()
        await term.pane_shows("#status", "● connected · #general", wait=30)
        await term.pane_shows("#messages", f"{bob_name} the typo, fixed")
        await term.loses("something regrettable")
        texts = [line.message["text"] for line in term.app.screen.lines()]
        assert texts[-1] == "the typo, fixed" and "teh typo" not in texts, texts
        assert "something regrettable" not in texts, texts
        await bob.close()
