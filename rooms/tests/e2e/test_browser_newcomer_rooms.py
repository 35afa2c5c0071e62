"""A newcomer finding their way between rooms: an existing room said so, a private room kept in reach."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import (
    axe_violations,
    create_room,
    enter_room,
    fresh_room_name,
    send,
    settle,
    wait_in_room,
)

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}


def test_creating_a_room_that_exists_says_you_joined_it(open_page):
    room = fresh_room_name("Book-Club")
    ann = open_page("/")
    create_room(ann, "ann", room)

    bob = open_page("/")
    bob.fill("#id_username", "bob")
    bob.fill("#id_new_room", room.upper())  # the same name, typed differently
    bob.click("button[name=action][value=create_named]")
    wait_in_room(bob, "bob", room)
    flash = bob.get_by_role("status").filter(has_text="already exists")
    expect(flash).to_have_text(f"#{room} already exists — you joined it.")
    expect(bob.locator("#member-list")).to_contain_text("ann")

    # Nothing to say when the room really is new, and the note goes with the room it was about.
    expect(ann.locator(".room-flash")).to_have_count(0)
    bob.locator("#sidebar-rooms").get_by_role("link", name=re.compile(r"^#General")).click()
    expect(bob).to_have_url(re.compile(r"/r/general/$"))
    expect(bob.locator(".room-flash")).to_have_count(0)


def open_private_room(page, username: str) -> str:
    page.fill("#id_username", username)
    page.click("button[name=action][value=create_private]")
    expect(page.locator("#room-code")).to_be_visible()
    expect(page.locator("#connection-status")).to_have_text("Connected")
    return page.locator("#room-code").inner_text()


def test_the_private_room_you_are_in_is_in_your_sidebar_with_its_code(open_page):
    ann = open_page("/")
    code = open_private_room(ann, "ann")
    private = ann.get_by_role("region", name="Private")
    entry = private.get_by_role("link", name=re.compile(code))
    expect(entry).to_have_attribute("aria-current", "page")
    expect(entry).to_contain_text(f"Private room {code}")

    ann.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = private.get_by_role("button", name=f"Copy link for Private room {code}")
    copy.click()
    expect(private.get_by_role("button", name=f"Link copied for Private room {code}")).to_be_visible()
    assert ann.evaluate("navigator.clipboard.readText()").endswith(f"/r/{code}/")

    # Still in reach after going to a public room, and one click takes ann back.
    ann.locator("#sidebar-rooms").get_by_role("link", name=re.compile(r"^#Tech")).click()
    expect(ann).to_have_url(re.compile(r"/r/tech/$"))
    expect(entry).not_to_have_attribute("aria-current", "page")
    entry.click()
    expect(ann).to_have_url(re.compile(rf"/r/{code}/$"))
    expect(ann.locator("#member-list")).to_contain_text("ann")

    # Nobody else's sidebar lists it.
    bob = open_page("/")
    enter_room(bob, "bob", "general")
    expect(bob.locator("#sidebar-private")).to_be_hidden()
    expect(bob.get_by_text(code)).to_have_count(0)


def test_on_a_phone_the_private_room_is_in_the_rooms_drawer(open_page):
    ann = open_page("/", **PHONE)
    code = open_private_room(ann, "ann")
    ann.get_by_role("button", name="Rooms").click()
    drawer = ann.locator("#sidebar")
    expect(drawer).to_be_visible()
    settle(ann)  # the drawer slides in
    expect(drawer.get_by_role("region", name="Private").get_by_role("link", name=re.compile(code))).to_be_visible()
    box = drawer.get_by_role("button", name=re.compile("Copy link for")).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert axe_violations(ann) == []


def rows(page) -> list[str]:
    """The message list top to bottom: "day: <label>", "notice: <text>" or "msg: <text>"."""
    return page.locator("#message-list > li").evaluate_all(
        """nodes => nodes.map((n) => n.classList.contains('day-separator') ? 'day: ' + n.textContent.trim()
            : n.classList.contains('notice') ? 'notice: ' + n.querySelector('.notice-text').textContent
            : 'msg: ' + (n.querySelector('.msg-text')?.textContent ?? ''))"""
    )


@pytest.mark.parametrize("device", [{"viewport": {"width": 1280, "height": 800}}, PHONE], ids=["desktop", "phone"])
def test_a_notice_in_a_fresh_room_sits_under_the_day_it_happened(open_page, device):
    room = fresh_room_name("fresh")
    ann = open_page("/", **device)
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    expect(ann.locator(".notice").filter(has_text="bob joined")).to_have_count(1)
    send(ann, "hello bob")
    expect(ann.locator(".msg").filter(has_text="hello bob")).to_have_count(1)
    assert rows(ann) == ["day: Today", "notice: bob joined", "msg: hello bob"]
