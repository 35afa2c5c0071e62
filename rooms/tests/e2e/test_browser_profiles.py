"""Profiles in the browser: an avatar and an about line set on the settings page, seen by others on cards."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support import images
from rooms.tests.support.pages import (
    create_room,
    enter_room,
    fresh_account_name,
    fresh_room_name,
    message,
    send,
    show_members,
    sign_up,
)

pytestmark = pytest.mark.browser


def open_profile(page) -> None:
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()


def pick_avatar(page, content: bytes, name: str = "me.png", mime: str = "image/png") -> None:
    page.get_by_label("Avatar").set_input_files({"name": name, "mimeType": mime, "buffer": content})


def test_my_avatar_and_about_line_reach_the_people_in_my_room(open_page):
    name, room = fresh_account_name("ann"), fresh_room_name("faces")
    ann = open_page("/")
    sign_up(ann, name)
    open_profile(ann)
    ann.get_by_label("About you").fill("Tea, chess and long walks")
    pick_avatar(ann, images.halves(120, 80))
    ann.get_by_role("button", name="Save").click()
    expect(ann.get_by_role("status")).to_contain_text("Your profile is saved.")
    expect(ann.get_by_role("img", name="Your avatar")).to_have_attribute(
        "src", re.compile(r"^/media/avatars/\d+/.+-256\.webp$")
    )

    ann.goto("/")
    create_room(ann, name, room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    send(ann, "hello with a face")

    # Bob sees ann's picture beside her name and her message; his own is his initials.
    show_members(bob)
    ann_member = bob.locator("#member-list .member", has=bob.get_by_role("button", name=name, exact=True))
    expect(ann_member.locator("img.avatar")).to_have_attribute("src", re.compile(r"-64\.webp$"))
    expect(bob.locator("#member-list .member.me .avatar-initials")).to_have_attribute("data-initials", "B")
    expect(message(bob, "hello with a face").locator("img.avatar")).to_have_count(1)
    assert bob.evaluate(
        "() => [...document.querySelectorAll('img.avatar')].every((i) => i.complete && i.naturalWidth === 64)"
    )

    # Her name opens her card: picture, badge, about line; Esc closes it and focus returns to the name.
    ann_member.get_by_role("button", name=name, exact=True).click()
    card = bob.get_by_role("dialog", name=name)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Tea, chess and long walks")
    expect(card).to_contain_text("Account")
    expect(card).to_contain_text("In this room now")
    expect(card.locator("img.avatar")).to_have_attribute("src", re.compile(r"-256\.webp$"))
    bob.keyboard.press("Escape")
    expect(card).to_be_hidden()
    expect(ann_member.get_by_role("button", name=name, exact=True)).to_be_focused()

    # From her message's author: "Mention" puts @name in bob's message box.
    message(bob, "hello with a face").get_by_role("button", name=name).click()
    bob.get_by_role("dialog", name=name).get_by_role("button", name="Mention").click()
    expect(bob.locator("#message-input")).to_have_value(f"@{name} ")
    expect(bob.locator("#message-input")).to_be_focused()

    # And bob, a guest, has a card that says so.
    show_members(ann)
    ann.locator("#member-list").get_by_role("button", name="bob", exact=True).click()
    guest_card = ann.get_by_role("dialog", name="bob")
    expect(guest_card).to_contain_text("Guest")
    expect(guest_card.locator(".avatar-initials")).to_have_attribute("data-initials", "B")


def test_a_30_mb_file_and_a_non_picture_are_answered_on_the_settings_page(open_page):
    page = open_page("/")
    sign_up(page, fresh_account_name("pic"))
    open_profile(page)

    pick_avatar(page, images.halves(10, 10) + b"\x00" * 30_000_000, "huge.png")
    expect(page.locator("#avatar-pick-error")).to_have_text("That file is 30.0 MB; a picture may be up to 5 MB.")
    page.get_by_role("button", name="Save").click()  # sent anyway: the server answers the same
    expect(page.get_by_role("alert")).to_contain_text("That file is 30.0 MB; a picture may be up to 5.0 MB.")
    expect(page.get_by_role("img", name="Your avatar")).to_have_count(0)

    pick_avatar(page, images.SVG, "logo.svg", "image/svg+xml")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("not a picture chatsite can read")
    expect(page.get_by_role("img", name="Your avatar")).to_have_count(0)


def test_a_new_name_on_the_settings_page_renames_me_in_the_room_i_am_in(open_page):
    name, room = fresh_account_name("cy"), fresh_room_name("rename")
    cy = open_page("/")
    sign_up(cy, name)
    create_room(cy, name, room)
    dee = open_page("/")
    enter_room(dee, "dee", room)

    settings = cy.context.new_page()
    settings.goto("/accounts/profile/")
    settings.get_by_label("Name").fill(f"{name}x")
    settings.get_by_role("button", name="Save").click()
    expect(settings.get_by_role("navigation", name="Account")).to_contain_text(f"Signed in as {name}x")

    expect(dee.locator(".notice")).to_contain_text([f"{name} is now {name}x"])
    show_members(dee)
    expect(dee.locator("#member-list").get_by_role("button", name=f"{name}x", exact=True)).to_be_visible()
    send(cy, "under my new name")
    expect(message(dee, "under my new name").locator(".msg-author")).to_have_text(f"{name}x")
