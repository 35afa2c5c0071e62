"""The terminal client against a real daphne: a person at the keyboard, through Textual's pilot."""

import asyncio
import contextlib
import itertools

import pytest

from rooms.client.app import ChatApp, Settings
from rooms.tests.support.client import WSClient
from rooms.tests.support.proxy import Relay
from rooms.tests.support.servers import sqlite_server
from rooms.tests.support.tab import session_cookie

SIZE = (120, 40)
_names = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with sqlite_server(
        tmp_path_factory.mktemp("client-server"),
        RATE_LIMIT_BURST="1000",  # the tests type faster than people; flood control has its own tests
        FRAME_RATE_BURST="1000",
        ROOM_CREATE_LIMIT="1000",
        # Cards for links to the tests' own site on 127.0.0.1 (support/linksite.py), nowhere else.
        DJANGO_LINK_PREVIEWS="1",
        DJANGO_LINK_PREVIEW_ALLOWED_HOSTS="127.0.0.1",
    ) as chat:
        yield chat


def unique(prefix: str) -> str:
    """A room or person name no other test of the session uses."""
    return f"{prefix}{next(_names)}"


class Terminal:
    """The client's screen and keyboard, as a person has them."""

    def __init__(self, app: ChatApp, pilot):
        self.app, self.pilot = app, pilot

    def screen(self) -> str:
        """What the terminal shows now, line by line (Textual's own rendering of the screen)."""
        return "\n".join(strip.text for strip in self.app.screen._compositor.render_strips())

    async def type(self, text: str) -> None:
        await self.pilot.press(*("space" if char == " " else char for char in text))

    async def enter(self, text: str = "") -> None:
        await self.type(text)
        await self.pilot.press("enter")

    async def until(self, check, what: str, wait: float = 10) -> None:
        """Wait (the app keeps running) until `check()` is true; fail with the screen otherwise."""
        deadline = asyncio.get_running_loop().time() + wait
        while not check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"never saw {what}; the screen:\n{self.screen()}")
            await self.pilot.pause(0.05)

    async def sees(self, text: str, wait: float = 10) -> None:
        await self.until(lambda: text in self.screen(), repr(text), wait)

    async def loses(self, text: str, wait: float = 10) -> None:
        await self.until(lambda: text not in self.screen(), f"{text!r} go away", wait)

    def pane(self, selector: str) -> str:
        """The text of one pane (#members, #rooms, #messages, #status, #typing)."""
        widgets = self.app.screen.query(selector)
        if not widgets:
            return ""  # not on this screen (yet)
        region = widgets.first().region
        lines = self.screen().splitlines()[region.y : region.y + region.height]
        return "\n".join(line[region.x : region.x + region.width] for line in lines)

    async def pane_shows(self, selector: str, text: str, wait: float = 10) -> None:
        await self.until(lambda: text in self.pane(selector), f"{text!r} in {selector}", wait)


@pytest.fixture
def terminal(server):
    """The client on its connect screen: `async with terminal() as term:` (or with a relay's URL).

    A context manager in the test itself: Textual's test harness must start
    and end in the same task.
    """

    @contextlib.asynccontextmanager
    async def _open(url: str | None = None, **settings):
        app = ChatApp(Settings(url=url or server.url, **settings))
        async with app.run_test(size=SIZE) as pilot:
            yield Terminal(app, pilot)

    return _open


@pytest.fixture
async def browser_client(server):
    """A browser tab's protocol client (its own guest session) on the same server: `await browser_client()`."""
    opened: list[WSClient] = []

    async def _open(name: str = "bob") -> WSClient:
        client = await WSClient(server.ws_url, cookie=session_cookie(server.url), name=name).open()
        opened.append(client)
        return client

    yield _open
    for client in opened:
        await client.close()


@pytest.fixture
async def relay(server):
    """A relay in front of the server that a test can hold shut (see support/proxy.py)."""
    relay = await Relay(server.port).start()
    yield relay
    await relay.stop()
