from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from npp import health

# The admin signs in through the same page as everyone (rate limits, second factor).
admin.site.login = secure_admin_login(admin.site.login)

# A designed page (500, or 503 when the database does not answer), never Django's bare one.
handler500 = "npp.errors.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("documents/", include("documents.urls")),
    path("inbox/", include("notifications.urls")),
    path("api/", include("api.urls")),
    path("", include("portals.urls")),
]
