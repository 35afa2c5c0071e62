"""A group conversation started from the page ("New conversation"), in Chromium on real daphne.

ann, bob, carol and dan are in one room; ann picks bob and carol in the
dialog. dan's page records every WebSocket frame it receives.
"""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import (
    axe_violations,
    create_room,
    crowd,
    enter_room,
    fresh_room_name,
    message,
    pick,
    record_frames,
    send,
    settle,
    within_width,
)

pytestmark = pytest.mark.browser

CONVERSATION_URL = re.compile(r"/r/(_[0-9a-f]{30})/$")
PHONE = {"width": 360, "height": 740}


def direct_section(page):
    return page.get_by_role("region", name="Direct messages")


def open_dialog(page):
    """The "New conversation" dialog, opened from the sidebar's Direct messages section (in the rooms drawer on a phone)."""
    toggle = page.locator("#rooms-toggle")
    if toggle.is_visible():
        toggle.click()
        expect(page.locator("#sidebar")).to_be_visible()
        settle(page)
    direct_section(page).get_by_role("button", name="New conversation").click()
    dialog = page.get_by_role("dialog", name="New conversation")
    expect(dialog).to_be_visible()
    return dialog


def start_with(page, names: list[str]) -> str:
    """ann's way: the dialog, a tick per name, Start; the conversation's identifier once the page is in it."""
    dialog = open_dialog(page)
    for name in names:
        dialog.get_by_role("checkbox", name=name, exact=True).check()
    dialog.get_by_role("button", name="Start").click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(CONVERSATION_URL)
    return CONVERSATION_URL.search(page.url).group(1)


def test_ann_starts_a_group_with_bob_and_carol_dan_sees_nothing_and_the_same_people_get_the_same_one(open_page):
    room = fresh_room_name("tech")
    dan = open_page("/")
    dan_frames = record_frames(dan)
    ann, bob, carol = open_page("/"), open_page("/"), open_page("/")
    create_room(ann, "ann", room)
    for page, name in ((bob, "bob"), (carol, "carol"), (dan, "dan")):
        page.goto("/")
        enter_room(page, name, room)
    expect(ann.locator("#member-list")).to_contain_text("dan")

    # The dialog lists the others of the room, not ann herself; axe finds nothing serious in it.
    dialog = open_dialog(ann)
    boxes = dialog.get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    for name in ("bob", "carol", "dan"):
        expect(dialog.get_by_role("checkbox", name=name, exact=True)).not_to_be_checked()
    expect(dialog.get_by_role("checkbox", name="ann", exact=True)).to_have_count(0)
    assert axe_violations(ann) == []
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    for page in (ann, bob, carol):
        page.evaluate("() => { window.__samePage = true; }")
    conversation = start_with(ann, ["bob", "carol"])
    # Opened without a reload, titled with both names, current in her sidebar.
    assert ann.evaluate("() => window.__samePage === true")
    expect(ann.locator("#room-title")).to_have_text(re.compile(r"^(bob, carol|carol, bob)$"))
    expect(direct_section(ann).locator("a[aria-current=page]")).to_contain_text("bob")
    expect(direct_section(ann).locator("a[aria-current=page]")).to_contain_text("carol")

    # bob and carol have it in their sidebars, live, and write in it.
    bob_link = direct_section(bob).locator("li", has_text="ann").filter(has_text="carol")
    carol_link = direct_section(carol).locator("li", has_text="ann").filter(has_text="bob")
    expect(bob_link).to_have_count(1)
    expect(carol_link).to_have_count(1)
    assert bob.evaluate("() => window.__samePage === true")  # live: no reload brought it
    assert carol.evaluate("() => window.__samePage === true")
    bob_link.locator("a").click()
    expect(bob).to_have_url(re.compile(rf"/r/{conversation}/$"))
    send(bob, "bob in the group")
    carol_link.locator("a").click()
    expect(carol).to_have_url(re.compile(rf"/r/{conversation}/$"))
    expect(message(carol, "bob in the group")).to_be_visible()
    send(carol, "carol in the group")
    expect(message(ann, "bob in the group")).to_be_visible()
    expect(message(ann, "carol in the group")).to_be_visible()
    expect(message(bob, "carol in the group")).to_be_visible()

    # All go back to the room (a guest is known by being there), and ann does the same again: the same conversation.
    for page in (ann, bob, carol):
        pick(page, room)
        expect(page).to_have_url(re.compile(rf"/r/{re.escape(room)}/$", re.IGNORECASE))
    for name in ("bob", "carol", "dan"):
        expect(ann.locator("#member-list")).to_contain_text(name)
    assert start_with(ann, ["carol", "bob"]) == conversation
    expect(message(ann, "carol in the group")).to_be_visible()
    expect(direct_section(ann).locator("li")).to_have_count(1)

    # dan saw no trace of it: no frame naming it or its messages, nothing in his sidebar.
    send(dan, "dan is still here")
    expect(message(dan, "dan is still here")).to_be_visible()
    assert dan_frames, "dan's page heard its room"
    assert not [f for f in dan_frames if conversation in f or "in the group" in f]
    expect(direct_section(dan).locator("li")).to_have_count(0)
    expect(dan.locator("#sidebar")).not_to_contain_text("ann, ")


def test_the_dialog_allows_seven_others_refuses_an_unknown_name_in_words_and_gives_focus_back(open_page, chat_server):
    room = fresh_room_name("crowd")
    others, blocked = [f"p{n}x" for n in range(8)], "q9x"
    ann = open_page("/")
    create_room(ann, "ann", room)
    with crowd(chat_server.ws_url, [(room, name) for name in [*others, blocked]]):
        for name in [*others, blocked]:
            expect(ann.locator("#member-list")).to_contain_text(name)
        # ann blocks q9x from the card: the dialog does not offer them.
        ann.locator("#member-list").get_by_role("button", name=blocked, exact=True).click()
        ann.get_by_role("dialog", name=blocked).get_by_role("button", name="Block").click()
        expect(ann.get_by_role("dialog", name=blocked)).to_be_hidden()
        ann.locator("#member-list").get_by_role("button", name=blocked, exact=True).click()  # the block took
        expect(ann.get_by_role("dialog", name=blocked).get_by_role("button", name=f"Unblock {blocked}")).to_be_visible()
        ann.keyboard.press("Escape")
        dialog = open_dialog(ann)
        expect(dialog.get_by_role("checkbox")).to_have_count(8)
        expect(dialog.get_by_role("checkbox", name=blocked, exact=True)).to_have_count(0)
        for name in others[:6]:
            dialog.get_by_role("checkbox", name=name, exact=True).check()
        limit = dialog.locator("#new-direct-limit")
        expect(limit).not_to_contain_text("At most")
        dialog.get_by_role("checkbox", name=others[6], exact=True).check()
        # Seven ticked: the eighth cannot be, and the dialog says why; nor can a name be added.
        eighth = dialog.get_by_role("checkbox", name=others[7], exact=True)
        expect(eighth).to_be_disabled()
        expect(limit).to_have_text("At most 7 others: a conversation has at most 8 people, you included.")
        expect(dialog.get_by_role("button", name="Add")).to_be_disabled()
        eighth.click(force=True)
        expect(eighth).not_to_be_checked()
        # One unticked: the eighth can be ticked again instead.
        dialog.get_by_role("checkbox", name=others[0], exact=True).uncheck()
        expect(eighth).to_be_enabled()
        expect(limit).not_to_contain_text("At most")

        # Escape closes it; focus is back on the button that opened it.
        ann.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(direct_section(ann).get_by_role("button", name="New conversation")).to_be_focused()

    # A name nobody has: the server's refusal, in words, next to the field; the page stays where it was.
    dialog = open_dialog(ann)
    dialog.get_by_label("Add someone by name").fill("nobody-called-this")
    dialog.get_by_role("button", name="Start").click()
    expect(dialog.locator("#new-direct-error")).to_have_text(
        "Nobody called nobody-called-this is here or has an account."
    )
    expect(dialog.get_by_label("Add someone by name")).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_be_visible()
    expect(ann).to_have_url(re.compile(rf"/r/{re.escape(room)}/$", re.IGNORECASE))
    expect(ann.locator("#composer-error")).to_have_text("")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_dialog_is_reached_from_the_rooms_drawer_and_fits(open_page, scheme):
    room = fresh_room_name("phone")
    ann = open_page("/", viewport=PHONE, color_scheme=scheme)
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    expect(ann.locator("#member-count")).to_have_text("2")

    # Escape closes it; the drawer closed as the focus went into the dialog, so the focus goes back to its button.
    dialog = open_dialog(ann)
    expect(ann.locator("#sidebar")).to_be_hidden()
    ann.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(ann.get_by_role("button", name="Rooms", exact=True)).to_be_focused()

    dialog = open_dialog(ann)
    within_width(ann, dialog)
    within_width(ann, dialog.get_by_role("button", name="Start"))
    within_width(ann, dialog.get_by_label("Add someone by name"))
    assert axe_violations(ann) == []
    # Typed, then added: a ticked row of its own, next to bob's.
    dialog.get_by_label("Add someone by name").fill("bob")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog.get_by_role("checkbox", name="bob", exact=True)).to_be_checked()
    expect(dialog.get_by_role("checkbox")).to_have_count(1)
    dialog.get_by_role("button", name="Start").click()
    expect(dialog).to_be_hidden()
    expect(ann).to_have_url(CONVERSATION_URL)
    expect(ann.locator("#room-title")).to_have_text("bob")


def test_the_open_dialog_follows_who_comes_in_and_a_start_while_offline_is_said_there(open_page, chat_server):
    room = fresh_room_name("down")
    ann = open_page("/")
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    expect(ann.locator("#member-list")).to_contain_text("bob")
    dialog = open_dialog(ann)
    dialog.get_by_role("checkbox", name="bob", exact=True).check()
    # Someone comes in while the dialog is open: listed at once, bob's tick kept.
    carol = open_page("/")
    enter_room(carol, "carol", room)
    expect(dialog.get_by_role("checkbox", name="carol", exact=True)).not_to_be_checked()
    expect(dialog.get_by_role("checkbox", name="bob", exact=True)).to_be_checked()

    chat_server.stop()
    expect(ann.locator("#connection-status")).to_have_text("Reconnecting…")
    dialog.get_by_role("button", name="Start").click()
    expect(dialog.locator("#new-direct-error")).to_have_text("Not connected: try again once the page says Connected.")
    expect(dialog).to_be_visible()

    chat_server.start()
    expect(ann.locator("#connection-status")).to_have_text("Connected", timeout=20_000)
    expect(bob.locator("#connection-status")).to_have_text("Connected", timeout=20_000)
    expect(ann.locator("#member-list")).to_contain_text("bob")
    dialog.get_by_role("button", name="Start").click()
    expect(dialog).to_be_hidden()
    expect(ann).to_have_url(CONVERSATION_URL)
    expect(ann.locator("#room-title")).to_have_text("bob")
