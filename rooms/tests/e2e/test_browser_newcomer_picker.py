"""The emoji picker floats over the messages ("What a newcomer trips over on the room page", point 9).

It used to open inside the composer and push the message list up: on a phone
about 180 px of messages were left. Now it opens above the composer, over the
list, and the list neither shrinks nor moves.
"""

import json

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import axe_violations, create_room, fresh_room_name, message, send

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SCREENS = [
    pytest.param({"viewport": DESKTOP}, id="desktop-1280x800"),
    pytest.param({"viewport": PHONE, "has_touch": True}, id="phone-360x740"),
]


def press(page, locator) -> None:
    """A tap on a touch screen, a click elsewhere."""
    if page.context_has_touch:
        locator.tap()
    else:
        locator.click()


def a_room_with_some_talk(open_page, screen):
    page = open_page("/", **screen)
    page.context_has_touch = screen.get("has_touch", False)
    create_room(page, "ann", fresh_room_name("picker"))
    for n in range(1, 9):
        send(page, f"message number {n}")
    expect(message(page, "message number 8")).to_have_count(1)
    return page


def layout(page) -> dict:
    """Where the message list and the composer are, and how far the list is scrolled."""
    return {
        "messages": page.locator("#messages").bounding_box(),
        "composer": page.locator("#message-input").bounding_box(),
        "scrollTop": page.locator("#messages").evaluate("node => node.scrollTop"),
    }


def assert_same_layout(before: dict, after: dict) -> None:
    for key in ("messages", "composer"):
        for side in ("x", "y", "width", "height"):
            assert abs(before[key][side] - after[key][side]) < 1, (key, side, before[key], after[key])
    assert abs(before["scrollTop"] - after["scrollTop"]) < 1, (before["scrollTop"], after["scrollTop"])


def open_picker(page):
    press(page, page.get_by_role("button", name="Insert emoji"))
    picker = page.locator("emoji-picker")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("combobox")).to_be_focused()  # rendered, search box ready
    return picker


@pytest.mark.parametrize("screen", SCREENS)
def test_the_picker_floats_over_the_messages_without_moving_them(open_page, screen):
    page = a_room_with_some_talk(open_page, screen)
    viewport = screen["viewport"]
    box = page.locator("#message-input")
    box.fill("so good")
    box.evaluate("field => field.setSelectionRange(2, 2)")  # the caret after "so"
    before = layout(page)

    picker = open_picker(page)
    assert_same_layout(before, layout(page))

    area = picker.bounding_box()
    messages, composer = before["messages"], page.locator("#composer").bounding_box()
    # Fully on screen, above the composer, over the list.
    assert area["x"] >= 0 and area["y"] >= 0, area
    assert area["x"] + area["width"] <= viewport["width"] and area["y"] + area["height"] <= viewport["height"], area
    assert area["y"] + area["height"] <= composer["y"] + 1, (area, composer)
    assert area["y"] < messages["y"] + messages["height"], (area, messages)  # it overlaps the list
    assert area["y"] + area["height"] > messages["y"], (area, messages)
    assert area["height"] >= 240, area  # still a usable picker
    # On top of the messages, not under them: its middle is the picker.
    middle = [area["x"] + area["width"] / 2, area["y"] + area["height"] / 2]
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('emoji-picker') !== null", middle)

    # Picking an emoji still puts it at the caret and closes the picker; nothing moved.
    picker.get_by_role("combobox").fill("grinning face")
    press(page, picker.get_by_role("option", name="😀", exact=False).first)
    expect(picker).to_be_hidden()
    expect(box).to_have_value("so😀 good")
    expect(box).to_be_focused()
    assert_same_layout(before, layout(page))


@pytest.mark.parametrize("screen", SCREENS)
def test_the_floating_picker_closes_with_its_button_and_with_escape(open_page, screen):
    page = a_room_with_some_talk(open_page, screen)
    button = page.get_by_role("button", name="Insert emoji")
    before = layout(page)

    picker = open_picker(page)
    expect(button).to_have_attribute("aria-expanded", "true")
    press(page, button)
    expect(picker).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert_same_layout(before, layout(page))

    open_picker(page)
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(page.locator("#message-input")).to_be_focused()
    assert_same_layout(before, layout(page))


def test_the_open_picker_on_a_phone_is_accessible_in_both_themes(open_page):
    page = a_room_with_some_talk(open_page, {"viewport": PHONE, "has_touch": True})
    open_picker(page)
    report = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        report[scheme] = axe_violations(page)
    problems = {key: value for key, value in report.items() if value}
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)
