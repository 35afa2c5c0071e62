"""chatsite's ASGI application plus an echo WebSocket at /ws/echo/, for the protocol-compliance run only.

The Autobahn cases need a server that sends every message back. This module
exists only for bench/autobahn.py: production serves `chatsite.asgi`, which
has no echo path. Everything else (daphne's limits and close behaviour that
chatsite.asgi configures, the pages, /ws/chat/) is chatsite unchanged.
"""

from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncWebsocketConsumer

from chatsite.asgi import application as chatsite_application  # sets Django up first
from rooms.ws.socket import NO_CHANNEL_LAYER

ECHO_PATH = "/ws/echo/"


class EchoConsumer(AsyncWebsocketConsumer):
    """Send each message back as it came: text as text, binary as binary."""

    channel_layer_alias = NO_CHANNEL_LAYER

    async def receive(self, text_data=None, bytes_data=None):
        try:
            if text_data is not None:
                await self.send(text_data=text_data)
            else:
                await self.send(bytes_data=bytes_data)
        except Disconnected:
            pass  # the client started closing before its message came back; daphne's disconnect follows


echo = EchoConsumer.as_asgi()


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"] == ECHO_PATH:
        return await echo(scope, receive, send)
    return await chatsite_application(scope, receive, send)
