"""Attachments in headless Chromium, with two people: ann pastes a picture and drags a PDF onto the room,
watches them upload, sends them with a caption, and bob sees the thumbnail (its size known before it
loads), opens the picture in the viewer (Escape closes it) and downloads the PDF; a file too large and
an HTML page named .png are refused next to the file, and the message still goes without them."""

import base64
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rooms.tests.support import images
from rooms.tests.support.pages import ann_and_bob, message

pytestmark = pytest.mark.browser

PUT_FILES = """([kind, name, type, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  if (kind === "paste") {
    const input = document.getElementById("message-input");
    input.focus();
    input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
  } else {
    const target = document.getElementById("messages");
    for (const type of ["dragenter", "dragover", "drop"]) {
      target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
  }
}"""


def put(page, kind, name, content_type, content: bytes) -> None:
    page.evaluate(PUT_FILES, [kind, name, content_type, base64.b64encode(content).decode()])


def test_a_pasted_picture_and_a_dropped_pdf_reach_bob_live(open_page):
    room, ann, bob = ann_and_bob(open_page, "files")
    put(ann, "paste", "image.png", "image/png", images.halves(800, 400))
    put(ann, "drop", "minutes.pdf", "application/pdf", images.PDF)
    tray = ann.get_by_role("list", name="Files for the next message")
    expect(tray.locator(".upload")).to_have_count(2)
    expect(tray.locator(".upload.done")).to_have_count(2)
    ann.fill("#message-input", "the plan")
    ann.press("#message-input", "Enter")
    expect(tray).to_be_hidden()

    sent = message(bob, "the plan")
    expect(sent).to_have_count(1)
    thumb = sent.locator(".msg-image img")
    expect(thumb).to_have_attribute("width", "480")
    expect(thumb).to_have_attribute("height", "240")
    bob.wait_for_function(
        "() => { const i = document.querySelector('.msg-image img'); return i && i.complete && i.naturalWidth === 480; }"
    )
    pdf = sent.get_by_role("link", name="minutes.pdf")
    expect(pdf).to_contain_text("minutes.pdf")
    with bob.expect_download() as download:
        pdf.click()
    assert Path(download.value.path()).read_bytes() == images.PDF

    sent.get_by_role("link", name="View image.png").click()
    viewer = bob.get_by_role("dialog", name="image.png")
    expect(viewer).to_be_visible()
    bob.wait_for_function("() => document.getElementById('image-viewer-img').naturalWidth === 800")
    bob.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(sent.get_by_role("link", name="View image.png")).to_be_focused()


def test_a_too_large_file_and_html_named_png_are_refused_and_the_message_goes_without_them(open_page):
    room, ann, bob = ann_and_bob(open_page, "refused")
    ann.set_input_files(
        "#attach-input", files=[{"name": "page.png", "mimeType": "image/png", "buffer": images.HTML_AS_PNG}]
    )
    tray = ann.get_by_role("list", name="Files for the next message")
    expect(tray.locator(".upload.failed .upload-error")).to_have_text(
        "That type of file is not accepted: pictures (JPEG, PNG, GIF, WebP), videos (MP4, WebM), sound (Ogg, MP3) and PDF are."
    )
    ann.evaluate(
        """() => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([new Uint8Array(26_000_000)], "huge.pdf", { type: "application/pdf" }));
          const picker = document.getElementById("attach-input");
          picker.files = transfer.files;
          picker.dispatchEvent(new Event("change"));
        }"""
    )
    expect(tray.locator(".upload.failed")).to_have_count(2)
    expect(tray.locator(".upload.failed .upload-error").nth(1)).to_have_text(
        "Too large: 26.0 MB; files may be up to 25.0 MB."
    )
    ann.fill("#message-input", "no files after all")
    ann.press("#message-input", "Enter")
    sent = message(bob, "no files after all")
    expect(sent).to_have_count(1)
    expect(sent.locator(".msg-files")).to_have_count(0)


def test_an_upload_the_server_is_too_busy_for_goes_again_by_itself(open_page):
    """The 429 uploads_busy itself is the server's (test_drawing.py); here, what the page does with one."""
    room, ann, bob = ann_and_bob(open_page, "busy")
    answered = []

    def busy_once(route):
        if answered:
            route.continue_()
            return
        answered.append(route.request.url)
        route.fulfill(
            status=429,
            headers={"Retry-After": "1", "Content-Type": "application/json"},
            body='{"error": {"code": "uploads_busy", "message": "busy", "retry_after": 1}}',
        )

    ann.route("**/attachments/", busy_once)
    put(ann, "paste", "sunset.png", "image/png", images.halves(60, 40))
    tray = ann.get_by_role("list", name="Files for the next message")
    expect(tray.locator(".upload-error")).to_have_text(
        "The server is busy with other uploads; trying again in a moment…"
    )
    expect(tray.locator(".upload.done")).to_have_count(1)
    expect(tray.locator(".upload.failed")).to_have_count(0)
    expect(tray.locator(".upload-error")).to_have_text("")
    assert len(answered) == 1
    ann.fill("#message-input", "after the wait")
    ann.press("#message-input", "Enter")
    expect(message(bob, "after the wait").locator("img")).to_have_count(1)
