"""The pages shown when a request fails: designed, without internals, in the
visitor's language, with a way to reach the service. On the server, a database that
does not answer (connection refused or timed out, statement cancelled, SQLite locked)
is "temporarily unavailable" (503, retry later); anything else is "something went
wrong" (500). The traceback goes to the log (django.request), never to the page.

Rendered without the request's context processors: no user, no messages, no query,
since the database may be what failed."""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 30


def _stylesheet() -> str | None:
    try:
        return static("css/npp.css")
    except ValueError:  # no static manifest (collectstatic not run): plain page
        return None


def _page(template: str, status: int, **context) -> HttpResponse:
    html = loader.render_to_string(
        template,
        {
            "stylesheet": _stylesheet(),
            # The default name has its words in the catalogue; a configured one is shown
            # as written.
            "service_name": _(settings.NPP_SERVICE_NAME),
            "service_phone": settings.NPP_SERVICE_PHONE,
            "service_email": settings.NPP_SERVICE_EMAIL,
            **context,
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


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a request the server could not read (too many fields, a tampered
    cookie); Django's own is a bare English "Bad Request (400)"."""
    return _page("400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: a page of another role (the admin, the coordinators' workbench) opened
    by a patient, in her language; Django's own is a bare English "403 Forbidden"."""
    return _page("403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from a page kept open past a sign-in or sign-out
    (its token no longer matches) or without the cookie. Django's page is English and
    technical; this one says nothing was saved and to reload the page, with a link
    back to it when the browser said which page of this site it was."""
    referer = request.headers.get("referer", "")
    ours = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return _page("403_csrf.html", 403, back_url=referer if ours else None)
