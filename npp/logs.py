"""Logging helpers for a system that holds health data: what a log line may say."""

from __future__ import annotations

import logging
import re

# Digits shown at the end of a masked phone number: enough to tell two numbers of
# one person apart, too few to call anyone.
PHONE_DIGITS_SHOWN = 2


def mask_phone(number: str) -> str:
    """`+91 98450 00012` -> `***12`: the last digits only, never the length."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) <= 2 * PHONE_DIGITS_SHOWN:
        return "***"
    return "***" + digits[-PHONE_DIGITS_SHOWN:]


class RefusalFilter(logging.Filter):
    """On `django.request`: a 403 or 404 becomes one line naming the route and the
    user, without the traceback Django attaches to PermissionDenied. Refusals are the
    role and visibility rules working; a signed-in user sweeping other people's
    addresses must not be able to fill the logs with stack traces."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        if status not in (403, 404) or request is None:
            return True
        match = getattr(request, "resolver_match", None)
        record.msg = "Refused %s: %s %s (route %s, user %s)"
        record.args = (
            status,
            request.method,
            request.path.encode("unicode_escape").decode("ascii"),
            match.route if match is not None else "-",
            _user_id(request),
        )
        record.exc_info = None
        record.exc_text = None
        return True


def _user_id(request) -> str:
    try:
        user = request.user
        return str(user.pk) if user.is_authenticated else "-"
    except Exception:  # no session or no database: the line is still worth writing
        return "?"


class TemplateContextFilter(logging.Filter):
    """Django's template engine logs, at DEBUG, each variable a template could not
    resolve, with the exception attached; that exception's message is the whole
    context of the page (a patient's name, phone, identity). Keep the line (variable
    and template name), drop the exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
