"""Personal access tokens for the REST API: made, shown once, checked, revoked.

A token reads `npp_<prefix>_<secret>`: the prefix is stored in clear to find the
row and to show its owner which token is which; only the SHA-256 of the whole token
is stored, so a copy of the database lets nobody call the API. The secret has 256
bits of randomness, so a plain hash (no slow hasher) is enough and keeps every API
call cheap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from npp.accounts.models import ApiToken, Role, TokenScope, User

PREFIX = "npp_"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token, shown once and never stored


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_in_days: int,
    second_factor_passed: bool,
) -> IssuedToken:
    """Make a token for `user`. A coordinator sees every patient's case, so their
    token is only made in a session that passed the second factor."""
    if not user.is_active:
        raise PermissionDenied("This account is not active.")
    if user.role == Role.PATIENT:
        raise PermissionDenied("API tokens are for the import team and physicians.")
    if user.role == Role.COORDINATOR and not second_factor_passed:
        raise PermissionDenied("Sign in with your authenticator app before making an API token.")
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Name the token after where it will be used."
    scopes = sorted(set(scopes or []))
    if not scopes or any(scope not in TokenScope.values for scope in scopes):
        errors["scopes"] = "Choose read, write or both."
    longest = settings.NPP_API_TOKEN_MAX_DAYS
    if not 1 <= int(expires_in_days or 0) <= longest:
        errors["expires_in_days"] = f"A token lasts from 1 to {longest} days."
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    raw = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        token_hash=_hash(raw),
        scopes=scopes,
        expires_at=timezone.now() + dt.timedelta(days=int(expires_in_days)),
    )
    return IssuedToken(token=token, secret=raw)


def token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens (the row stays: when it was used is history)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            raise PermissionDenied("No such token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def tokens_of(user: User):
    return ApiToken.objects.filter(user=user)


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token `raw` names, its last use recorded; None for anything else
    (unknown, malformed, expired, revoked, or its account deactivated)."""
    if not raw.startswith(PREFIX):
        return None
    prefix = raw[len(PREFIX) :].partition("_")[0]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash(raw)):
        return None
    if not token.is_live or not token.user.is_active:
        return None
    now = timezone.now()
    # One write a minute at most: a busy integration must not write on every call.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
