from django.urls import path, re_path

from rooms.consumers import ChatConsumer, RefuseConsumer

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
    re_path(r"", RefuseConsumer.as_asgi()),
]
