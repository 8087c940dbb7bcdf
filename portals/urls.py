"""The portals' URLs: one module per audience, combined here."""

from django.urls import include, path

from portals import home

app_name = "orders"
urlpatterns = [
    path("", home.home, name="home"),
    path("work/", include("portals.coordinator.urls")),
    path("physician/", include("portals.physician.urls")),
    path("my/", include("portals.patient.urls")),
]
