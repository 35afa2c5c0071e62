"""The responsive layout of the pages in headless Chromium, at phone (360×740), tablet
and desktop widths: nothing overflows, and the side panels are drawers or columns."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.e2e.layout_steps import DESKTOP, PHONE, busy_room
from rooms.tests.support.pages import create_room, fresh_room_name, send

pytestmark = pytest.mark.browser

LONG_WORD = "Supercalifragilisticexpialidocious" * 6
LONG_URL = "https://example.org/" + "a-very-long-path-segment/" * 8 + "?q=" + "x" * 60


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
