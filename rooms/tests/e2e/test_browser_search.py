"""Message search in headless Chromium: ann finds what bob wrote in #tech and in a private room
they share (or in their direct conversation), and lands on each message with the messages
around it; carol, in neither, finds only the #tech one."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import enter_room, message, send, show_members, wait_in_room

pytestmark = pytest.mark.browser


def search(page, query: str):
    """Type a query into the header's search box; the results list as it fills."""
    page.fill("#search-input", query)
    return page.locator("#search-results li")


def scroll_until(page, end: str, text: str) -> None:
    """Scroll the message list to its top or bottom, as a person would, until `text` has loaded."""
    to = "0" if end == "top" else "node.scrollHeight"
    for _ in range(40):
        if message(page, text).count():
            break
        page.locator("#messages").evaluate(f"node => {{ node.scrollTop = {to}; }}")
        page.wait_for_timeout(250)
    expect(message(page, text)).to_have_count(1)


def test_ann_finds_bobs_words_and_lands_on_them_carol_finds_only_what_she_may_read(open_page):
    word = f"zebra{secrets.token_hex(3)}"

    # bob makes a private room, ann enters it by its code; bob writes there, then in #tech.
    bob = open_page("/")
    bob.fill("#id_username", "bob")
    bob.click("button[name=action][value=create_private]")
    code = bob.locator("#room-code").inner_text()
    wait_in_room(bob, "bob", code)
    ann = open_page("/")
    enter_room(ann, "ann", code)
    send(bob, f"the {word} plan, between us")
    expect(message(ann, f"the {word} plan, between us")).to_have_count(1)
    # ann answers: having written in a private room keeps it hers to search once she has left it.
    send(ann, "deal")
    expect(message(bob, "deal")).to_have_count(1)
    bob.goto("/r/tech/")
    wait_in_room(bob, "bob", "tech")
    for i in range(30):
        send(bob, f"before {i}")
    send(bob, f"a {word} sighting near the server room")
    for i in range(30):
        send(bob, f"after {i}")
    expect(message(bob, "after 29")).to_have_count(1)
    expect(bob.locator(".msg.pending")).to_have_count(0)

    # ann, in #general, searches with the keyboard shortcut: both hits, newest first, the word marked.
    ann.goto("/r/general/")
    wait_in_room(ann, "ann", "general")
    ann.locator("#messages").click()
    ann.keyboard.press("/")
    expect(ann.locator("#search-input")).to_be_focused()
    results = search(ann, word)
    expect(results).to_have_count(2)
    expect(results.nth(0).locator(".search-room")).to_have_text("#Tech")
    expect(results.nth(0).locator(".search-author")).to_have_text("bob")
    expect(results.nth(0).locator(".search-snippet")).to_have_text(f"a {word} sighting near the server room")
    expect(results.nth(0).locator("mark")).to_have_text([word])
    expect(results.nth(1).locator(".search-room")).to_have_text(f"Private room {code}")
    expect(results.nth(1).locator("mark")).to_have_text([word])

    # The #tech hit opens #tech without a reload, on the message, lit, with its neighbours loaded.
    ann.evaluate("window.__same_page = true")
    results.nth(0).click()
    expect(ann).to_have_url(re.compile(r"/r/tech/$"))
    target = message(ann, f"a {word} sighting near the server room")
    expect(target).to_have_class(re.compile(r"\bmsg-highlight\b"))
    expect(target).to_be_in_viewport()
    expect(message(ann, "before 29")).to_have_count(1)
    expect(message(ann, "after 0")).to_have_count(1)
    assert ann.evaluate("window.__same_page") is True
    # The jump loaded 25 messages after it; the rest load as she scrolls down (as a person would, until the end).
    for _ in range(20):
        ann.locator("#messages").evaluate("node => { node.scrollTop = node.scrollHeight; }")
        if message(ann, "after 29").count():
            break
        ann.wait_for_timeout(250)
    expect(message(ann, "after 29")).to_have_count(1)

    # Ctrl+K, the same query: the private room's hit opens that room at the message.
    ann.keyboard.press("Control+k")
    expect(ann.locator("#search-input")).to_be_focused()
    ann.keyboard.press("Enter")
    results.nth(1).click()
    expect(ann).to_have_url(re.compile(rf"/r/{code}/$", re.IGNORECASE))
    expect(message(ann, f"the {word} plan, between us")).to_have_class(re.compile(r"\bmsg-highlight\b"))

    # carol, in no room of bob's, finds the #tech message only; a word nobody wrote finds nothing, plainly.
    carol = open_page("/")
    enter_room(carol, "carol", "general")
    results = search(carol, word)
    expect(results).to_have_count(1)
    expect(results.locator(".search-room")).to_have_text("#Tech")
    expect(carol.locator("#search-status")).to_have_text("1 result")
    search(carol, f'"{word} plan"')
    expect(carol.locator("#search-status")).to_have_text(f'No results for “"{word} plan"”.')
    expect(carol.locator("#search-results li")).to_have_count(0)
    search(carol, "\"'; DROP TABLE rooms_message; --")
    expect(carol.locator("#search-status")).to_have_text(re.compile(r"^No results for"))


def test_ann_finds_bobs_word_in_tech_and_in_their_conversation_carol_only_in_tech(open_page):
    word = f"okapi{secrets.token_hex(3)}"

    # ann and bob in #tech; bob writes the word there.
    ann = open_page("/")
    enter_room(ann, "ann", "tech")
    bob = open_page("/")
    enter_room(bob, "bob", "tech")
    send(bob, f"spotted an {word} in the rack")
    expect(message(ann, f"spotted an {word} in the rack")).to_have_count(1)
    tech_time = message(ann, f"spotted an {word} in the rack").locator("time").get_attribute("datetime")

    # ann opens a conversation with bob from the member list and writes; bob opens it from his sidebar.
    show_members(ann)
    ann.get_by_role("button", name="Message bob").click()
    expect(ann).to_have_url(re.compile(r"/r/_[0-9a-f]{30}/$"))
    conversation = ann.url.rstrip("/").rsplit("/", 1)[1]
    send(ann, "hi bob, quick question")
    bob.get_by_role("region", name="Direct messages").locator("a.sidebar-room", has_text="ann").click()
    expect(bob).to_have_url(re.compile(rf"/r/{conversation}/$"))
    expect(message(bob, "hi bob, quick question")).to_have_count(1)
    # bob answers at length: the word in the middle of sixty messages.
    for i in range(30):
        send(bob, f"earlier {i}")
    send(bob, f"the {word} is ours, keep it quiet")
    for i in range(30):
        send(bob, f"later {i}")
    expect(message(bob, "later 29")).to_have_count(1)
    expect(bob.locator(".msg.pending")).to_have_count(0)
    hit_time = message(bob, f"the {word} is ours, keep it quiet").locator("time").get_attribute("datetime")

    # ann, in #general, searches: both hits, newest first, each with where, who, when and the word marked.
    ann.goto("/r/general/")
    wait_in_room(ann, "ann", "general")
    results = search(ann, word)
    expect(results).to_have_count(2)
    expect(ann.locator("#search-status")).to_have_text("2 results")
    first, second = results.nth(0), results.nth(1)
    expect(first.locator(".search-room")).to_have_text("Conversation with bob")
    expect(first.locator(".search-author")).to_have_text("bob")
    expect(first.locator("time")).to_have_attribute("datetime", hit_time)
    expect(first.locator("time")).not_to_be_empty()
    expect(first.locator(".search-snippet")).to_have_text(f"the {word} is ours, keep it quiet")
    expect(first.locator("mark")).to_have_text([word])
    expect(second.locator(".search-room")).to_have_text("#Tech")
    expect(second.locator(".search-author")).to_have_text("bob")
    expect(second.locator("time")).to_have_attribute("datetime", tech_time)
    expect(second.locator("mark")).to_have_text([word])

    # The conversation's hit opens the conversation without a reload, on the message, lit, in view,
    # with the messages around it; she scrolls up to the start and down to the end.
    ann.evaluate("window.__same_page = true")
    first.click()
    expect(ann).to_have_url(re.compile(rf"/r/{conversation}/$"))
    target = message(ann, f"the {word} is ours, keep it quiet")
    expect(target).to_have_class(re.compile(r"\bmsg-highlight\b"))
    expect(target).to_be_in_viewport()
    expect(message(ann, "earlier 29")).to_have_count(1)
    expect(message(ann, "later 0")).to_have_count(1)
    assert ann.evaluate("window.__same_page") is True
    scroll_until(ann, "top", "hi bob, quick question")
    scroll_until(ann, "bottom", "later 29")

    # carol, not in the conversation, searches the same word: the #tech hit only.
    carol = open_page("/")
    enter_room(carol, "carol", "general")
    results = search(carol, word)
    expect(results).to_have_count(1)
    expect(carol.locator("#search-status")).to_have_text("1 result")
    expect(results.locator(".search-room")).to_have_text("#Tech")
    expect(results.locator(".search-snippet")).to_have_text(f"spotted an {word} in the rack")


def test_on_a_phone_the_search_box_opens_over_the_header_and_the_results_are_full_width(open_page):
    word = f"gnu{secrets.token_hex(3)}"
    width = 360
    bob = open_page("/")
    enter_room(bob, "bob", "tech")
    long_text = f"the {word} herd crossed the river at dawn and nobody on the team could say where they went next"
    send(bob, long_text)
    expect(message(bob, long_text)).to_have_count(1)
    ann = open_page("/", viewport={"width": width, "height": 740}, has_touch=True)
    enter_room(ann, "ann", "general")
    box, toggle = ann.locator("#search-input"), ann.get_by_role("button", name="Search messages")

    # Folded: a button in the header; tapped, the box spans the header and has the focus.
    expect(box).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.tap()
    expect(box).to_be_focused()
    assert box.bounding_box()["width"] >= 260
    expect(toggle).to_have_attribute("aria-expanded", "true")

    # The results take the screen's width, and a snippet reads whole: wrapped, not cut off at the side.
    box.fill(word)
    results = ann.locator("#search-results li")
    expect(results).to_have_count(1)
    panel = ann.locator("#search-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width + 0.5
    assert panel["width"] >= width - 2
    snippet = results.locator(".search-snippet")
    expect(snippet).to_have_text(long_text)
    expect(snippet).to_be_in_viewport(ratio=1)
    assert snippet.evaluate("node => node.scrollWidth <= node.clientWidth")
    assert snippet.bounding_box()["height"] > 2 * results.locator(".search-room").bounding_box()["height"]

    # Escape folds it back, the focus on the button; `/` and Ctrl+K open it again, wide.
    ann.keyboard.press("Escape")
    expect(box).to_be_hidden()
    expect(ann.locator("#search-panel")).to_be_hidden()
    expect(toggle).to_be_focused()
    ann.locator("#messages").click()
    ann.keyboard.press("/")
    expect(box).to_be_focused()
    assert box.bounding_box()["width"] >= 260
    ann.keyboard.press("Escape")
    expect(box).to_be_hidden()
    ann.keyboard.press("Control+k")
    expect(box).to_be_focused()
    assert box.bounding_box()["width"] >= 260
    # The close button folds it too, and a result opens its room with the box folded away.
    ann.get_by_role("button", name="Close search").tap()
    expect(box).to_be_hidden()
    toggle.tap()
    box.fill(word)
    results.first.tap()
    expect(ann).to_have_url(re.compile(r"/r/tech/$"))
    expect(message(ann, long_text)).to_have_class(re.compile(r"\bmsg-highlight\b"))
    expect(box).to_be_hidden()
