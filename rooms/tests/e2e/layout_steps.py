"""What the layout tests (e2e/test_browser_layout_*.py) share: the viewports, and a busy room."""

from playwright.sync_api import expect

from rooms.tests.support.pages import create_room, enter_room, fresh_room_name, send

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1440, "height": 900}


def busy_room(open_page, **context_options):
    """ann's page in a room with two other members, a join notice and a few messages."""
    room = fresh_room_name("layout")
    ann = open_page("/", **context_options)
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    cat = open_page("/")
    enter_room(cat, "cat", room)
    send(bob, "Hi all 👋 the notes are at https://example.org/notes")
    send(ann, "Thanks bob, reading them now")
    send(cat, "🎉")
    expect(ann.locator(".msg:not(.pending)")).to_have_count(3)
    expect(ann.locator("#member-list .member")).to_have_count(3)
    expect(ann.locator(".notice").filter(has_text="cat joined")).to_be_visible()
    return ann
