"""One person, two tabs of one session: a name given up in one is given up in both."""

from playwright.sync_api import expect

from rooms.tests.support.pages import create_room, enter_room, fresh_room_name, message, send, wait_in_room


def test_a_rename_in_one_tab_renames_the_other_and_frees_the_name(open_page):
    room = fresh_room_name("tabs")
    cat = open_page("/")
    create_room(cat, "cat", room)
    tab_a = open_page("/")
    enter_room(tab_a, "dave", room)
    tab_b = tab_a.context.new_page()  # the same browser, the same session
    tab_b.goto(f"/r/{room}/")
    wait_in_room(tab_b, "dave", room)

    tab_a.goto("/")
    enter_room(tab_a, "zzz", room)
    expect(tab_b.locator(".notice").filter(has_text="You are now zzz in this room")).to_have_count(1)
    expect(cat.locator(".notice").filter(has_text="dave is now zzz")).to_have_count(1)
    expect(cat.locator("#member-list")).not_to_contain_text("dave")

    # Someone else may now be dave; the other tab speaks as zzz, never as dave.
    other = open_page("/")
    enter_room(other, "dave", room)
    send(tab_b, "from the other tab")
    expect(message(cat, "from the other tab").locator(".msg-author")).to_have_text("zzz")
    send(other, "the new dave")
    expect(message(cat, "the new dave").locator(".msg-author")).to_have_text("dave")
