"""The light and dark themes in headless Chromium: the system preference, the toggle, and
the remembered choice applied before the page is drawn."""

import pytest
from playwright.sync_api import expect

from rooms.tests.support.pages import create_room, fresh_room_name

pytestmark = pytest.mark.browser


# --- theme -------------------------------------------------------------------

LIGHT_BG, DARK_BG = "rgb(243, 244, 248)", "rgb(14, 16, 22)"


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


@pytest.mark.parametrize(("scheme", "expected", "pressed"), [("dark", DARK_BG, "true"), ("light", LIGHT_BG, "false")])
def test_the_theme_follows_the_system_preference(open_page, scheme, expected, pressed):
    page = open_page("/", color_scheme=scheme)
    for where in ("lobby", "room"):
        if where == "room":
            create_room(page, "ann", fresh_room_name("layout"))
        assert background(page) == expected, where
        assert page.evaluate("localStorage.getItem('chatsite-theme')") is None  # nothing chosen yet
        toggle = page.get_by_role("button", name="Dark theme")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-pressed", pressed)


def test_the_theme_toggle_switches_and_is_remembered_across_reloads_and_pages(open_page):
    page = open_page("/", color_scheme="light")
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG
    assert page.evaluate("localStorage.getItem('chatsite-theme')") == "dark"

    page.reload()
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    assert background(page) == DARK_BG

    # Another tab of the site follows at once.
    other = page.context.new_page()
    other.goto("/")
    assert background(other) == DARK_BG
    page.get_by_role("button", name="Dark theme").click()
    expect(other.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "false")
    assert background(other) == LIGHT_BG
    other.get_by_role("button", name="Dark theme").click()
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    other.close()

    # The choice holds on the room page too, and beats the system preference.
    create_room(page, "ann", fresh_room_name("layout"))
    assert background(page) == DARK_BG
    page.emulate_media(color_scheme="dark")
    page.get_by_role("button", name="Dark theme").click()
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "false")
    assert background(page) == LIGHT_BG
    page.reload()
    expect(page.locator("#connection-status")).to_have_text("Connected")
    assert background(page) == LIGHT_BG


def test_a_remembered_theme_is_applied_before_the_page_body_exists(open_page, chat_server):
    """No flash of the wrong theme: data-theme is on <html> before <body> is parsed."""
    page = open_page("/", color_scheme="light")
    page.evaluate("localStorage.setItem('chatsite-theme', 'dark')")
    page.context.add_init_script(
        """
        new MutationObserver((changes, observer) => {
          if (!document.body) return;
          window.__themeAtBody = document.documentElement.dataset.theme || "none";
          observer.disconnect();
        }).observe(document, { childList: true, subtree: true });
        """
    )
    page.reload()
    assert page.evaluate("window.__themeAtBody") == "dark"
