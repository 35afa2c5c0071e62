"""The room page kept quiet and tidy in Chromium: a member's name stays on one line however
narrow the member list is, and a message's actions show on hover or keyboard focus (always,
on a touch screen)."""

import pytest
from playwright.sync_api import expect

from rooms.tests.e2e.layout_steps import PHONE
from rooms.tests.support.pages import create_room, enter_room, fresh_room_name, message, send, show_members

pytestmark = pytest.mark.browser

# The member list's narrowest: a 13rem column just above the phone layout (720 px), and the phone's drawer.
NARROWEST_COLUMN = {"width": 720, "height": 740}
LONG_NAME = "Bartholomew_Fitzgerald"


def one_line(node) -> bool:
    """The node's text takes one line: its box is no taller than one line of its own text."""
    return node.evaluate(
        "n => { const s = getComputedStyle(n); const line = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.4;"
        " return n.getBoundingClientRect().height <= line * 1.25; }"
    )


@pytest.mark.parametrize("viewport", [NARROWEST_COLUMN, PHONE], ids=["column", "phone-drawer"])
def test_member_names_stay_on_one_line_beside_their_buttons(open_page, viewport):
    room = fresh_room_name("names")
    ann = open_page("/", viewport=viewport)
    create_room(ann, "ann", room)  # the owner: Message and Remove beside every other name, the most squeezed
    for name in ("dev_4 2", LONG_NAME):
        enter_room(open_page("/"), name, room)
    show_members(ann)
    members = ann.locator("#member-list .member")
    expect(members).to_have_count(3)
    listed = ann.locator("#member-list").bounding_box()
    for name in ("dev_4 2", LONG_NAME):
        row = ann.locator(f"#member-list .member[data-name='{name}']")
        shown = row.locator(".member-name")
        assert one_line(shown), f"{name!r} wraps"
        for label in (f"Message {name}", f"Remove {name} from the room"):
            button = row.get_by_role("button", name=label)
            expect(button).to_be_visible()
            box = button.bounding_box()
            assert box["width"] >= 24 and box["x"] + box["width"] <= listed["x"] + listed["width"] + 0.5
            # On the name's row, not pushed under it.
            name_box = shown.bounding_box()
            assert abs((box["y"] + box["height"] / 2) - (name_box["y"] + name_box["height"] / 2)) < 4
    # A short name reads whole; a long one is cut with an ellipsis, its whole self in its title.
    short = ann.locator("#member-list .member[data-name='dev_4 2'] .member-name")
    assert short.evaluate("n => n.scrollWidth <= n.clientWidth")
    expect(short).to_have_text("dev_4 2")
    long = ann.locator(f"#member-list .member[data-name='{LONG_NAME}'] .member-name")
    assert long.evaluate("n => getComputedStyle(n).textOverflow") == "ellipsis"
    expect(long).to_have_attribute("title", f"About {LONG_NAME}")


def actions_opacity(page, text: str) -> str:
    return message(page, text).locator(".msg-actions").evaluate("n => getComputedStyle(n).opacity")


def test_message_actions_show_on_hover_and_on_keyboard_focus(open_page):
    room = fresh_room_name("quiet")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    send(bob, "first from bob")
    send(bob, "second from bob")
    expect(message(ann, "second from bob")).to_have_count(1)
    assert ann.evaluate("matchMedia('(hover: hover)').matches")
    first, second = message(ann, "first from bob"), message(ann, "second from bob")

    # At rest, no message shows its buttons.
    ann.mouse.move(1, 1)
    expect(first.locator(".msg-actions")).to_have_css("opacity", "0")
    expect(second.locator(".msg-actions")).to_have_css("opacity", "0")
    # Pointed at, that message shows them (and only it); pointed away, they go.
    first.hover()
    expect(first.locator(".msg-actions")).to_have_css("opacity", "1")
    assert actions_opacity(ann, "second from bob") == "0"
    ann.mouse.move(1, 1)
    expect(first.locator(".msg-actions")).to_have_css("opacity", "0")

    # By keyboard: Shift+Tab back from the composer reaches the last message's buttons, which show.
    ann.locator("#message-input").focus()
    for _ in range(12):
        ann.keyboard.press("Shift+Tab")
        if ann.evaluate("document.activeElement.classList.contains('msg-action')"):
            break
    assert ann.evaluate("document.activeElement.closest('.msg')?.dataset.id") == second.get_attribute("data-id")
    expect(second.locator(".msg-actions")).to_have_css("opacity", "1")
    assert actions_opacity(ann, "first from bob") == "0"
    # Tab through them all, then on to the next control: they show while the focus is in the message.
    ann.keyboard.press("Shift+Tab")
    focused = ann.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused in {"Reply to this message", "Copy link to this message", "React to this message"}
    expect(second.locator(".msg-actions")).to_have_css("opacity", "1")
    # A button reached by Tab works from the keyboard: Reply puts the reply bar up.
    while ann.evaluate("document.activeElement.getAttribute('aria-label')") != "Reply to this message":
        ann.keyboard.press("Shift+Tab")
    ann.keyboard.press("Enter")
    expect(ann.locator("#reply-bar")).to_contain_text("Replying to bob: second from bob")
    expect(second.locator(".msg-actions")).to_have_css("opacity", "0")  # the focus went to the composer


def test_on_a_touch_screen_message_actions_are_always_there(open_page):
    room = fresh_room_name("touch")
    ann = open_page("/", viewport=PHONE, has_touch=True)
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    send(bob, "tap to answer")
    expect(message(ann, "tap to answer")).to_have_count(1)
    assert ann.evaluate("matchMedia('(hover: none)').matches")
    expect(message(ann, "tap to answer").locator(".msg-actions")).to_have_css("opacity", "1")
    message(ann, "tap to answer").get_by_role("button", name="Reply to this message").tap()
    expect(ann.locator("#reply-bar")).to_contain_text("Replying to bob: tap to answer")
