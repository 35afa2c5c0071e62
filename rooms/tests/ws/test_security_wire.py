"""Frames on the wire against real daphne (docs/security.md): invalid UTF-8, daphne's size
limits, clients closing mid-answer, and WebSocket protocol compliance (Autobahn), sent
byte for byte by a raw WebSocket client."""

import json
import struct
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from rooms.tests.support.rawsocket import RawSocket
from rooms.tests.support.servers import BASE_DIR, DAPHNE_LIMITS, ChatServer
from rooms.ws.protocol import MAX_FRAME_CHARS

pytestmark = pytest.mark.django_db(transaction=True)


# --- 2. Limits: frames on the wire, against real daphne ------------------------------------


async def still_serving(server: ChatServer) -> None:
    """A fresh client can still join and chat: one bad socket did not hurt the server."""
    raw = await RawSocket.open(server.port)
    raw.frame(1, json.dumps({"event": "join_room", "data": {"room_name": "general", "username": "probe"}}).encode())
    assert (await raw.event())[0] == "join_confirm"
    raw.close()


async def test_invalid_utf8_in_a_text_frame_is_closed_with_1007(clean_log):
    raw = await RawSocket.open(clean_log.port)
    raw.frame(1, b'{"event": "typing", "data": {"x": "\xff\xfe"}}')
    assert await raw.close_code() == 1007
    raw.close()
    await still_serving(clean_log)


async def test_a_frame_over_daphnes_limit_is_closed_with_1009(clean_log):
    raw = await RawSocket.open(clean_log.port)
    raw.frame(1, b'"' + b"x" * (int(DAPHNE_LIMITS[1]) + 1) + b'"')
    assert await raw.close_code() == 1009
    raw.close()
    await still_serving(clean_log)


async def test_a_message_over_daphnes_limit_in_small_fragments_is_closed_with_1009(clean_log):
    raw = await RawSocket.open(clean_log.port)
    chunk = b"x" * 60_000
    raw.frame(1, chunk, fin=False)
    for _ in range(5):
        raw.frame(0, chunk, fin=False)
    raw.frame(0, b"x", fin=True)
    assert await raw.close_code() == 1009
    raw.close()
    await still_serving(clean_log)


async def test_frames_under_daphnes_limit_reach_the_app_cap_and_keep_the_socket(clean_log):
    raw = await RawSocket.open(clean_log.port)
    raw.frame(1, ("é" * (MAX_FRAME_CHARS + 1)).encode())  # 131 kB: daphne passes it, chatsite refuses
    assert (await raw.event())[1]["code"] == "frame_too_large"
    raw.frame(2, b"\x00\x01binary")
    assert (await raw.event())[1]["code"] == "bad_frame"
    raw.frame(1, b"[" * 10_000 + b"]" * 10_000)
    assert (await raw.event())[1]["code"] == "bad_frame"
    raw.frame(1, json.dumps({"event": "join_room", "data": {"room_name": "general", "username": "wire"}}).encode())
    assert (await raw.event())[0] == "join_confirm"
    raw.close()
    assert "RecursionError" not in clean_log.log()


async def test_a_client_closing_while_answers_are_due_leaves_no_fault(clean_log):
    # Answers to frames sent just before a Close meet a closing socket: they are dropped, never a traceback.
    for _ in range(5):
        raw = await RawSocket.open(clean_log.port)
        join = {"event": "join_room", "data": {"room_name": "general", "username": "hasty"}}
        raw.frame(1, json.dumps(join).encode())
        for _ in range(30):
            raw.frame(1, b"not json")
            raw.frame(1, json.dumps({"event": "history", "data": {}}).encode())
        raw.frame(8, struct.pack("!H", 1000))
        assert await raw.close_code() == 1000
        raw.close()
    await still_serving(clean_log)


def test_the_readme_and_settings_state_the_limits_the_servers_run_with():
    readme = (BASE_DIR / "README.md").read_text()
    size = str(MAX_FRAME_CHARS * 4)  # a character is at most 4 bytes of UTF-8
    assert ["--websocket-max-message-size", size, "--websocket-max-frame-size", size] == DAPHNE_LIMITS
    assert " ".join(DAPHNE_LIMITS) in readme
    assert int(size) == django_settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE
    assert int(size) == django_settings.DAPHNE_WEBSOCKET_MAX_FRAME_SIZE


# --- 4. Protocol compliance (slow: python -m pytest -m slow) ---------------------------------------


@pytest.mark.slow
def test_autobahn_sections_1_to_7_pass_except_daphnes_empty_messages():
    from bench.autobahn import KNOWN_FAILURES, RESULTS

    # A process of its own: kosoku brings its own `autobahn` modules, which must not meet daphne's.
    run = subprocess.run(
        [sys.executable, "-m", "bench.autobahn"], cwd=BASE_DIR, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines()]
    assert len(rows) >= 240
    failed = {row["case"] for row in rows if row["behavior"] in ("FAILED", "ERROR") or row["close"] == "FAILED"}
    assert failed == KNOWN_FAILURES, failed
