"""Password re-entry (typing one's password again to sign): limited like sign-in.

Anyone holding a signed-in session could otherwise guess the account's password on a
signing page as fast as they can post. The failures are counted per account in the
shared cache (every web process sees the same count), with the sign-in limits:
`NPP_LOGIN_FAILURES_PER_USER` failures within `NPP_LOGIN_COOL_OFF_MINUTES`, after
which every re-entry is refused, the right password too, until the oldest failure
ages out. Unlike sign-in the count is not per address: whoever types here is signed
in as the owner already, so the owner loses nothing they had, and is told
(`settings.NPP_ACCOUNT_ALERT_HANDLERS`) once each time the limit is reached.

A slot is taken before the password is checked and given back when it was right,
as allauth does for sign-in, so concurrent guesses cannot overrun the limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

LOCK_SECONDS = 10  # longest a count is held while one password is checked
LOCK_WAIT_SECONDS = 5


@dataclass(frozen=True)
class AccountAlert:
    """Something the account's owner must hear about at once."""

    kind: str  # "reentry_locked"
    user: object
    purpose: str  # what the password was typed for: "signing"
    failures: int
    until: dt.datetime


@dataclass(frozen=True)
class Reentry:
    accepted: bool
    # Set when re-entry is refused for the account, whatever was typed, until then.
    locked_until: dt.datetime | None = None


def _limit() -> tuple[int, int]:
    return settings.NPP_LOGIN_FAILURES_PER_USER, settings.NPP_LOGIN_COOL_OFF_MINUTES * 60


def _key(user, purpose: str) -> str:
    return f"npp:reentry:{purpose}:{user.pk}"


@contextlib.contextmanager
def _locked(key: str) -> Iterator[None]:
    """A lock in the shared cache (`add` is atomic on Redis and on the database cache)."""
    lock = f"{key}:lock"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.01
    while not cache.add(lock, 1, timeout=LOCK_SECONDS):
        if time.monotonic() > deadline:
            # Failing closed: a stuck lock refuses re-entry rather than skipping the count.
            raise TimeoutError("The password check is busy; try again in a moment.")
        time.sleep(pause)
        pause = min(pause * 2, 0.2)
    try:
        yield
    finally:
        cache.delete(lock)


def _recent(history: list[float], now: float, window: int) -> list[float]:
    return [stamp for stamp in history if stamp > now - window]


def _until(history: list[float], window: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(min(history) + window, tz=dt.UTC)


def password_reentry(
    user, password: str, *, purpose: str, check: Callable[[str], bool] | None = None
) -> Reentry:
    """Check `password` for `user`, counting a wrong one against the account.

    Returns accepted=False with `locked_until` when the account has used up its
    failures (the password is then not even checked)."""
    limit, window = _limit()
    key = _key(user, purpose)
    check = check or (lambda typed: user.check_password(typed or ""))
    with _locked(key):
        now = time.time()
        history = _recent(cache.get(key, []), now, window)
        if len(history) >= limit:
            return Reentry(accepted=False, locked_until=_until(history, window))
        history.append(now)  # taken before the check, given back if it was right
        cache.set(key, history, window)
    if check(password):
        with _locked(key):
            history = [stamp for stamp in cache.get(key, []) if stamp != now]
            cache.set(key, history, window)
        return Reentry(accepted=True)
    if len(history) < limit:
        return Reentry(accepted=False)
    # This failure used the last one: the count reaches the limit once per lockout.
    until = _until(history, window)
    _alert(AccountAlert("reentry_locked", user, purpose, len(history), until))
    return Reentry(accepted=False, locked_until=until)


def reentry_locked_until(user, *, purpose: str) -> dt.datetime | None:
    """When re-entry opens again for `user`, or None if it is open now."""
    limit, window = _limit()
    history = _recent(cache.get(_key(user, purpose), []), time.time(), window)
    return _until(history, window) if len(history) >= limit else None


@functools.cache
def _handlers(paths: tuple[str, ...]) -> tuple[tuple[str, Callable[[AccountAlert], object]], ...]:
    return tuple((path, import_string(path)) for path in paths)


def _alert(alert: AccountAlert) -> None:
    """Hand the alert to each handler in settings.NPP_ACCOUNT_ALERT_HANDLERS (the
    notifications app tells the owner); one failing stops none of the others."""
    log.warning(
        "Password re-entry for %s locked for user %s after %s failures",
        alert.purpose,
        getattr(alert.user, "pk", "?"),
        alert.failures,
    )
    for path, handler in _handlers(tuple(settings.NPP_ACCOUNT_ALERT_HANDLERS)):
        try:
            handler(alert)
        except Exception:
            log.exception("Account alert handler %s failed", path)
