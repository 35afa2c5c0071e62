"""Accessibility of the pages in headless Chromium: keyboard only, focus rings in both
themes, and an axe-core pass over the lobby and a room with people and messages in it."""

import json
import re

import pytest
from playwright.sync_api import expect

from rooms.tests.e2e.layout_steps import DESKTOP, PHONE, busy_room
from rooms.tests.support.pages import admin_action, axe_violations, create_room, fresh_room_name, send, settle

pytestmark = pytest.mark.browser


# --- keyboard and focus --------------------------------------------------------

FOCUS_JS = """() => {
  const node = document.activeElement;
  const style = getComputedStyle(node);
  window.__stops = window.__stops || new Map();
  if (!window.__stops.has(node)) window.__stops.set(node, window.__stops.size);
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  // The colour the ring is drawn on: outside the control (or inside, for a negative offset).
  let layers = [];
  for (let n = parseFloat(style.outlineOffset) < 0 ? node : node.parentElement; n; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let bg = { r: 255, g: 255, b: 255 };
  for (const c of layers.reverse()) bg = { r: c.r * c.a + bg.r * (1 - c.a), g: c.g * c.a + bg.g * (1 - c.a), b: c.b * c.a + bg.b * (1 - c.a) };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ring = parse(style.outlineColor);
  const [hi, lo] = [lum(ring), lum(bg)].sort((x, y) => y - x);
  const box = node.getBoundingClientRect();
  return {
    key: window.__stops.get(node),
    what: `${node.tagName.toLowerCase()}#${node.id}.${node.className}`,
    outline: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: (hi + 0.05) / (lo + 0.05),
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
  };
}"""


def tab_through(page, limit: int = 80) -> list[dict]:
    """Tab from the top of the page until focus comes back round; every stop's focus ring."""
    # Put the starting point at the top: focus the skip link, then step back out of the page.
    page.evaluate("() => { window.__stops = new Map(); document.querySelector('.skip-link').focus(); }")
    page.keyboard.press("Shift+Tab")
    stops, seen = [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_JS)
        if stop["key"] in seen or stop["what"].startswith("body"):
            break
        seen.add(stop["key"])
        stops.append(stop)
    return stops


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_control_shows_a_clear_focus_ring_in_both_themes(open_page, scheme, viewport):
    home = open_page("/", color_scheme=scheme, viewport=viewport)
    room = busy_room(open_page, color_scheme=scheme, viewport=viewport)
    for page in (home, room):
        stops = tab_through(page)
        assert len(stops) >= 6, stops
        for stop in stops:
            assert stop["visible"], f"focus went somewhere you cannot see: {stop}"
            assert stop["outline"] != "none" and stop["width"] >= 2, f"no focus ring on {stop}"
            assert stop["contrast"] >= 3, f"focus ring too faint on {stop}"


def test_the_lobby_and_a_room_work_with_the_keyboard_alone(open_page):
    page = open_page("/", viewport=DESKTOP)

    # First Tab: the skip link, shown on screen; it jumps past the header.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["x"] >= 0
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # The display name comes first in the lobby, then the rooms.
    page.keyboard.press("Tab")
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    expect(page.locator("#room-list button").first).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#room-list button").nth(1)).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/r/general/$"))
    expect(page.locator("#connection-status")).to_have_text("Connected")

    # In the room: skip link, then straight on to the message box.
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "message-input":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#message-input")).to_be_focused()
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    expect(page.locator(".msg:not(.pending) .msg-text").filter(has_text="typed without a mouse")).to_be_visible()

    # The theme toggle works from the keyboard too.
    toggle = page.get_by_role("button", name="Dark theme")
    toggle.focus()
    before = toggle.get_attribute("aria-pressed")
    page.keyboard.press("Space")
    expect(toggle).not_to_have_attribute("aria-pressed", before)


def test_the_message_list_is_one_tab_stop_with_arrow_keys_inside(open_page):
    page = busy_room(open_page, viewport=DESKTOP)
    ann_text = page.locator(".msg").filter(has_text="Thanks bob")
    for n in range(30):
        send(page, f"filler {n}")
    expect(page.locator(".msg:not(.pending)")).to_have_count(33)

    # However many messages (each with its buttons), Tab goes from the list straight on to the message box.
    page.locator("#messages").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#message-input")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # back to the newest message's own controls
    assert page.evaluate("document.activeElement.closest('.msg')?.textContent").count("filler 29") == 1

    # In the list, the arrow keys walk the messages; Tab steps through the one in focus only.
    page.locator("#messages").focus()
    page.keyboard.press("ArrowUp")
    newest = page.locator(".msg").filter(has_text="filler 29")
    expect(newest).to_be_focused()
    for _ in range(31):
        page.keyboard.press("ArrowUp")
    expect(ann_text).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.msg')?.dataset.id") == ann_text.get_attribute("data-id")
    expect(ann_text.locator(".msg-actions")).to_have_css("opacity", "1")
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "message-input":
            break
        assert page.evaluate("document.activeElement.closest('.msg')?.dataset.id") == ann_text.get_attribute("data-id")
        page.keyboard.press("Tab")
    expect(page.locator("#message-input")).to_be_focused()

    # Home and End reach the ends; Shift+Tab climbs back out of a message; Escape returns to the message box.
    page.locator("#messages").focus()
    page.keyboard.press("Home")
    expect(page.locator("li.msg").first).to_be_focused()
    page.keyboard.press("End")
    expect(newest).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(newest).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#messages")).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Escape")
    expect(page.locator("#message-input")).to_be_focused()


def test_a_room_that_goes_while_its_link_has_the_focus_hands_the_focus_to_a_neighbour(open_page, moderator):
    room = fresh_room_name("doomed")
    ann = open_page("/", viewport=DESKTOP)
    create_room(ann, "ann", room)
    ann.locator("#sidebar-rooms li[data-room='general'] a").click()  # on to #general in place; the room stays listed
    expect(ann.locator("#room-title")).to_have_text("General")
    doomed = ann.locator(f"#sidebar-rooms li[data-room='{room}']")
    doomed.locator("a").focus()
    admin_action(moderator, "room", room, "close_rooms")
    moderator.get_by_role("button", name="Close the rooms").click()
    expect(doomed).to_have_count(0)
    # Not dropped to the top of the page with the link: a keyboard user is still in the list, on another room.
    focused = ann.evaluate("document.activeElement.closest('#sidebar-rooms li')?.dataset.room")
    assert focused and focused != room, ann.evaluate("document.activeElement.outerHTML")


def test_phone_drawers_work_with_the_keyboard(open_page):
    page = busy_room(open_page, viewport=PHONE)
    button = page.locator("#rooms-toggle")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#sidebar a").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(button).to_be_focused()
    expect(page.locator("#sidebar")).to_be_hidden()

    # Tabbing past the end of an open drawer closes it rather than leaving it over the chat.
    page.keyboard.press("Enter")
    expect(page.locator("#sidebar a").first).to_be_focused()
    path = []
    for _ in range(page.locator("#sidebar a[href], #sidebar button").count() + 2):
        page.keyboard.press("Tab")
        path.append(
            page.evaluate(
                "`${document.activeElement.tagName}#${document.activeElement.id} ${document.activeElement.textContent.slice(0, 40)}`"
            )
        )
        if not page.evaluate("document.activeElement.closest('#sidebar')"):
            break
    assert page.evaluate("document.activeElement.closest('#main') !== null"), path
    expect(page.locator("#sidebar")).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.activeElement.closest('#main') !== null")

    # A closed drawer is out of the tab order: focus never lands in it.
    stops = [stop["what"] for stop in tab_through(page)]
    assert not any("sidebar-room" in stop or "sidebar-lobby" in stop for stop in stops), stops


# --- axe-core ----------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_serious_accessibility_violations_in_either_theme(open_page, viewport):
    home = open_page("/", viewport=viewport)
    expect(home.locator("#room-list li").first).to_be_visible()
    room = busy_room(open_page, viewport=viewport)
    # Reactions, a reply with its quote, the reply bar and the quick row of emoji, all on screen.
    first = room.locator(".msg:not(.pending)").first
    first.get_by_role("button", name="React to this message").click()
    room.get_by_role("button", name="React with 👍\ufe0f").click()
    expect(first.locator(".reaction")).to_have_count(1)
    first.get_by_role("button", name="Reply to this message").click()
    room.fill("#message-input", "a reply")
    room.press("#message-input", "Enter")
    expect(room.locator(".msg:not(.pending) .msg-quote")).to_have_count(1)
    first.get_by_role("button", name="Reply to this message").click()
    first.get_by_role("button", name="React to this message").click()
    expect(room.locator("#reply-bar")).to_be_visible()
    expect(room.get_by_role("group", name="Pick a reaction")).to_be_visible()
    # The page that asks a newcomer with a room link for a display name.
    name_page = open_page("/r/general/", viewport=viewport)
    expect(name_page.get_by_role("heading", name="Join General")).to_be_visible()
    report = {"display name page": axe_violations(name_page)}
    for scheme in ("light", "dark"):
        for name, page in (("home", home), ("room", room)):
            page.emulate_media(color_scheme=scheme)
            settle(page)
            report[f"{name}/{scheme}"] = axe_violations(page)
        if viewport is PHONE:
            room.locator("#members-toggle").click()
            expect(room.locator("#members")).to_be_visible()
            settle(room)
            report[f"room with members drawer/{scheme}"] = axe_violations(room)
            room.keyboard.press("Escape")
    problems = {key: value for key, value in report.items() if value}
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)
