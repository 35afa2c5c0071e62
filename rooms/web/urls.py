from django.urls import path

from rooms.web import health, views

app_name = "rooms"

urlpatterns = [
    path("", views.home, name="home"),
    path("r/<str:name>/", views.room, name="room"),
    path("healthz", health.healthz, name="healthz"),
]
