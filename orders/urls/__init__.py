"""The portals' URLs: one module per audience, combined here."""

from django.urls import include, path

from orders.views import home

app_name = "orders"
urlpatterns = [
    path("", home.home, name="home"),
    path("work/", include("orders.urls.coordinator")),
    path("physician/", include("orders.urls.physician")),
    path("my/", include("orders.urls.patient")),
]
