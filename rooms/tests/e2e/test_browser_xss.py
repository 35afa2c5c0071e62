"""XSS: payloads from OWASP's filter-evasion cheat sheet as messages, display names and room names.

Every page gets an init script that sets `window.__xss = false` and makes
alert/confirm/prompt set it to true; payloads either call those or set the
flag directly. After rendering each surface in headless Chromium: the flag is
still false, no dialog opened, no element was injected, and each payload shows
as the very text that was sent. The `open_page` fixture also fails the test on
any script error or CSP violation.
"""

import json
import re
from contextlib import ExitStack
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect as ws_connect

from rooms.tests.support.servers import ChatServer, sqlite_server

pytestmark = pytest.mark.browser

FLAG = """
window.__xss = false;
for (const name of ["alert", "confirm", "prompt"]) {
  const original = window[name].bind(window);
  window[name] = (...args) => { window.__xss = true; return original(...args); };
}
"""

# OWASP XSS Filter Evasion Cheat Sheet (external hosts replaced by a dead loopback port),
# plus payloads aimed at this front end: template literals, attribute breaks, link schemes.
PAYLOADS = [
    "<SCRIPT SRC=http://127.0.0.1:9/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '\\<a onmouseover="alert(document.cookie)"\\>xxs link\\</a\\>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116'
    '&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://127.0.0.1:9/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=http://127.0.0.1:9/xss.js?< B >",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "<iframe src=http://127.0.0.1:9/scriptlet.html <",
    "\\\";alert('XSS');//",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<svg/onload=alert('XSS')>",
    "<BODY ONLOAD=alert('XSS')>",
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://127.0.0.1:9/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIj48L3N2Zz4=" type="image/svg+xml" '
    'AllowScriptAccess="always"></EMBED>',
    '<SCRIPT a=">" SRC="http://127.0.0.1:9/xss.js"></SCRIPT>',
    '<IMG SRC="x" onerror="window.__xss=true">',
    "{{constructor.constructor('window.__xss=true')()}}",
    "${window.__xss=true}",
    '<details open ontoggle="window.__xss=true">',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=true>",
    '"><svg onload=window.__xss=true>',
    "'><img src=x onerror=window.__xss=true>",
    "javascript:window.__xss=true",
    '<a href="javascript:window.__xss=true">click me</a> http://127.0.0.1:9/"onmouseover="window.__xss=true',
    "%3Cscript%3Ewindow.__xss=true%3C/script%3E",
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=true>">',
    "<x onclick=alert(1)>@me click",
]
# Display names: 1-32 characters, no control characters.
NAME_PAYLOADS = [p for p in PAYLOADS if len(p) <= 32 and "\t" not in p][:12] + [
    "<b>bold</b>",
    "&lt;i&gt;",
    "\u202eevil",  # refused (bidi override), so left out below
]
NAME_PAYLOADS = [name for name in NAME_PAYLOADS if "\u202e" not in name]
# Room names are letters, digits, - and _ only: every payload is refused, and the refusal echoes it.
ROOM_PAYLOADS = [p for p in PAYLOADS if len(p) <= 200 and "\t" not in p and "\n" not in p][::3]


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory):
    """This module's own server: it guesses many unknown room names, past the usual per-IP limit."""
    with sqlite_server(
        tmp_path_factory.mktemp("xss-server"),
        RATE_LIMIT_BURST="1000",
        FRAME_RATE_BURST="1000",
        JOIN_MISS_LIMIT="100000",
    ) as server:
        yield server


def flagged_page(open_page):
    page = open_page("/")
    page.context.add_init_script(FLAG)
    page.reload()
    return page


def assert_nothing_ran(*pages) -> None:
    for page in pages:
        assert page.evaluate("window.__xss") is False, page.url
        assert page.dialogs == [], page.dialogs
        assert (
            page.locator("main script, main iframe, main img, main svg[onload], main object, main embed").count() == 0
        )


def enter_topic_room(page, username: str, room: str) -> None:
    page.fill("#id_username", username)
    page.click(f"button[name=enter][value={room}]")
    expect(page).to_have_url(re.compile(rf"/r/{room}/$"))
    expect(page.locator("#connection-status")).to_have_text("Connected")


class Speaker:
    """A chat client on a plain WebSocket, as any script could be."""

    def __init__(self, stack: ExitStack, server: ChatServer, room: str, username: str):
        # max_queue=None: keep reading while the test is busy elsewhere, so pings and the close are answered.
        self.ws = stack.enter_context(ws_connect(server.ws_url, origin=server.url, open_timeout=10, max_queue=None))
        self.send("join_room", {"room_name": room, "username": username})
        self.wait_for("join_confirm")

    def send(self, event: str, data: dict) -> None:
        self.ws.send(json.dumps({"event": event, "data": data}))

    def wait_for(self, event: str) -> dict:
        while True:
            frame = json.loads(self.ws.recv(timeout=10))
            assert frame["event"] != "error", frame
            if frame["event"] == event:
                return frame["data"]


def message_texts(page) -> list[str]:
    return page.locator(".msg:not(.pending) .msg-text").evaluate_all("nodes => nodes.map(n => n.textContent)")


def test_payload_messages_render_as_text_live_and_from_history(open_page, chat_server):
    watcher = flagged_page(open_page)
    enter_topic_room(watcher, "watcher", "tech")
    with ExitStack() as stack:
        speaker = Speaker(stack, chat_server, "tech", "mallory")
        for payload in PAYLOADS:
            speaker.send("send_message", {"text": payload})
            speaker.wait_for("receive_message")
    expect(watcher.locator(".msg-text").filter(has_text="@me click")).to_have_count(1)
    live = message_texts(watcher)
    assert [text for text in live if text in PAYLOADS] == PAYLOADS, "live messages differ from what was sent"

    late = flagged_page(open_page)
    enter_topic_room(late, "latecomer", "tech")
    expect(late.locator(".msg-text").filter(has_text="@me click")).to_have_count(1)
    shown = [text for text in message_texts(late) if text in PAYLOADS]
    assert shown == PAYLOADS[-len(shown) :] and len(shown) >= 40, "history differs from what was sent"
    # Links are made only for http(s), and their href is what the browser parsed.
    hrefs = watcher.locator(".msg-text a").evaluate_all("nodes => nodes.map(n => n.href)")
    assert hrefs and all(href.startswith("http://127.0.0.1:9/") for href in hrefs), hrefs
    assert_nothing_ran(watcher, late)


def test_payload_display_names_render_as_text(open_page, chat_server):
    watcher = flagged_page(open_page)
    enter_topic_room(watcher, "watcher", "music")
    with ExitStack() as stack:
        for number, name in enumerate(NAME_PAYLOADS):
            speaker = Speaker(stack, chat_server, "music", name)
            speaker.send("send_message", {"text": f"hello from {number}"})
            speaker.wait_for("receive_message")
        last = f"hello from {len(NAME_PAYLOADS) - 1}"
        expect(watcher.locator(".msg-text").filter(has_text=re.compile(f"^{last}$"))).to_have_count(1)
        members = watcher.locator("#member-list .member-name").evaluate_all("nodes => nodes.map(n => n.textContent)")
        authors = watcher.locator(".msg .msg-author").evaluate_all("nodes => nodes.map(n => n.textContent)")
        notices = " ".join(watcher.locator(".message-list").evaluate_all("nodes => nodes.map(n => n.textContent)"))
        for name in NAME_PAYLOADS:
            assert name in members, (name, members)
            assert name in authors, (name, authors)
            assert f"{name} joined" in notices, name
    assert_nothing_ran(watcher)


def test_payload_room_names_are_refused_and_echoed_as_text(open_page):
    page = flagged_page(open_page)
    page.fill("#id_username", "ann")
    for payload in ROOM_PAYLOADS:
        page.fill("#id_room", payload)
        page.click("button[name=action][value=join]")
        error = page.locator("#room-error")
        expect(error).to_be_visible()
        assert error.locator("*").count() == 0, payload  # text only, no element came through
        assert page.input_value("#id_room") == payload
        assert_nothing_ran(page)

        page.fill("#id_new_room", payload)
        page.click("button[name=action][value=create_named]")
        expect(page.locator("#new-room-error")).to_be_visible()
        assert page.locator("#new-room-error *").count() == 0, payload
        assert page.input_value("#id_new_room") == payload
        assert_nothing_ran(page)

        if "/" not in payload:  # a slash cannot be part of a room URL at all
            page.goto(f"/r/{quote(payload, safe='')}/")
            error = page.locator("#room-error")
            expect(error).to_be_visible()
            assert error.locator("*").count() == 0, payload
            visible = max(re.findall(r"[^'\"\\]+", payload[:64]), key=len)
            assert visible.strip() in error.text_content(), (payload, error.text_content())
            assert_nothing_ran(page)
    assert len(ROOM_PAYLOADS) >= 15
