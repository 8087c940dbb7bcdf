"""A user's language: what their pages, emails, text messages and papers are written in."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils import translation

from npp.accounts.models import User

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


def user_language_set(*, user: User, language: str) -> None:
    if language not in LANGUAGE_CODES:
        raise ValueError(f"Not a language of the service: {language!r}")
    user.language = language
    user.save(update_fields=["language"])


def language_of(user: User | None) -> str:
    """The language to write to `user` in (the service's default for no one)."""
    language = getattr(user, "language", "") or ""
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


@contextmanager
def in_language_of(user: User | None) -> Iterator[None]:
    """Render what `user` will read (an email, a text message, a paper) in their
    language, whatever the request or task it is made in."""
    with translation.override(language_of(user)):
        yield


def messages_compile() -> list[Path]:
    """Compile each locale's django.po to its .mo when the .mo is missing or older
    (what `make messages` does, for runs that did not go through make). Returns the
    files compiled."""
    compiled = []
    for locale_path in settings.LOCALE_PATHS:
        for po in sorted(Path(locale_path).glob("*/LC_MESSAGES/django.po")):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            # Written aside and moved into place: test processes started together
            # (pytest-xdist) may compile at once, and none may read a half-written file.
            partial = mo.with_name(f"{mo.name}.{os.getpid()}")
            subprocess.run(["msgfmt", "--check-format", "-o", str(partial), str(po)], check=True)
            os.replace(partial, mo)
            compiled.append(mo)
    return compiled
