"""What an idle socket keeps less of: daphne's input queue (rooms/ws/daphne.py Mailbox) and the routers' frames;
and what the process's startup left, frozen out of the collector's way (chatsite/asgi.py).

What it saves is measured by bench/idle_memory.py, bench.run's idle workload and bench.storm
(docs/performance.md); here, that the lighter parts behave as the ones they replace, and that the freeze is made.
"""

import asyncio
import subprocess
import sys

import pytest
from django.urls import path, re_path

from rooms.ws.daphne import Mailbox
from rooms.ws.routing import ByType, HandOffRouter


async def test_the_mailbox_hands_over_every_item_in_order_and_waits_when_empty():
    mailbox = Mailbox()
    mailbox.put_nowait(1)
    mailbox.put_nowait(2)
    assert [await mailbox.get(), await mailbox.get()] == [1, 2]
    assert mailbox.qsize() == 0
    waiting = asyncio.ensure_future(mailbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    mailbox.put_nowait(3)
    assert await asyncio.wait_for(waiting, 5) == 3


async def test_a_receive_cancelled_as_it_was_woken_leaves_the_item_for_the_next():
    mailbox = Mailbox()
    waiting = asyncio.ensure_future(mailbox.get())
    await asyncio.sleep(0)
    mailbox.put_nowait({"type": "websocket.receive", "text": "kept"})  # wakes the receiver...
    waiting.cancel()  # ...which is cancelled before it ran
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await asyncio.wait_for(mailbox.get(), 5) == {"type": "websocket.receive", "text": "kept"}


async def test_a_second_receive_at_the_same_time_is_refused():
    mailbox = Mailbox()
    first = asyncio.ensure_future(mailbox.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await mailbox.get()
    mailbox.put_nowait("one")
    assert await first == "one"


async def test_the_routers_hand_the_connection_to_the_application_they_pick():
    async def chat(scope, receive, send):
        return ("chat", scope["path"])

    async def other(scope, receive, send):
        return ("other", scope["path"])

    routes = HandOffRouter([path("ws/chat/", chat), re_path(r"", other)])
    application = ByType({"websocket": routes})
    assert await application({"type": "websocket", "path": "/ws/chat/"}, None, None) == ("chat", "/ws/chat/")
    assert await application({"type": "websocket", "path": "/ws/chatx/"}, None, None) == ("other", "/ws/chatx/")
    prefixed = {"type": "websocket", "path": "/chat/ws/chat/", "root_path": "/chat"}
    assert await application(prefixed, None, None) == ("chat", "/chat/ws/chat/")
    with pytest.raises(ValueError, match="No application configured"):
        application({"type": "lifespan"}, None, None)
    with pytest.raises(ValueError, match="capture nothing"):
        HandOffRouter([path("ws/<str:room>/", chat)])


def test_a_new_connection_pretty_prints_nothing_for_a_debug_line_not_written(monkeypatch):
    import pprint

    from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
    from autobahn.websocket import protocol
    from twisted.internet.testing import StringTransport

    from rooms.ws.daphne import defer_connection_dumps

    printed = []
    real = pprint.PrettyPrinter.pformat
    monkeypatch.setattr(pprint.PrettyPrinter, "pformat", lambda self, obj: printed.append(obj) or real(self, obj))
    factory = WebSocketServerFactory()
    factory.protocol = WebSocketServerProtocol  # Twisted's, as daphne's own protocol is

    def connect():
        connection = factory.buildProtocol(None)
        connection.makeConnection(StringTransport())  # autobahn's _connectionMade: its settings' table for log.debug
        assert connection.state == protocol.WebSocketProtocol.STATE_CONNECTING

    monkeypatch.setattr(protocol, "pformat", pprint.pformat)  # autobahn as it ships
    connect()
    assert len(printed) == 1  # the table, printed for nothing
    monkeypatch.undo()
    defer_connection_dumps()
    monkeypatch.setattr(pprint.PrettyPrinter, "pformat", lambda self, obj: printed.append(obj) or real(self, obj))
    printed.clear()
    connect()
    assert printed == []
    assert str(protocol.pformat({"written": 1})) == "{'written': 1}" and printed  # a line written gets its text
    timings = protocol.Timings()
    timings.track("open")
    assert isinstance(str(timings), str) and "open" in str(timings)


def test_what_the_process_imported_at_startup_is_out_of_the_collectors_way():
    """chatsite.asgi freezes what starting the site left, so a full collection does not walk it again."""
    probe = (
        "import gc, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'chatsite.settings'; "
        "import chatsite.asgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    frozen, tracked = map(int, done.stdout.split())
    assert frozen > 50_000, done.stdout  # Django, the URL conf, the models...
    assert tracked < frozen / 10, done.stdout  # ...and next to nothing left for the collector to walk
