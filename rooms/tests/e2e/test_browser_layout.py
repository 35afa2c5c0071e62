"""Layout, theme and accessibility of the pages, in headless Chromium.

Phone (360×740) and desktop widths, light and dark, keyboard only, and an
axe-core pass over the lobby and a room with people and messages in it.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import axe_violations, create_room, enter_room, fresh_room_name, send, settle

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1440, "height": 900}
LONG_WORD = "Supercalifragilisticexpialidocious" * 6
LONG_URL = "https://example.org/" + "a-very-long-path-segment/" * 8 + "?q=" + "x" * 60


def busy_room(open_page, **context_options):
    """ann's page in a room with two other members, a join notice and a few messages."""
    room = fresh_room_name("layout")
    ann = open_page("/", **context_options)
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    cat = open_page("/")
    enter_room(cat, "cat", room)
    send(bob, "Hi all 👋 the notes are at https://example.org/notes")
    send(ann, "Thanks bob, reading them now")
    send(cat, "🎉")
    expect(ann.locator(".msg:not(.pending)")).to_have_count(3)
    expect(ann.locator("#member-list .member")).to_have_count(3)
    expect(ann.locator(".notice").filter(has_text="cat joined")).to_be_visible()
    return ann


# --- responsive layout -------------------------------------------------------

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scroller = document.scrollingElement;
  const outside = [];
  for (const node of document.body.querySelectorAll("*")) {
    if (!node.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true })) continue;
    const box = node.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 0.5) outside.push(`${node.tagName.toLowerCase()}#${node.id}.${node.className} right=${box.right}`);
  }
  return { scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth, width, outside };
}"""


# Where the text itself ends on the right, which can be past its element's box.
TEXT_RIGHT_JS = """node => {
  const range = document.createRange();
  range.selectNodeContents(node);
  return Math.max(...Array.from(range.getClientRects(), (rect) => rect.right));
}"""


def assert_nothing_overflows(page) -> None:
    result = page.evaluate(OVERFLOW_JS)
    assert result["scrollWidth"] <= result["clientWidth"], result
    assert result["outside"] == [], (
        f"elements past the right edge of a {result['width']}px viewport: {result['outside']}"
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_nothing_overflows_sideways_on_home_and_room_pages(open_page, viewport):
    home = open_page("/", viewport=viewport)
    expect(home.locator("#room-list li").first).to_be_visible()
    assert_nothing_overflows(home)

    # The lobby with errors showing is wider text, still within the screen.
    home.fill("#id_username", "")
    home.fill("#id_new_room", LONG_WORD[:200])
    home.click("button[name=action][value=create_named]")
    expect(home.locator("#username-error")).to_be_visible()
    assert_nothing_overflows(home)

    room = fresh_room_name("layout")
    page = open_page("/", viewport=viewport)
    create_room(page, "a-rather-long-display-name-here", room)
    send(page, LONG_WORD)
    send(page, f"see {LONG_URL} for details")
    expect(page.locator(".msg:not(.pending) .msg-text").filter(has_text="see https")).to_be_visible()
    assert_nothing_overflows(page)
    # The header holds its longest status too.
    page.locator("#connection-status").evaluate("node => { node.textContent = 'Reconnecting…'; }")
    assert_nothing_overflows(page)

    # Long words and URLs wrap inside their bubble instead of stretching it or spilling out.
    list_box = page.locator("#message-list").bounding_box()
    for text in (LONG_WORD[:20], "see https"):
        bubble = page.locator(".msg").filter(has_text=text)
        box = bubble.bounding_box()
        assert box["x"] + box["width"] <= list_box["x"] + list_box["width"] + 0.5
        assert box["height"] > 60, "the long text should have wrapped onto several lines"
        ink_right = bubble.locator(".msg-text").evaluate(TEXT_RIGHT_JS)
        assert ink_right <= box["x"] + box["width"] + 0.5, "the text runs out of its bubble"
    wrap = page.locator(".msg-text").first.evaluate("node => getComputedStyle(node).overflowWrap")
    assert wrap == "anywhere"


def test_on_a_phone_the_sidebar_and_member_list_are_drawers(open_page):
    page = busy_room(open_page, viewport=PHONE)
    sidebar, members = page.locator("#sidebar"), page.locator("#members")
    rooms_button = page.get_by_role("button", name="Rooms", exact=True)
    members_button = page.get_by_role("button", name="Members", exact=True)

    # Folded away, behind labelled header buttons that say what they control.
    expect(sidebar).to_be_hidden()
    expect(members).to_be_hidden()
    for button, panel in ((rooms_button, "sidebar"), (members_button, "members")):
        expect(button).to_be_visible()
        expect(button).to_have_attribute("aria-controls", panel)
        expect(button).to_have_attribute("aria-expanded", "false")
    expect(members_button).to_contain_text("3")  # the member count shows on the button
    assert_nothing_overflows(page)

    # Open the room list: it slides over the chat and takes the focus; Esc closes it.
    rooms_button.click()
    expect(rooms_button).to_have_attribute("aria-expanded", "true")
    expect(sidebar).to_be_visible()
    expect(sidebar.locator("li[data-room=general] a")).to_be_visible()
    assert page.evaluate("document.getElementById('sidebar').contains(document.activeElement)")
    # Once it has slid in, it lies within the screen.
    page.wait_for_function("() => document.getElementById('sidebar').getBoundingClientRect().left === 0")
    assert sidebar.bounding_box()["width"] <= PHONE["width"] - 40  # a strip of the chat stays visible
    page.keyboard.press("Escape")
    expect(sidebar).to_be_hidden()
    expect(rooms_button).to_have_attribute("aria-expanded", "false")
    expect(rooms_button).to_be_focused()

    # The member list: opened, then closed by a tap outside it.
    members_button.click()
    expect(members_button).to_have_attribute("aria-expanded", "true")
    expect(members.locator(".member")).to_contain_text(["ann", "bob", "cat"])
    page.mouse.click(20, 400)  # on the dimmed chat, left of the drawer
    expect(members).to_be_hidden()
    expect(members_button).to_have_attribute("aria-expanded", "false")

    # One drawer at a time.
    rooms_button.click()
    members_button.click()
    expect(sidebar).to_be_hidden()
    expect(rooms_button).to_have_attribute("aria-expanded", "false")
    expect(members).to_be_visible()
    page.keyboard.press("Escape")
    expect(members).to_be_hidden()

    # Picking a room in the drawer switches rooms and folds the drawer away.
    rooms_button.click()
    sidebar.locator("li[data-room=music] a").click()
    expect(page).to_have_url(re.compile(r"/r/music/$"))
    expect(page.locator("#room-title")).to_have_text("Music")
    expect(sidebar).to_be_hidden()
    expect(rooms_button).to_have_attribute("aria-expanded", "false")


def test_on_a_desktop_the_sidebar_and_member_list_are_columns(open_page):
    page = busy_room(open_page, viewport=DESKTOP)
    expect(page.locator("#sidebar")).to_be_visible()
    expect(page.locator("#members")).to_be_visible()
    expect(page.locator("#rooms-toggle")).to_be_hidden()
    expect(page.locator("#members-toggle")).to_be_hidden()
    sidebar, chat, members = (page.locator(s).bounding_box() for s in ("#sidebar", "#main", "#members"))
    assert sidebar["x"] + sidebar["width"] <= chat["x"] + 0.5
    assert chat["x"] + chat["width"] <= members["x"] + 0.5

    # Growing a phone-sized window with a drawer open leaves ordinary columns behind.
    page.set_viewport_size(PHONE)
    page.locator("#members-toggle").click()
    expect(page.locator("#members")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    expect(page.locator("#members-toggle")).to_be_hidden()
    expect(page.locator("#members-toggle")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#members")).to_be_visible()
    assert page.evaluate("document.body.classList.contains('drawer-shown')") is False

    # In between (a tablet), the member list stays a column and only the room list folds away.
    page.set_viewport_size({"width": 800, "height": 900})
    expect(page.locator("#rooms-toggle")).to_be_visible()
    expect(page.locator("#sidebar")).to_be_hidden()
    expect(page.locator("#members-toggle")).to_be_hidden()
    expect(page.locator("#members")).to_be_visible()
    assert_nothing_overflows(page)


# --- theme -------------------------------------------------------------------

LIGHT_BG, DARK_BG = "rgb(243, 244, 248)", "rgb(14, 16, 22)"


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


@pytest.mark.parametrize(("scheme", "expected", "pressed"), [("dark", DARK_BG, "true"), ("light", LIGHT_BG, "false")])
def test_the_theme_follows_the_system_preference(open_page, scheme, expected, pressed):
    page = open_page("/", color_scheme=scheme)
    for where in ("lobby", "room"):
        if where == "room":
            create_room(page, "ann", fresh_room_name("layout"))
        assert background(page) == expected, where
        assert page.evaluate("localStorage.getItem('chatsite-theme')") is None  # nothing chosen yet
        toggle = page.get_by_role("button", name="Dark theme")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-pressed", pressed)


def test_the_theme_toggle_switches_and_is_remembered_across_reloads_and_pages(open_page):
    page = open_page("/", color_scheme="light")
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG
    assert page.evaluate("localStorage.getItem('chatsite-theme')") == "dark"

    page.reload()
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    assert background(page) == DARK_BG

    # Another tab of the site follows at once.
    other = page.context.new_page()
    other.goto("/")
    assert background(other) == DARK_BG
    page.get_by_role("button", name="Dark theme").click()
    expect(other.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "false")
    assert background(other) == LIGHT_BG
    other.get_by_role("button", name="Dark theme").click()
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    other.close()

    # The choice holds on the room page too, and beats the system preference.
    create_room(page, "ann", fresh_room_name("layout"))
    assert background(page) == DARK_BG
    page.emulate_media(color_scheme="dark")
    page.get_by_role("button", name="Dark theme").click()
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "false")
    assert background(page) == LIGHT_BG
    page.reload()
    expect(page.locator("#connection-status")).to_have_text("Connected")
    assert background(page) == LIGHT_BG


def test_a_remembered_theme_is_applied_before_the_page_body_exists(open_page, chat_server):
    """No flash of the wrong theme: data-theme is on <html> before <body> is parsed."""
    page = open_page("/", color_scheme="light")
    page.evaluate("localStorage.setItem('chatsite-theme', 'dark')")
    page.context.add_init_script(
        """
        new MutationObserver((changes, observer) => {
          if (!document.body) return;
          window.__themeAtBody = document.documentElement.dataset.theme || "none";
          observer.disconnect();
        }).observe(document, { childList: true, subtree: true });
        """
    )
    page.reload()
    assert page.evaluate("window.__themeAtBody") == "dark"


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
    for _ in range(page.locator("#sidebar a").count()):
        page.keyboard.press("Tab")
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
