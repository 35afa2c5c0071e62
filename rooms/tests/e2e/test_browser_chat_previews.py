"""Link previews in headless Chromium, with two people: ann posts a link to the local test site, bob sees its
card arrive live (title, site, description, a picture whose size is known before it loads, a link that opens
in a new tab without a referrer); ann takes the card away with its x, and it goes from bob's page too."""

import re

import pytest
from playwright.sync_api import expect

from rooms.tests.support.linksite import link_site
from rooms.tests.support.pages import ann_and_bob, axe_violations, message
from rooms.tests.support.servers import sqlite_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site():
    with link_site() as site:
        yield site


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory, site):
    """Overrides conftest's for this module: previews on, and the test site on 127.0.0.1 reachable."""
    with sqlite_server(
        tmp_path_factory.mktemp("preview-server"),
        DJANGO_LINK_PREVIEWS="1",
        DJANGO_LINK_PREVIEW_ALLOWED_HOSTS="127.0.0.1",
        RATE_LIMIT_BURST="1000",
        ROOM_CREATE_LIMIT="1000",
        ROOM_CREATE_ADDRESS_LIMIT="100000",
    ) as server:
        yield server


def test_bob_sees_the_card_of_anns_link_live_and_sees_it_go_when_she_removes_it(open_page, site):
    _, ann, bob = ann_and_bob(open_page, "previews")
    text = f"have a look {site.url('/page')}"
    ann.fill("#message-input", text)
    ann.press("#message-input", "Enter")

    card = message(bob, text).locator(".msg-preview")
    expect(card).to_have_count(1)
    expect(card.locator(".preview-site")).to_have_text("The Test Site")
    expect(card.locator(".preview-title")).to_have_text("A page about <b>tests</b>")  # as text, never markup
    expect(card.locator(".preview-title b")).to_have_count(0)
    expect(card.locator(".preview-description")).to_have_text("What the page says about itself.")
    picture = card.locator("img.preview-image")
    expect(picture).to_have_attribute("width", "400")
    expect(picture).to_have_attribute("height", "200")
    expect(picture).to_have_attribute("src", re.compile(r"^/media/p/[A-Za-z0-9_-]{24}/image\.webp$"))
    bob.wait_for_function(
        "() => { const i = document.querySelector('.msg-preview img'); return i && i.complete && i.naturalWidth === 400; }"
    )
    link = card.locator("a.preview-link")
    expect(link).to_have_attribute("href", site.url("/page"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(card.get_by_role("button", name="Remove link preview")).to_have_count(0)  # not bob's message
    # Readable in both themes, ann's card with its x too: colours from the theme's own (contrast checked by axe).
    expect(message(ann, text).locator(".msg-preview .preview-remove")).to_be_visible()
    for scheme in ("light", "dark"):
        for page in (ann, bob):
            page.emulate_media(color_scheme=scheme)
            assert axe_violations(page) == [], (scheme, page.url)

    # The history carries it: after a reload, bob's page draws it from join_confirm.
    bob.reload()
    expect(message(bob, text).locator(".msg-preview .preview-title")).to_have_text("A page about <b>tests</b>")

    own = message(ann, text).locator(".msg-preview")
    expect(own).to_have_count(1)
    own.get_by_role("button", name="Remove link preview").click()
    expect(own).to_have_count(0)
    expect(card).to_have_count(0)
    expect(message(bob, text)).to_have_count(1)  # the message stays; only its card went
