"""Desktop notifications (opt-in) and the unread count in the title, in headless Chromium."""

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import create_room, enter_room, fresh_room_name, message, send

pytestmark = pytest.mark.browser


# --- 9. notifications and unread count ------------------------------------------------

NOTIFICATION_STUB = """
(() => {
  const Real = window.Notification;
  window.__notifications = [];
  class RecordingNotification {
    constructor(title, options = {}) { window.__notifications.push({title, body: options.body}); }
    close() {}
    static get permission() { return Real.permission; }
    static requestPermission() { window.__asked = true; return Real.requestPermission(); }
  }
  window.Notification = RecordingNotification;
  let hidden = false;
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => (hidden ? "hidden" : "visible")});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
  window.__setHidden = (value) => { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
})();
"""


def test_notifications_opt_in_and_unread_count_in_the_title(open_page):
    room = fresh_room_name("notify")
    ann = open_page("/", permissions=["notifications"])
    ann.context.add_init_script(NOTIFICATION_STUB)
    create_room(ann, "ann", room)
    bob = open_page("/")
    enter_room(bob, "bob", room)
    title = f"{room} · chatsite"
    expect(ann).to_have_title(title)
    notes = lambda: ann.evaluate("window.__notifications")  # noqa: E731

    # Not opted in yet: hidden tab counts unread, but no notification.
    ann.evaluate("window.__setHidden(true)")
    send(bob, "before opting in")
    expect(ann).to_have_title(f"(1) {title}")
    assert notes() == []
    ann.evaluate("window.__setHidden(false)")
    expect(ann).to_have_title(title)

    toggle = ann.get_by_role("button", name="Notify me")
    toggle.click()
    expect(ann.locator("#notify-toggle")).to_have_attribute("aria-pressed", "true")
    expect(ann.locator("#notify-toggle")).to_have_text("Notifications on")
    assert ann.evaluate("window.__asked === true || Notification.permission === 'granted'")

    ann.evaluate("window.__setHidden(true)")
    send(bob, "one")
    send(bob, "two")
    send(bob, "@ann are you there?")
    expect(ann).to_have_title(f"(3) {title}")
    expect(message(ann, "@ann are you there?")).to_have_count(1)
    assert notes() == [
        {"title": f"bob in {room}", "body": "one"},
        {"title": f"bob in {room}", "body": "two"},
        {"title": f"bob mentioned you in {room}", "body": "@ann are you there?"},
    ]

    # Back to the tab: the count goes; visible messages do not notify.
    ann.evaluate("window.__setHidden(false)")
    expect(ann).to_have_title(title)
    send(bob, "seen live")
    expect(message(ann, "seen live")).to_have_count(1)
    expect(ann).to_have_title(title)
    assert len(notes()) == 3

    # Own messages never notify.
    ann.evaluate("window.__setHidden(true)")
    send(ann, "my own words")
    expect(message(ann, "my own words")).to_have_count(1)
    expect(ann).to_have_title(title)
    assert len(notes()) == 3
