"""Account settings in the browser: an email address added, a forgotten password reset by mail, a password changed."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import (
    ACCOUNT_PASSWORD,
    create_room,
    fresh_account_name,
    fresh_room_name,
    sign_up,
    wait_in_room,
)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a different pass phrase 9"


def account_nav(page):
    return page.get_by_role("navigation", name="Account")


def log_in(page, username: str, password: str) -> None:
    account_nav(page).get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def log_out(page) -> None:
    account_nav(page).get_by_role("link", name="Log out").click()
    page.get_by_role("button", name="Sign Out").click()
    expect(account_nav(page)).to_contain_text("Log in")


def test_an_email_added_on_the_settings_page_resets_a_forgotten_password(open_page, chat_server):
    name = fresh_account_name("eve")
    address = f"{name}@example.com"
    page = open_page("/")
    sign_up(page, name)
    account_nav(page).get_by_role("link", name="Profile").click()
    page.get_by_role("link", name="Email addresses").click()
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Add Email").click()
    expect(page.get_by_text(f"{address} Unverified")).to_be_visible()
    log_out(page)

    account_nav(page).get_by_role("link", name="Log in").click()
    page.get_by_role("link", name=re.compile("Forgot your password", re.IGNORECASE)).click()
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.get_by_role("heading", name="Password Reset")).to_be_visible()

    # The console mail backend: the mail is in the server's log, as an operator without SMTP would read it.
    links = []
    for _ in range(50):
        links = re.findall(r"https?://\S+/accounts/password/reset/key/\S+/", chat_server.log())
        if links:
            break
        page.wait_for_timeout(100)
    assert links, "no reset mail in the server's log"
    page.goto("/accounts/" + links[-1].split("/accounts/", 1)[1])
    page.get_by_label("New Password:", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text(re.compile("password is now changed", re.IGNORECASE))).to_be_visible()

    page.goto("/")
    log_in(page, name, ACCOUNT_PASSWORD)
    expect(page.get_by_role("alert").or_(page.locator(".errorlist"))).to_contain_text(
        re.compile("not correct", re.IGNORECASE)
    )
    log_in(page, name, NEW_PASSWORD)
    expect(account_nav(page)).to_contain_text(f"Signed in as {name}")


def test_changing_the_password_ends_the_accounts_other_pages(open_page):
    name, room = fresh_account_name("fay"), fresh_room_name("pwchange")
    laptop = open_page("/")
    sign_up(laptop, name)
    phone = open_page("/")
    log_in(phone, name, ACCOUNT_PASSWORD)
    create_room(phone, name, room)

    account_nav(laptop).get_by_role("link", name="Profile").click()
    laptop.get_by_role("link", name="Change password").click()
    laptop.get_by_label("Current Password").fill(ACCOUNT_PASSWORD)
    laptop.get_by_label("New Password:", exact=True).fill(NEW_PASSWORD)
    laptop.get_by_label("New Password (again)").fill(NEW_PASSWORD)
    laptop.get_by_role("button", name="Change Password").click()
    expect(laptop.get_by_role("status")).to_contain_text(re.compile("Password successfully changed", re.IGNORECASE))
    expect(account_nav(laptop)).to_contain_text(f"Signed in as {name}")

    # The phone's open room page is disconnected and comes back as a guest, asked for a name.
    expect(account_nav(phone)).to_contain_text("Log in", timeout=15_000)
    phone.get_by_label("Display name").fill("guest-fay")
    phone.get_by_label("Display name").press("Enter")
    wait_in_room(phone, "guest-fay", room)
