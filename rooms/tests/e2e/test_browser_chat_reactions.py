"""Reactions, replies and links to a message in headless Chromium, with two people:
reacting and unreacting live, who reacted, a reply that jumps to an old message outside the
loaded history, and a message's link opened in a fresh browser (and refused to others)."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import ann_and_bob, enter_room, fresh_room_name, message, send, wait_in_room

pytestmark = pytest.mark.browser

THUMBS = "👍\ufe0f"  # as the picker's data writes it


def chip(page, text, emoji):
    return message(page, text).locator(".reaction").filter(has_text=emoji.replace("\ufe0f", ""))


def private_room(page, username: str) -> str:
    page.fill("#id_username", username)
    page.click("button[name=action][value=create_private]")
    expect(page.locator("#room-code")).to_be_visible()
    code = page.locator("#room-code").inner_text()
    wait_in_room(page, username, code)
    return code


def flood(page, count: int, prefix: str) -> None:
    """`count` messages from this page, every one delivered before it returns."""
    for i in range(count):
        send(page, f"{prefix} {i}")
    expect(message(page, f"{prefix} {count - 1}")).to_have_count(1)
    expect(page.locator(".msg.pending")).to_have_count(0)


# --- react, unreact, who reacted -------------------------------------------------


def test_reactions_are_added_and_removed_live_and_say_who(open_page):
    room, ann, bob = ann_and_bob(open_page, "react")
    send(ann, "pizza tonight?")
    expect(message(bob, "pizza tonight?")).to_have_count(1)

    # bob reacts from the quick row, by keyboard: React opens it with the focus on its first emoji.
    message(bob, "pizza tonight?").get_by_role("button", name="React to this message").focus()
    bob.keyboard.press("Enter")
    quick = bob.get_by_role("group", name="Pick a reaction")
    expect(quick.get_by_role("button", name=f"React with {THUMBS}")).to_be_focused()
    bob.keyboard.press("Enter")
    expect(quick).to_have_count(0)
    expect(message(bob, "pizza tonight?").get_by_role("button", name="React to this message")).to_be_focused()

    for page, mine in ((bob, "true"), (ann, "false")):
        reaction = chip(page, "pizza tonight?", THUMBS)
        expect(reaction).to_have_count(1)
        expect(reaction.locator(".reaction-count")).to_have_text("1")
        expect(reaction).to_have_attribute("aria-pressed", mine)

    # Who reacted: on hover for ann, on focus for bob.
    reaction = chip(ann, "pizza tonight?", THUMBS)
    who = message(ann, "pizza tonight?").get_by_role("tooltip")
    expect(who).to_be_hidden()
    reaction.hover()
    expect(who).to_be_visible()
    expect(who).to_have_text("Reacted: bob")
    expect(reaction).to_have_accessible_description("Reacted: bob")

    # ann adds hers by clicking the chip: 2, pressed on her page only.
    reaction.click()
    for page, mine in ((ann, "true"), (bob, "true")):
        expect(chip(page, "pizza tonight?", THUMBS).locator(".reaction-count")).to_have_text("2")
        expect(chip(page, "pizza tonight?", THUMBS)).to_have_attribute("aria-pressed", mine)
    bob_chip = chip(bob, "pizza tonight?", THUMBS)
    bob_chip.focus()
    expect(message(bob, "pizza tonight?").get_by_role("tooltip")).to_have_text("Reacted: bob, ann")

    # bob takes his off: 1 left, ann's, and bob's chip is no longer pressed.
    bob.keyboard.press("Enter")
    for page, mine in ((ann, "true"), (bob, "false")):
        expect(chip(page, "pizza tonight?", THUMBS).locator(".reaction-count")).to_have_text("1")
        expect(chip(page, "pizza tonight?", THUMBS)).to_have_attribute("aria-pressed", mine)
    expect(message(ann, "pizza tonight?").get_by_role("tooltip")).to_have_text("Reacted: ann")

    # Any emoji of the picker: "More…" opens it in the quick row.
    message(bob, "pizza tonight?").get_by_role("button", name="React to this message").click()
    bob.get_by_role("button", name="More emoji").click()
    search = bob.locator(".react-picker input[type=search]")
    expect(search).to_be_focused()
    search.fill("rocket")
    bob.locator(".react-picker #search-results").get_by_role("option", name="🚀, rocket").click()
    for page in (ann, bob):
        expect(chip(page, "pizza tonight?", "🚀").locator(".reaction-count")).to_have_text("1")

    # ann takes hers off: the 👍 chip goes from both pages, the 🚀 stays; after a reload too.
    chip(ann, "pizza tonight?", THUMBS).click()
    for page in (ann, bob):
        expect(chip(page, "pizza tonight?", THUMBS)).to_have_count(0)
        expect(message(page, "pizza tonight?").locator(".reaction")).to_have_count(1)
    bob.reload()
    wait_in_room(bob, "bob", room)
    expect(chip(bob, "pizza tonight?", "🚀")).to_have_attribute("aria-pressed", "true")
    expect(chip(bob, "pizza tonight?", THUMBS)).to_have_count(0)


# --- replies ---------------------------------------------------------------------


def test_a_reply_quotes_the_original_and_jumps_to_it_outside_the_loaded_history(open_page):
    room, ann, bob = ann_and_bob(open_page, "reply")
    send(ann, "the original question")
    expect(message(bob, "the original question")).to_have_count(1)

    # bob replies: the composer says to what, with a cancel (Esc works too).
    message(bob, "the original question").get_by_role("button", name="Reply to this message").click()
    bar = bob.locator("#reply-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Replying to ann: the original question")
    expect(bob.locator("#message-input")).to_be_focused()
    bob.keyboard.press("Escape")
    expect(bar).to_be_hidden()
    message(bob, "the original question").get_by_role("button", name="Reply to this message").click()
    send(bob, "my answer")
    expect(bar).to_be_hidden()
    for page in (ann, bob):
        quote = message(page, "my answer").get_by_role(
            "button", name=re.compile(r"^In reply to ann: the original question \(show the original message\)$")
        )
        expect(quote).to_have_count(1)

    # The original is edited: every reply's quote shows it.
    message(ann, "the original question").get_by_role("button", name="Edit message").click()
    ann.get_by_role("textbox", name="Edit message").fill("the original question, edited")
    ann.get_by_role("textbox", name="Edit message").press("Enter")
    expect(message(bob, "my answer").locator(".msg-quote")).to_contain_text("the original question, edited")

    # Sixty more messages: on a fresh load the original is far outside the 50 shown.
    flood(ann, 60, "filler")
    send(bob, "answering again")
    message(bob, "the original question, edited").get_by_role("button", name="Reply to this message").click()
    send(bob, "late reply")
    expect(message(ann, "late reply")).to_have_count(1)
    ann.reload()
    wait_in_room(ann, "ann", room)
    expect(message(ann, "late reply")).to_have_count(1)
    expect(message(ann, "the original question, edited")).to_have_count(0)

    # The quote jumps there: loaded around it, scrolled to, focused and lit for a moment.
    message(ann, "late reply").locator(".msg-quote").focus()
    ann.keyboard.press("Enter")
    original = message(ann, "the original question, edited")
    expect(original).to_be_in_viewport()
    expect(original).to_be_focused()
    expect(original).to_have_class(re.compile(r"\bmsg-highlight\b"))
    expect(original).not_to_have_class(re.compile(r"\bmsg-highlight\b"), timeout=5000)
    expect(message(ann, "my answer")).to_have_count(1)  # the messages around it came with it

    # From there it scrolls both ways: nothing older than the first message; newer ones fill the gap.
    expect(ann.locator("#load-older")).to_be_hidden()
    gap = ann.get_by_role("button", name="Load newer messages")
    while gap.count():
        gap.first.scroll_into_view_if_needed()
        ann.wait_for_timeout(100)
    expect(ann.locator(".history-gap")).to_have_count(0)
    texts = ann.locator(".msg:not(.pending) .msg-text").all_inner_texts()
    assert texts == [
        "the original question, edited",
        "my answer",
        *(f"filler {i}" for i in range(60)),
        "answering again",
        "late reply",
    ]

    # The original removed: every quote says so.
    message(ann, "the original question, edited").get_by_role("button", name="Delete message").click()
    ann.get_by_role("dialog").get_by_role("button", name="Delete", exact=True).click()
    for page in (ann, bob):
        expect(message(page, "late reply").locator(".msg-quote")).to_have_text("Message removed")
        expect(message(page, "my answer").locator(".msg-quote")).to_have_text("Message removed")


# --- links -----------------------------------------------------------------------


def test_a_copied_link_opens_the_private_room_at_that_message_in_a_fresh_browser(open_page):
    ann = open_page("/")
    code = private_room(ann, "ann")
    bob = open_page(f"/r/{code}/", permissions=["clipboard-read", "clipboard-write"])
    bob.fill("#id_username", "bob")
    bob.get_by_role("button", name=re.compile("Join")).click()
    wait_in_room(bob, "bob", code)
    send(ann, "remember this one")
    expect(message(bob, "remember this one")).to_have_count(1)
    flood(ann, 60, "chatter")

    message(bob, "remember this one").get_by_role("button", name="Copy link to this message").click()
    expect(bob.get_by_role("status").filter(has_text="Link to the message copied.")).to_be_visible()
    link = bob.evaluate("navigator.clipboard.readText()")
    message_id = message(bob, "remember this one").get_attribute("data-id")
    assert link == f"{bob.url.split('/r/')[0]}/r/{code}/?m={message_id}"

    # Someone who was never here, with the link: the name form, then the room at that message.
    cat = open_page(link)
    cat.fill("#id_username", "cat")
    cat.get_by_role("button", name=re.compile("Join")).click()
    expect(cat.locator("#connection-status")).to_have_text("Connected")
    target = message(cat, "remember this one")
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    expect(cat).to_have_url(re.compile(rf"/r/{code}/\?m={message_id}$"))


def test_a_message_link_is_refused_to_who_may_not_read_it(open_page, chat_server):
    room, ann, bob = ann_and_bob(open_page, "links")
    send(ann, "for members")
    expect(message(bob, "for members")).to_have_count(1)
    message_id = message(ann, "for members").get_attribute("data-id")
    other = fresh_room_name("elsewhere")
    outsider = open_page("/")
    enter_room(outsider, "dan", "general")
    send(outsider, "hello general")

    # The message's id under another room, or a private room's message under a made-up code: not found.
    for path in (
        f"/r/general/?m={message_id}",
        f"/r/{other}/?m={message_id}",
        f"/r/{room}/?m=99999999",
        f"/r/{room}/?m=x",
    ):
        response = outsider.goto(path)
        assert response.status == 404, path
        expect(outsider.get_by_role("alert")).to_contain_text("No room called")

    # Removed from the room by its owner: the link is refused too, like the room's own address.
    outsider.goto(f"/r/{room}/")
    wait_in_room(outsider, "dan", room)
    ann.get_by_role("button", name="Remove dan from the room").click()
    expect(outsider.locator("#room-notice")).to_be_visible()
    response = outsider.goto(f"/r/{room}/?m={message_id}")
    assert response.status == 403
    expect(outsider.locator(".msg")).to_have_count(0)

    # A member opens it fine.
    response = bob.goto(f"/r/{room}/?m={message_id}")
    assert response.status == 200
    expect(message(bob, "for members")).to_be_focused()
