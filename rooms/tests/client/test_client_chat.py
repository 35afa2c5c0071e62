"""A person chats from the terminal client with someone on the browser protocol, in #general."""

from rooms.tests.client.conftest import unique
from rooms.tests.support.servers import free_port


async def test_a_guest_types_a_name_joins_general_and_chats(terminal, browser_client):
    async with terminal() as term:
        ann = unique("ann")
        await term.enter(ann)  # the connect screen starts on the name; the server and #general are filled in
        await term.pane_shows("#status", f"#general as {ann}")
        await term.pane_shows("#members", ann)
        await term.pane_shows("#rooms", "#general")

        bob = await browser_client()
        bob_name = unique("bob")
        joined = await bob.join("general", bob_name)
        assert ann in joined["members"]
        await term.pane_shows("#members", bob_name)
        await term.pane_shows("#messages", f"{bob_name} joined")

        await bob.say("hello from the browser")
        await term.pane_shows("#messages", f"{bob_name} hello from the browser")

        await term.enter("hi from the terminal")
        heard = await bob.expect("receive_message", skip=(*bob.skip, "typing", "ack"))
        assert (heard["username"], heard["text"]) == (ann, "hi from the terminal")
        await term.pane_shows("#messages", f"{ann} hi from the terminal")
        await term.loses("sending…")

        await bob.send("typing")
        await term.pane_shows("#typing", f"{bob_name} is typing…")

        await bob.send("leave_room")
        await term.pane_shows("#messages", f"{bob_name} left")
        await term.until(lambda: bob_name not in term.pane("#members"), f"{bob_name} leave the member list")


async def test_the_room_list_shows_live_counts_and_joins_rooms(terminal, browser_client):
    room = unique("lounge")
    bob = await browser_client()
    await bob.join(room, unique("bob"), create=True)

    async with terminal() as term:
        await term.enter(unique("ann"))
        await term.pane_shows("#rooms", f"#{room} 1")  # the lobby's count: bob alone
        await term.enter("said in general")
        await term.pane_shows("#messages", "said in general")
        await term.enter(f"/join {room}")
        await term.pane_shows("#status", f"#{room} as")
        await term.pane_shows("#rooms", f"#{room} 2")
        await term.loses("said in general")

        await term.pilot.press("tab")  # from the message line to the room list, then to #general
        await term.pilot.press("home", "enter")
        await term.pane_shows("#status", "#general as")
        await term.pane_shows("#messages", "said in general")  # its history, drawn again
        await term.pane_shows("#rooms", f"#{room} 1")

        renamed = unique("anna")
        await term.enter(f"/nick {renamed}")  # joins the same room again under the new name
        await term.pane_shows("#status", f"#general as {renamed}")
        await term.pane_shows("#members", renamed)
        assert "said in general" in term.pane("#messages")


async def test_a_private_room_is_joined_by_its_code(terminal, browser_client):
    bob = await browser_client()
    await bob.send("create_room", {"username": unique("bob")})
    code = (await bob.expect("room_created"))["room"]["name"]
    await bob.join(code)

    async with terminal() as term:
        await term.enter(unique("ann"))
        await term.pane_shows("#status", "#general")
        await term.enter(f"/join {code.lower()}")
        await term.pane_shows("#status", f"(code {code})")
        assert code not in term.pane("#rooms")  # private rooms are never listed


async def test_errors_are_shown_plainly_with_their_code(terminal):
    async with terminal() as term:
        await term.enter(unique("ann"))
        await term.pane_shows("#status", "#general")
        await term.enter("/join no-such-room")
        await term.pane_shows("#messages", "No room by that name or code. [room_not_found]")
        await term.pane_shows("#status", "#general")  # still in the room it was in
        await term.enter("/create -bad-name")
        await term.pane_shows("#messages", "[invalid_room_name]")


async def test_a_name_the_server_refuses_is_said_on_the_connect_screen(terminal):
    async with terminal() as term:
        await term.enter("System")  # a reserved name (docs/security.md): the lobby form refuses it
        await term.until(lambda: "Connecting…" not in term.pane("#connect-error"), "the answer")
        said = term.pane("#connect-error").strip()
        assert "Pick another" in said, said  # the form's own sentence, not a bare status code
        assert "HTTP" not in said
        assert not term.app.screen.query("#composer")  # still on the connect screen


async def test_a_server_that_is_not_there_is_said_on_the_connect_screen(terminal):
    async with terminal(url=f"http://127.0.0.1:{free_port()}") as term:  # nothing listens there
        await term.enter(unique("ann"))
        await term.pane_shows("#connect-error", "Cannot reach http://127.0.0.1:")
