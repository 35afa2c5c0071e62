from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path

from chatsite import views
from chatsite.accounts import views as account_views

# Staff log in through the site's login page, so its wrong-password limits guard the admin too
# (Django's own admin login has none).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("accounts/profile/", account_views.profile, name="account_profile"),
    re_path(
        r"^media/avatars/(?P<user_id>[0-9]{1,12})/(?P<name>[A-Za-z0-9_-]{16}-(?:64|256)\.webp)$",
        account_views.avatar_file,
    ),
    path("accounts/data/", account_views.data, name="account_data"),
    path("accounts/data/export/", account_views.export, name="account_data_export"),
    path("accounts/data/delete/", account_views.delete, name="account_delete"),
    path("accounts/", include("allauth.urls")),
    path("", include("rooms.web.urls")),
]
