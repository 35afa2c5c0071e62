from django.contrib import admin
from django.urls import include, path

from chatsite import views

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("rooms.web.urls")),
]
