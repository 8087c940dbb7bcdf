"""Signed in, and a token's scopes cover the method: read for GET, write for the rest.
A browser session (no token) acts with everything its user may do."""

from __future__ import annotations

from rest_framework import permissions

from npp.accounts.models import ApiToken, TokenScope


class TokenScopes(permissions.BasePermission):
    message = "This token's scopes do not allow this request."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        needed = TokenScope.READ if request.method in permissions.SAFE_METHODS else TokenScope.WRITE
        if not token.allows(needed):
            self.message = f"This token lacks the {needed} scope."
            return False
        return True
