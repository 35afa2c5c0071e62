from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from chatsite import views
from chatsite.accounts import views as account_views

# Staff log in through the site's login page, so its wrong-password limits guard the admin too
# (Django's own admin login has none).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("accounts/data/", account_views.data, name="account_data"),
    path("accounts/data/export/", account_views.export, name="account_data_export"),
    path("accounts/data/delete/", account_views.delete, name="account_delete"),
    path("accounts/", include("allauth.urls")),
    path("", include("rooms.web.urls")),
]
