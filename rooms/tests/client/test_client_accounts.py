"""Logging in with an account from the terminal client: allauth's form over HTTP, then the socket."""

from rooms.tests.client.conftest import unique
from rooms.tests.support.accounts import PASSWORD, WebBrowser


async def test_an_account_logs_in_and_is_marked_as_one(terminal, browser_client, server):
    name = unique("carol")
    WebBrowser(server.url).sign_up(name)
    bob = await browser_client()
    await bob.join("general", unique("bob"))
    async with terminal() as term:
        await term.pilot.press("tab")  # from the display name to the account
        await term.type(name)
        await term.pilot.press("tab")
        await term.enter(PASSWORD)
        await term.pane_shows("#status", f"#general as {name}")
        await term.pane_shows("#members", f"{name} ✓")  # the account badge
        listed = await bob.expect("member_list", skip=("room_list", "room_update", "room_updates", "system_message"))
        assert name in listed["accounts"]
        await term.enter("from my account")
        heard = await bob.expect("receive_message", skip=(*bob.skip, "ack", "typing"))
        assert (heard["username"], heard["account"]) == (name, True)


async def test_a_wrong_password_is_said_on_the_connect_screen(terminal, server):
    name = unique("dave")
    WebBrowser(server.url).sign_up(name)
    async with terminal() as term:
        await term.pilot.press("tab")
        await term.type(name)
        await term.pilot.press("tab")
        await term.enter("not the password")
        await term.until(lambda: "Connecting…" not in term.pane("#connect-error"), "the answer")
        said = term.pane("#connect-error").strip()
        assert said and "HTTP" not in said, said
        assert not term.app.screen.query("#composer")
