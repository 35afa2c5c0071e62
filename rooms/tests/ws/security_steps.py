"""What the security tests (ws/test_security_*.py) share.

Every protection of docs/security.md is driven the way an attacker would try it:
handshakes and frames go through the real ASGI application (WebsocketCommunicator)
and, for what only a real server sees (wire-level frames, daphne's limits, the
log), through a daphne subprocess on loopback (the `server` fixture in conftest.py).
"""

from rooms.tests.support.client import NOISE as ROOM_NOISE

NOISE = (*ROOM_NOISE, "ack", "typing")
