"""Editing and deleting one's own messages on the room page, in headless Chromium, driven
the way people use it."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import ann_and_bob, create_room, enter_room, fresh_room_name, message, send

pytestmark = pytest.mark.browser


# --- 1. own messages: edit and delete ----------------------------------------


def test_author_edits_and_deletes_and_others_see_it_live(open_page):
    room, ann, bob = ann_and_bob(open_page, "edits")

    send(ann, "helo everyone")
    send(bob, "hi ann")
    expect(message(bob, "helo everyone")).to_have_count(1)
    expect(message(ann, "hi ann")).to_have_count(1)

    # Only the author gets an edit control; bob cannot edit ann's message.
    expect(message(ann, "helo everyone").get_by_role("button", name="Edit message")).to_be_visible()
    expect(message(bob, "helo everyone").get_by_role("button", name="Edit message")).to_have_count(0)
    expect(message(bob, "hi ann").get_by_role("button", name="Edit message")).to_be_visible()

    message(ann, "helo everyone").get_by_role("button", name="Edit message").click()
    editor = ann.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("helo everyone")
    editor.fill("hello everyone")
    editor.press("Enter")

    for page in (ann, bob):
        edited = message(page, "hello everyone")
        expect(edited).to_have_count(1)
        expect(edited.locator(".msg-edited")).to_be_visible()
        expect(edited.locator(".msg-edited")).to_have_text("edited")
        expect(message(page, "helo everyone")).to_have_count(0)

    # Esc abandons an edit: nothing changes anywhere.
    message(ann, "hello everyone").get_by_role("button", name="Edit message").click()
    ann.get_by_role("textbox", name="Edit message").fill("never sent")
    ann.get_by_role("textbox", name="Edit message").press("Escape")
    expect(ann.get_by_role("textbox", name="Edit message")).to_have_count(0)
    expect(message(ann, "hello everyone")).to_have_count(1)

    # The author deletes (and confirms): the message disappears from both pages, no placeholder.
    message(ann, "hello everyone").get_by_role("button", name="Delete message").click()
    ann.get_by_role("dialog", name="Delete your message?").get_by_role("button", name="Delete", exact=True).click()
    for page in (ann, bob):
        expect(message(page, "hello everyone")).to_have_count(0)
        expect(page.locator(".msg-removed")).to_have_count(0)
    expect(message(bob, "hi ann")).to_have_count(1)

    # After a reload the deleted message stays gone and the edit control is still mine.
    ann.reload()
    expect(ann.locator("#connection-status")).to_have_text("Connected")
    expect(message(ann, "hi ann")).to_have_count(1)
    expect(message(ann, "hello everyone")).to_have_count(0)


def test_the_edit_control_goes_when_the_edit_window_closes(open_page):
    room = fresh_room_name("window")
    ann = open_page("/")
    ann.clock.install()  # the page's clock, from the room page on; it runs at normal speed
    create_room(ann, "ann", room)
    send(ann, "a quick typo")
    mine = message(ann, "a quick typo")
    expect(mine.get_by_role("button", name="Edit message")).to_be_visible()

    ann.clock.fast_forward("14:00")  # within EDIT_WINDOW_SECONDS (900)
    expect(mine.get_by_role("button", name="Edit message")).to_be_visible()
    ann.clock.fast_forward("01:30")  # now past it
    expect(mine.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(mine.get_by_role("button", name="Delete message")).to_be_visible()  # deleting has no window


def test_the_same_display_name_in_another_session_cannot_edit(open_page):
    room = fresh_room_name("impostor")
    ann = open_page("/")
    create_room(ann, "ann", room)
    send(ann, "only I may change this")
    expect(message(ann, "only I may change this")).to_have_count(1)
    message_id = int(message(ann, "only I may change this").get_attribute("data-id"))
    ann.close()  # ann leaves, so her name is free in the room

    other = open_page("/")
    enter_room(other, "ann", room)  # someone else picks the same name
    theirs = message(other, "only I may change this")
    expect(theirs).to_have_count(1)
    expect(theirs.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(theirs.get_by_role("button", name="Delete message")).to_have_count(0)
    expect(theirs).not_to_have_class(re.compile(r"\bown\b"))

    # Forcing it over a socket of their own session: the server refuses.
    answers = other.evaluate(
        """async ([room, id]) => {
            const ws = new WebSocket(`ws://${location.host}/ws/chat/`);
            const frames = [];
            await new Promise((resolve, reject) => {
              ws.onmessage = (e) => {
                const frame = JSON.parse(e.data);
                frames.push(frame);
                if (frame.event === "join_confirm") {
                  ws.send(JSON.stringify({event: "edit_message", data: {id, text: "hijacked"}}));
                  ws.send(JSON.stringify({event: "delete_message", data: {id}}));
                }
                if (frames.filter((f) => f.event === "error").length === 2) resolve();
              };
              ws.onopen = () => ws.send(JSON.stringify({event: "join_room", data: {room_name: room}}));
              setTimeout(() => reject(new Error("no answer")), 5000);
            });
            ws.close();
            return frames.filter((f) => f.event === "error").map((f) => [f.data.event, f.data.code]);
        }""",
        [room, message_id],
    )
    assert answers == [["edit_message", "forbidden"], ["delete_message", "forbidden"]]
    expect(message(other, "only I may change this")).to_have_count(1)
    expect(message(other, "hijacked")).to_have_count(0)
