from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from npp import health

# The admin signs in through the same page as everyone (rate limits, second factor).
admin.site.login = secure_admin_login(admin.site.login)

# Designed pages (500, or 503 when the database does not answer; 404; 403; 400, and the
# CSRF failure in settings), never Django's bare ones.
handler500 = "npp.errors.server_error"
handler404 = "npp.errors.page_not_found"
handler403 = "npp.errors.permission_denied"
handler400 = "npp.errors.bad_request"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("documents/", include("documents.urls")),
    path("inbox/", include("notifications.urls")),
    path("api/", include("api.urls")),
    path("", include("portals.urls")),
]
