"""What the moderation tests (own messages, room owners, flood control) share."""

from rooms.tests.support.client import NOISE as ROOM_NOISE

NOISE = (*ROOM_NOISE, "ack")
