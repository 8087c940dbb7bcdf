"""The project's URLs plus one plain page that sets no cache headers of its own (the
admin's pages already send no-store, so they cannot show the middleware at work)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from npp.urls import urlpatterns as project_urlpatterns


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


urlpatterns = [*project_urlpatterns, path("plain", plain)]
