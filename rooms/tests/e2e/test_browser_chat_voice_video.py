"""Voice notes and videos in headless Chromium with its fake microphone: ann records a voice note, bob
gets an inline player with its duration and plays it; an MP4 ann's browser made plays inline for bob."""

import pytest
from playwright.sync_api import expect

from rooms.tests.conftest import CHROMIUM, CHROMIUM_ARGS
from rooms.tests.support.pages import ann_and_bob

pytestmark = pytest.mark.browser

# The fake microphone plays a beep; no permission prompt; media may play without a click.
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def browser():
    """Chromium as the conftest's, with a fake microphone."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS])
        yield chromium
        chromium.close()


def plays(page, selector) -> None:
    """The element starts playing: its time moves."""
    page.evaluate(f"() => document.querySelector('{selector}').play()")
    page.wait_for_function(f"() => document.querySelector('{selector}').currentTime > 0.2")


def test_a_voice_note_is_recorded_and_plays_for_bob_with_its_duration(open_page):
    room, ann, bob = ann_and_bob(open_page, "voice", permissions=["microphone"])
    ann.get_by_role("button", name="Record a voice note").click()
    bar = ann.get_by_role("group", name="Recording a voice note")
    expect(bar).to_be_visible()
    expect(bar.locator("time")).to_have_text("0:02", timeout=5000)  # the elapsed time runs
    bar.get_by_role("button", name="Send voice note").click()
    expect(bar).to_be_hidden()

    voice = bob.locator(".msg .msg-voice")
    expect(voice).to_have_count(1)
    expect(voice.locator(".msg-duration")).to_have_text("0:02")
    expect(voice.locator("audio")).to_have_attribute("aria-label", "voice note.webm, 0:02")
    plays(bob, ".msg-voice audio")


def test_recording_can_be_cancelled_and_sends_nothing(open_page):
    room, ann, bob = ann_and_bob(open_page, "novoice", permissions=["microphone"])
    ann.get_by_role("button", name="Record a voice note").click()
    bar = ann.get_by_role("group", name="Recording a voice note")
    expect(bar.locator("time")).to_have_text("0:01", timeout=5000)
    bar.get_by_role("button", name="Cancel").click()
    expect(bar).to_be_hidden()
    ann.fill("#message-input", "never mind")
    ann.press("#message-input", "Enter")
    expect(bob.locator(".msg:not(.pending) .msg-text").filter(has_text="never mind")).to_have_count(1)
    expect(bob.locator(".msg-voice")).to_have_count(0)


# ann's browser films a moving canvas for a second and keeps it as MP4 (Chromium's MediaRecorder makes H.264 in MP4).
RECORD_MP4 = """async () => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 160, height: 120 });
  const draw = canvas.getContext("2d");
  const stream = canvas.captureStream(25);
  const recorder = new MediaRecorder(stream, { mimeType: "video/mp4" });
  const chunks = [];
  recorder.ondataavailable = (e) => chunks.push(e.data);
  let frame = 0;
  const timer = setInterval(() => { draw.fillStyle = `hsl(${frame++ * 12} 80% 50%)`; draw.fillRect(0, 0, 160, 120); }, 40);
  recorder.start(100);
  await new Promise((done) => setTimeout(done, 1500));
  await new Promise((done) => { recorder.onstop = done; recorder.stop(); });
  clearInterval(timer);
  const transfer = new DataTransfer();
  transfer.items.add(new File(chunks, "clip.mp4", { type: "video/mp4" }));
  const picker = document.getElementById("attach-input");
  picker.files = transfer.files;
  picker.dispatchEvent(new Event("change"));
}"""


def test_an_mp4_plays_inline_for_bob(open_page):
    room, ann, bob = ann_and_bob(open_page, "video")
    bob_media = []
    bob.on("response", lambda response: bob_media.append(response) if "/media/a/" in response.url else None)
    assert ann.evaluate("() => MediaRecorder.isTypeSupported('video/mp4')")
    ann.evaluate(RECORD_MP4)
    expect(ann.locator(".upload.done")).to_have_count(1)
    ann.fill("#message-input", "a clip")
    ann.press("#message-input", "Enter")
    video = bob.locator(".msg video.msg-video")
    expect(video).to_have_count(1)
    expect(video).to_have_attribute("controls", "")
    plays(bob, "video.msg-video")
    # daphne sends the file itself here (no nginx): Chromium asks for a range and gets 206, so it can seek.
    source = video.evaluate("(element) => element.currentSrc")
    answers = [response for response in bob_media if response.url == source]
    assert answers and all(response.status == 206 for response in answers)
    assert answers[0].headers["accept-ranges"] == "bytes" and answers[0].headers["content-range"].startswith("bytes 0-")
    seeked = video.evaluate(
        """(element) => new Promise((done) => {
             element.pause();
             element.addEventListener("seeked", () => done(element.currentTime), { once: true });
             element.currentTime = 1.0;
           })"""
    )
    assert 0.9 <= seeked <= 1.1
