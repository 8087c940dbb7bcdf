"""Coordinators see every patient's case: they must sign in with a second factor."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from npp.accounts.models import Role

# Pages a coordinator without a second factor may still reach: signing out, the
# authenticator set-up (under /accounts/) and what those pages load.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz")


class CoordinatorSecondFactorMiddleware:
    """Send a signed-in coordinator who has no authenticator app yet to set one up
    before any other page (admin included)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.role == Role.COORDINATOR
            and not request.path.startswith(OPEN_PREFIXES)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request,
                "Coordinators must use an authenticator app. Set it up to continue.",
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
