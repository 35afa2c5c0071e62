from django.urls import path, re_path

from rooms.web import attachments, health, views

app_name = "rooms"

urlpatterns = [
    path("", views.home, name="home"),
    path("r/<str:name>/", views.room, name="room"),
    path("healthz", health.healthz, name="healthz"),
    path("r/<str:name>/attachments/", attachments.upload, name="attachment_upload"),
    re_path(r"^media/p/(?P<token>[A-Za-z0-9_-]{24})/image\.webp$", attachments.preview_image, name="preview_image"),
    re_path(r"^media/a/(?P<token>[A-Za-z0-9_-]{24})/(?P<name>[^/]{1,210})$", attachments.download, name="attachment"),
]
