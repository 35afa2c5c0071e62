"""Accounts in the browser: a guest signs up and keeps their messages; one account on two devices is one member."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import (
    ACCOUNT_PASSWORD,
    admin_action,
    admin_login,
    create_room,
    enter_room,
    fresh_account_name,
    fresh_room_name,
    make_staff,
    message,
    send,
    sign_up,
    wait_in_room,
    within_width,
)

pytestmark = pytest.mark.browser

PASSWORD = ACCOUNT_PASSWORD


def log_in(page, username: str) -> None:
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(f"Signed in as {username}")


def edit(page, old: str, new: str) -> None:
    message(page, old).get_by_role("button", name="Edit message").click()
    editor = page.get_by_role("textbox", name="Edit message")
    editor.fill(new)
    editor.press("Enter")


def test_a_guest_signs_up_and_still_owns_what_they_wrote(open_page):
    name, room = fresh_account_name("ann"), fresh_room_name("signup")
    ann = open_page("/")
    create_room(ann, name, room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    send(ann, "helo from a guest")
    expect(message(bob, "helo from a guest")).to_have_count(1)
    notices_before = bob.locator(".notice, .msg-system").count()

    # Signing up in another tab of the same browser: the room tab stays where it is.
    signup_tab = ann.context.new_page()
    signup_tab.goto("/")
    sign_up(signup_tab, name)

    # The room tab edits the guest's message, as the account, on the same socket: nobody saw ann leave or join.
    edit(ann, "helo from a guest", "hello from an account")
    expect(message(bob, "hello from an account")).to_have_count(1)
    expect(bob.locator(".notice, .msg-system")).to_have_count(notices_before)
    expect(bob.locator("#member-list .member")).to_have_count(2)
    # bob's list now marks ann as an account, and only her.
    expect(bob.locator(f'#member-list .member[data-name="{name}"] .account-badge')).to_have_count(1)
    expect(bob.locator('#member-list .member[data-name="bob"] .account-badge')).to_have_count(0)
    # What a screen reader says: the name (a button: it opens her card), then "(account)" (the check mark itself is hidden from it).
    expect(bob.locator(f'#member-list .member[data-name="{name}"]')).to_match_aria_snapshot(
        f'- listitem:\n  - button "{name}"\n  - text: (account)'
    )

    # After a reload the message is still hers (the account's), and the header says who she is.
    ann.reload()
    wait_in_room(ann, name, room)
    expect(ann.get_by_role("navigation", name="Account")).to_contain_text(f"Signed in as {name}")
    expect(message(ann, "hello from an account").get_by_role("button", name="Edit message")).to_be_visible()
    expect(message(ann, "hello from an account").locator(".account-badge")).to_have_count(1)
    expect(message(bob, "hello from an account").get_by_role("button", name="Edit message")).to_have_count(0)


def test_one_account_in_two_browsers_is_one_member_and_logging_out_reloads_the_page(open_page):
    name, room = fresh_account_name("cy"), fresh_room_name("devices")
    laptop = open_page("/")
    sign_up(laptop, name)
    expect(laptop.locator("#id_username")).to_have_value(name)  # the lobby knows the account's name
    create_room(laptop, name, room)
    send(laptop, "from the laptop")

    phone = open_page("/")
    log_in(phone, name)
    enter_room(phone, name, room)
    for page in (laptop, phone):
        expect(page.locator("#member-list .member")).to_have_count(1)
    # The phone may edit what the laptop wrote, and what it sends is the account's on the laptop too.
    expect(message(phone, "from the laptop").get_by_role("button", name="Edit message")).to_be_visible()
    send(phone, "from the phone")
    expect(message(laptop, "from the phone").get_by_role("button", name="Edit message")).to_be_visible()
    edit(laptop, "from the phone", "fixed on the laptop")
    expect(message(phone, "fixed on the laptop")).to_have_count(1)

    # Logging out in a second tab of the laptop: its room tab reloads as a guest; the phone stays.
    other_tab = laptop.context.new_page()
    other_tab.goto("/")
    other_tab.get_by_role("navigation", name="Account").get_by_role("link", name="Log out").click()
    other_tab.get_by_role("button", name="Sign Out").click()
    expect(other_tab.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")).to_be_visible()
    # (a generous wait: the socket is closed at once, but the reload is a page load on a busy machine)
    expect(laptop.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")).to_be_visible(
        timeout=15_000
    )
    expect(laptop).to_have_url(re.compile(rf"/r/{re.escape(room)}/$", re.IGNORECASE))
    expect(message(laptop, "from the laptop").get_by_role("button", name="Edit message")).to_have_count(0)
    expect(phone.locator("#connection-status")).to_have_text("Connected")
    send(phone, "still the account")
    expect(message(phone, "still the account").get_by_role("button", name="Edit message")).to_be_visible()


def test_a_guest_is_refused_an_accounts_name_and_its_look_alike(open_page):
    name, room = fresh_account_name("dee"), fresh_room_name("reserved")
    owner = open_page("/")
    sign_up(owner, name)  # the account is in no room at all
    guest = open_page("/")
    guest.get_by_label("Display name").fill(name)
    guest.fill("#id_new_room", room)
    guest.click("button[name=action][value=create_named]")
    expect(guest).to_have_url(re.compile(rf"/r/{re.escape(room)}/$", re.IGNORECASE))
    gate = guest.locator("#name-gate")
    expect(gate).to_be_visible()
    expect(guest.get_by_role("alert").filter(has_text="You are not in this room yet")).to_contain_text(
        f"\u201c{name}\u201d is the name of an account"
    )
    field = gate.get_by_label("Display name")
    look_alike = "d\u0435e" + name[3:]  # a Cyrillic е
    field.fill(look_alike)
    field.press("Enter")
    expect(guest.locator("#name-gate-error")).to_have_text(
        f"\u201c{look_alike}\u201d is the name of an account. Log in, or pick another name."
    )
    expect(guest.locator("#message-input")).to_be_disabled()
    field.fill("a guest")
    field.press("Enter")
    expect(gate).to_be_hidden()
    expect(guest.locator("#member-list")).to_contain_text("a guest")


def test_a_deactivated_accounts_open_page_is_disconnected_at_once(open_page, chat_server):
    name, room = fresh_account_name("eve"), fresh_room_name("deactivate")
    eve = open_page("/")
    sign_up(eve, name)
    create_room(eve, name, room)
    send(eve, "hello before")
    bob = open_page("/")
    enter_room(bob, "bob", room)

    make_staff(chat_server, "accounts-mod", "mod-password-1")
    moderator = open_page("/")
    admin_login(moderator, "accounts-mod", "mod-password-1")
    admin_action(moderator, "user", name, "deactivate", app="accounts")
    expect(moderator.locator(".messagelist")).to_contain_text("Deactivated: 1.")

    # Her page reloads as a guest's: logged out, out of the room until she picks a name again.
    expect(eve.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")).to_be_visible()
    expect(bob.locator("#member-list .member")).to_have_count(1)
    expect(bob.locator("#member-list")).not_to_contain_text(name)
    # What she wrote stays, under her name.
    expect(message(bob, "hello before")).to_have_count(1)
    # And she cannot log in again.
    eve.get_by_role("navigation", name="Account").get_by_role("link", name="Log in").click()
    eve.get_by_label("Username").fill(name)
    eve.get_by_label("Password").fill(PASSWORD)
    eve.get_by_role("button", name="Sign In").click()
    expect(eve.get_by_role("navigation", name="Account")).not_to_contain_text("Signed in as")


def test_on_a_phone_the_account_links_sit_in_the_rooms_drawer(open_page):
    name, room = fresh_account_name("fay"), fresh_room_name("phone")
    phone = open_page("/", viewport={"width": 360, "height": 740}, has_touch=True)
    create_room(phone, name, room)
    header = phone.get_by_role("navigation", name="Account")
    expect(header).to_be_hidden()  # the room's header has no room for it at 360 px
    expect(phone.locator("#connection-status")).to_have_text("Connected")
    within_width(phone, phone.locator("#connection-status"))
    # ...and the status is whole, not cut to "Co…" by the links beside it.
    assert phone.locator("#connection-status").evaluate("e => e.scrollWidth <= e.clientWidth")
    phone.get_by_role("button", name="Rooms").click()
    drawer = phone.get_by_role("navigation", name="Rooms")
    drawer.get_by_role("link", name="Sign up").click()
    phone.get_by_label("Username").fill(name)
    phone.get_by_label("Password:", exact=True).fill(PASSWORD)
    phone.get_by_label("Password (again)").fill(PASSWORD)
    phone.get_by_role("button", name="Sign Up").click()
    wait_in_room(phone, name, room)  # back where she was
    phone.get_by_role("button", name="Rooms").click()
    expect(phone.get_by_role("navigation", name="Rooms")).to_contain_text(f"Signed in as {name}")


def test_your_data_downloads_and_deleting_the_account_keeps_the_messages_as_deleted_user(open_page):
    name, room = fresh_account_name("gus"), fresh_room_name("data")
    gus = open_page("/")
    sign_up(gus, name)
    create_room(gus, name, room)
    send(gus, "a message to keep")
    bob = open_page("/")
    enter_room(bob, "bob", room)
    expect(message(bob, "a message to keep")).to_have_count(1)

    data_tab = gus.context.new_page()
    data_tab.goto("/")
    data_tab.get_by_role("navigation", name="Account").get_by_role("link", name="Your data").click()
    with data_tab.expect_download() as download:
        data_tab.get_by_role("link", name="Download my data").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["account"]["username"] == name
    assert [m["text"] for m in exported["messages"]] == ["a message to keep"]

    # A wrong password is answered next to the field; the right one deletes.
    data_tab.get_by_label("Your password").fill("not my password")
    data_tab.get_by_role("button", name="Delete my account").click()
    expect(data_tab.get_by_role("alert")).to_have_text("That is not your password.")
    data_tab.get_by_label("Your password").fill(PASSWORD)
    data_tab.get_by_role("button", name="Delete my account").click()
    expect(data_tab.get_by_role("navigation", name="Account").get_by_role("link", name="Sign up")).to_be_visible()

    # Her room tab reloads as a guest's; bob saw her leave, and after a reload her message reads "deleted user".
    expect(gus.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")).to_be_visible()
    expect(bob.locator("#member-list .member")).to_have_count(1)
    bob.reload()
    wait_in_room(bob, "bob", room)
    expect(message(bob, "a message to keep").locator(".msg-author")).to_have_text("deleted user")
