"""Requests per token and per user, counted in the default cache (Redis in
production, so every web process shares the count)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from npp.accounts.models import ApiToken


class PerToken(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class PerUser(SimpleRateThrottle):
    """All of a user's tokens and their browser together."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
