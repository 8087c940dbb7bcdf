"""The project's URLs plus one plain page that sets no cache headers of its own (the
admin's pages already send no-store, so they cannot show the middleware at work), and
one that fails (the server error page and its log)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from npp.urls import handler400, handler403, handler404, handler500  # noqa: F401  (the project's error pages here too)
from npp.urls import urlpatterns as project_urlpatterns


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("internal detail: SELECT secret FROM npp_internal")


urlpatterns = [*project_urlpatterns, path("plain", plain), path("boom/", boom)]
