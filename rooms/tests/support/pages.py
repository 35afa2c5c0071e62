"""What a person does on chatsite's pages, for the browser tests: one definition each."""

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

AXE_JS = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
AXE_SERIOUS_JS = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary) }));
}"""

_names = itertools.count(1)


def fresh_room_name(prefix: str) -> str:
    """A room nobody else in the test session uses (the server is shared)."""
    return f"{prefix}-{int(time.time() * 1000) % 10_000_000}-{next(_names)}"


ACCOUNT_PASSWORD = "a long and unusual pass phrase 7"
_account_numbers = itertools.count()


def fresh_account_name(prefix: str) -> str:
    """Accounts outlive a test on the shared server: each test signs up its own."""
    return f"{prefix}{int(time.time()) % 100_000}{next(_account_numbers)}"


def sign_up(page, username: str) -> None:
    """From any page's header: the sign-up form, then back where we came from."""
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password:", exact=True).fill(ACCOUNT_PASSWORD)
    page.get_by_label("Password (again)").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(f"Signed in as {username}")


def create_room(page, username: str, room: str) -> None:
    """From the lobby: pick a display name and start a public room (its owner)."""
    page.fill("#id_username", username)
    page.fill("#id_new_room", room)
    page.click("button[name=action][value=create_named]")
    wait_in_room(page, username, room)


def enter_room(page, username: str, room: str) -> None:
    """From the lobby: pick a display name and join a room by its name."""
    page.fill("#id_username", username)
    page.fill("#id_room", room)
    page.click("button[name=action][value=join]")
    wait_in_room(page, username, room)


def ann_and_bob(open_page, prefix: str, **options):
    """A fresh public room that ann created (so she owns it) and bob joined: (room, ann's page, bob's page).

    `options` (a viewport, say) go to both browser contexts.
    """
    room = fresh_room_name(prefix)
    ann = open_page("/", **options)
    create_room(ann, "ann", room)
    bob = open_page("/", **options)
    enter_room(bob, "bob", room)
    return room, ann, bob


def wait_in_room(page, username: str, room: str) -> None:
    expect(page).to_have_url(re.compile(rf"/r/{re.escape(room)}/$", re.IGNORECASE))
    expect(page.locator("#connection-status")).to_have_text("Connected")
    expect(page.locator("#member-list")).to_contain_text(username)


def send(page, text: str) -> None:
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")


def message(page, text: str):
    """The delivered (not pending) message whose text is exactly `text`."""
    return page.locator(".msg:not(.pending)").filter(
        has=page.locator(".msg-text", has_text=re.compile(rf"^{re.escape(text)}$"))
    )


def settle(page) -> None:
    """Wait out transitions (a theme switch fades colours), so axe sees the final colours."""
    page.wait_for_function("() => document.getAnimations().length === 0")


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on the page, once its transitions are done.

    axe is evaluated through the DevTools protocol (page.evaluate), which the
    page's Content Security Policy does not govern; a <script> tag added with
    add_script_tag would be inline script, which the CSP rightly blocks.
    """
    settle(page)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text())
    return page.evaluate(AXE_SERIOUS_JS)


@contextlib.contextmanager
def crowd(ws_url: str, joins: list[tuple[str, str]]) -> Iterator[None]:
    """People (room, name) who all join at once over their own sockets (creating a named room that does not exist yet), and stay until the block ends.

    They run on an event loop of their own in a thread: the browser's sync API holds this one.
    """
    from rooms.tests.support.client import WSClient

    ready, leave, failures = threading.Event(), threading.Event(), []

    async def gather() -> None:
        clients = [await WSClient(ws_url, name=name).open() for _, name in joins]
        try:
            await asyncio.gather(
                *(client.join(room, client.name, create=True) for client, (room, _) in zip(clients, joins, strict=True))
            )
            ready.set()
            await asyncio.to_thread(leave.wait)
        finally:
            for client in clients:
                await client.close()

    def run() -> None:
        try:
            asyncio.run(gather())
        except Exception as error:
            failures.append(error)
            ready.set()

    thread = threading.Thread(target=run, name="crowd")
    thread.start()
    ready.wait(30)
    try:
        assert not failures, failures
        yield
    finally:
        leave.set()
        thread.join(30)


# --- staff, through the Django admin ------------------------------------------


def make_staff(chat_server, username: str, password: str) -> None:
    """A superuser in the browser server's database (created, or its password reset)."""
    code = (
        "from django.contrib.auth import get_user_model; User = get_user_model(); "
        f"u, _ = User.objects.get_or_create(username={json.dumps(username)}); "
        f"u.is_staff = u.is_superuser = True; u.set_password({json.dumps(password)}); u.save()"
    )
    chat_server.shell(code)


def admin_login(page, username: str, password: str) -> None:
    """The admin's login is the site's (allauth's, with its limits): /admin/login/ leads there and back."""
    page.goto("/admin/login/?next=/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("#id_login", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def admin_action(page, model: str, search: str, action: str, *, app: str = "rooms") -> None:
    """In the admin changelist of `model`: find rows by `search`, tick them all, run `action`."""
    page.goto(f"/admin/{app}/{model}/?q={search}")
    page.check("#action-toggle")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


DEVICES = [
    pytest.param({"viewport": {"width": 1280, "height": 800}}, id="desktop-1280x800"),
    pytest.param({"viewport": {"width": 360, "height": 740}, "has_touch": True}, id="phone-360x740"),
]


def within_width(page, locator) -> None:
    """`locator` is shown whole across the page's width (nothing cut off sideways)."""
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)


def show_members(page) -> None:
    """The member list in view: on a phone it is a drawer behind the Members button."""
    toggle = page.locator("#members-toggle")
    if toggle.is_visible():
        toggle.click()
        expect(page.locator("#members")).to_be_visible()
        settle(page)


def record_frames(page) -> list[str]:
    """Every WebSocket frame the page receives from now on, as text."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def pick(page, name: str) -> None:
    """A room or conversation in the sidebar, by what its link says."""
    page.locator("#sidebar a.sidebar-room", has_text=name).first.click()
