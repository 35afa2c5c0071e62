from django.urls import path, re_path

from rooms.ws.consumer import ChatConsumer
from rooms.ws.socket import RefuseConsumer

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
    re_path(r"", RefuseConsumer.as_asgi()),
]
