"""The page shown when a request fails on the server: designed, without internals,
with a way to reach the service. A database that does not answer (connection refused
or timed out, statement cancelled, SQLite locked) is "temporarily unavailable" (503,
retry later); anything else is "something went wrong" (500). The traceback goes to
the log (django.request), never to the page.

Rendered without the request's context processors: no user, no messages, no query,
since the database may be what failed."""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.templatetags.static import static

RETRY_AFTER_SECONDS = 30


def _stylesheet() -> str | None:
    try:
        return static("css/npp.css")
    except ValueError:  # no static manifest (collectstatic not run): plain page
        return None


def _page(template: str, status: int) -> HttpResponse:
    html = loader.render_to_string(
        template,
        {
            "stylesheet": _stylesheet(),
            "service_name": settings.NPP_SERVICE_NAME,
            "service_phone": settings.NPP_SERVICE_PHONE,
            "service_email": settings.NPP_SERVICE_EMAIL,
        },
    )
    return HttpResponse(html, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while the exception is being handled."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = _page("503.html", 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _page("500.html", 500)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: the site's page, in the visitor's language, giving no reason (a page
    someone may not see is "not found" too, and says no more)."""
    return _page("404.html", 404)
