"""Cross-cutting HTTP rules for a system that shows health data."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control

from npp.accounts.languages import language_of

SESSION_STARTED_KEY = "_npp_started"
SESSION_LAST_SEEN_KEY = "_npp_last_seen"


class SessionLifetimeMiddleware:
    """End a signed-in session after SESSION_IDLE_TIMEOUT of inactivity or
    SESSION_ABSOLUTE_LIFETIME in all, whichever comes first (server side: the
    session row is flushed, not just the cookie forgotten)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            last_seen = request.session.get(SESSION_LAST_SEEN_KEY, now)
            idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT
            too_old = now - started > settings.SESSION_ABSOLUTE_LIFETIME
            if idle or too_old:
                logout(request)
            else:
                request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in user may hold patient data: no cache may keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


class UserLanguageMiddleware:
    """A signed-in user reads the service in the language of their profile, whatever
    the browser asks for (LocaleMiddleware, before this, served the anonymous pages
    by the switcher's cookie or the browser). A link the service sent someone not yet
    signed in (an invitation) names their language, `?lang=hi`: the page opens in it,
    and the cookie keeps it for the pages that follow."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        from_link = None
        if user.is_authenticated and user.language:
            translation.activate(language_of(user))
            request.LANGUAGE_CODE = translation.get_language()
        elif request.GET.get("lang") in dict(settings.LANGUAGES):
            from_link = request.GET["lang"]
            translation.activate(from_link)
            request.LANGUAGE_CODE = from_link
        response = self.get_response(request)
        if from_link:
            remember_language(request, response, from_link)
        return response


def remember_language(request, response, language: str) -> None:
    """The language cookie, for the pages seen before signing in (after, the account's
    language decides)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
