"""Deleting a message asks first ("What a newcomer trips over on the room page", point 2).

Delete sits one click from Edit and cannot be undone, so the page asks in a
modal dialog that quotes the message; Esc, Cancel or a click beside it keep the
message, Delete or Enter confirm.
"""

import json

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import DEVICES, ann_and_bob, axe_violations, message, send, settle, within_width

pytestmark = pytest.mark.browser

LONG = (
    "Welcome to the room, everyone! Here is a rather long first message, so that the question "
    "about deleting it can only quote the start of it."
)


def quoted_start(text: str) -> str:
    """What the question quotes of a long message: its first 79 characters and an ellipsis."""
    assert len(text) > 80
    return text[:79].rstrip() + "…"


def delete_button(page, text: str):
    return message(page, text).get_by_role("button", name="Delete message")


def question(page, name: str = "Delete your message?"):
    return page.get_by_role("dialog", name=name)


def both_see(ann, bob, text: str) -> None:
    for page in (ann, bob):
        expect(message(page, text)).to_have_count(1)


def still_there_after_a_round_trip(ann, bob, text: str) -> None:
    """Nothing was sent: a later message arrives with it still shown, and a reload (the database) still has it."""
    send(ann, "and one more thing")
    both_see(ann, bob, "and one more thing")
    both_see(ann, bob, text)
    bob.reload()
    expect(bob.locator("#connection-status")).to_have_text("Connected")
    expect(message(bob, "and one more thing")).to_have_count(1)
    expect(message(bob, text)).to_have_count(1)


def test_escape_cancel_and_a_click_beside_the_question_keep_the_message(open_page):
    room, ann, bob = ann_and_bob(open_page, "del-keep")
    send(ann, LONG)
    both_see(ann, bob, LONG)

    delete_button(ann, LONG).click()
    dialog = question(ann)
    expect(dialog).to_be_visible()
    # It quotes the start of the message, not all of it, and says what deleting does.
    expect(dialog.locator("blockquote")).to_have_text(quoted_start(LONG))
    expect(dialog).to_contain_text("disappears for everyone in the room")
    expect(dialog.get_by_role("button", name="Delete", exact=True)).to_be_focused()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_visible()

    ann.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(delete_button(ann, LONG)).to_be_focused()  # back where ann was

    delete_button(ann, LONG).click()
    question(ann).get_by_role("button", name="Cancel").click()
    expect(question(ann)).to_be_hidden()
    expect(delete_button(ann, LONG)).to_be_focused()

    delete_button(ann, LONG).click()
    expect(question(ann)).to_be_visible()
    ann.mouse.click(5, 5)  # on the dimmed page beside the question
    expect(question(ann)).to_be_hidden()

    still_there_after_a_round_trip(ann, bob, LONG)


def test_confirming_with_a_click_deletes_it_for_the_other_person_too(open_page):
    room, ann, bob = ann_and_bob(open_page, "del-click")
    send(ann, "oops, wrong room")
    send(bob, "hi ann")
    both_see(ann, bob, "oops, wrong room")

    delete_button(ann, "oops, wrong room").click()
    question(ann).get_by_role("button", name="Delete", exact=True).click()
    expect(question(ann)).to_be_hidden()
    for page in (ann, bob):
        expect(message(page, "oops, wrong room")).to_have_count(0)
        expect(page.locator(".msg-removed")).to_have_count(0)
    both_see(ann, bob, "hi ann")


def test_confirming_with_enter_deletes_it_and_the_focus_lands_in_the_composer(open_page):
    room, ann, bob = ann_and_bob(open_page, "del-enter")
    send(ann, "typo city")
    both_see(ann, bob, "typo city")

    delete_button(ann, "typo city").click()
    expect(question(ann)).to_be_visible()
    ann.keyboard.press("Enter")
    for page in (ann, bob):
        expect(message(page, "typo city")).to_have_count(0)
    expect(ann.locator("#message-input")).to_be_focused()


def test_the_whole_way_with_the_keyboard_only(open_page):
    room, ann, bob = ann_and_bob(open_page, "del-keys")
    send(ann, "first thought")
    send(ann, "second thought")
    both_see(ann, bob, "second thought")

    # From the composer, back one stop: the newest message's Delete control.
    ann.locator("#message-input").focus()
    ann.keyboard.press("Shift+Tab")
    expect(delete_button(ann, "second thought")).to_be_focused()
    ann.keyboard.press("Enter")
    dialog = question(ann)
    expect(dialog).to_be_visible()
    expect(dialog.locator("blockquote")).to_have_text("second thought")

    # Focus stays in the question: Tab moves between its two buttons.
    ann.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    ann.keyboard.press("Enter")  # Cancel
    expect(dialog).to_be_hidden()
    expect(delete_button(ann, "second thought")).to_be_focused()
    both_see(ann, bob, "second thought")

    ann.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    ann.keyboard.press("Enter")  # Delete
    for page in (ann, bob):
        expect(message(page, "second thought")).to_have_count(0)
    both_see(ann, bob, "first thought")
    expect(ann.locator("#message-input")).to_be_focused()


def test_the_owner_is_asked_before_removing_someone_elses_message(open_page):
    room, ann, bob = ann_and_bob(open_page, "del-owner")
    send(bob, "something rude")
    both_see(ann, bob, "something rude")

    delete_button(ann, "something rude").click()
    dialog = question(ann, "Delete bob’s message?")
    expect(dialog).to_be_visible()
    expect(dialog.locator("blockquote")).to_have_text("something rude")
    expect(dialog).to_contain_text("Message removed by a moderator")
    ann.keyboard.press("Escape")
    still_there_after_a_round_trip(ann, bob, "something rude")

    delete_button(ann, "something rude").click()
    question(ann, "Delete bob’s message?").get_by_role("button", name="Delete", exact=True).click()
    for page in (ann, bob):
        expect(page.locator(".msg-removed")).to_have_text("Message removed by a moderator")
        expect(message(page, "something rude")).to_have_count(0)


def test_a_question_about_a_message_that_goes_meanwhile_closes(open_page):
    """bob is asked about his message while the owner removes it: the question goes, nothing is left open."""
    room, ann, bob = ann_and_bob(open_page, "del-gone")
    send(bob, "about to go")
    both_see(ann, bob, "about to go")

    delete_button(bob, "about to go").click()
    expect(question(bob)).to_be_visible()
    delete_button(ann, "about to go").click()
    question(ann, "Delete bob’s message?").get_by_role("button", name="Delete", exact=True).click()

    expect(bob.locator(".msg-removed")).to_have_text("Message removed by a moderator")
    expect(question(bob)).to_be_hidden()
    expect(bob.locator("#message-input")).to_be_focused()


@pytest.mark.parametrize("device", DEVICES)
def test_the_question_is_accessible_in_both_themes(open_page, device):
    room, ann, bob = ann_and_bob(open_page, "del-a11y", **device)
    send(ann, "mine 🎉")
    send(bob, "theirs, with a link https://example.com")
    both_see(ann, bob, "theirs, with a link https://example.com")

    report = {}
    for text, name in (
        ("mine 🎉", "Delete your message?"),
        ("theirs, with a link https://example.com", "Delete bob’s message?"),
    ):
        delete_button(ann, text).click()
        expect(question(ann, name)).to_be_visible()
        settle(ann)
        within_width(ann, question(ann, name))
        expect(question(ann, name).get_by_role("button", name="Delete")).to_be_in_viewport()
        for scheme in ("light", "dark"):
            ann.emulate_media(color_scheme=scheme)
            report[f"{name} / {scheme}"] = axe_violations(ann)
        ann.keyboard.press("Escape")
        expect(question(ann, name)).to_be_hidden()
    problems = {key: value for key, value in report.items() if value}
    assert problems == {}, json.dumps(problems, indent=2, ensure_ascii=False)
