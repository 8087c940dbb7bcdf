from django.contrib import admin
from django.urls import include, path

from npp import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("documents/", include("documents.urls")),
    path("inbox/", include("notifications.urls")),
    path("", include("orders.urls")),
]
