"""Errors as RFC 9457 problem details (`application/problem+json`).

Every refusal the API gives has a `type`, a `title`, the HTTP `status` and a `detail`
for the person reading it (title and detail in the caller's language, the type a fixed
code): a guard's refusal names what is missing exactly as the
page does (GuardFailed.message_for, so a patient never reads the staff's detail),
someone else's case is 404 like one that does not exist, and a conflict says what
happened to the case instead.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from orders.errors import (
    CaseConflict,
    DomainError,
    GuardFailed,
    InvalidInput,
    TransitionNotAvailable,
)

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:npp:problem:"


class Problem(exceptions.APIException):
    """A refusal the API words itself (a conflict with its story, an idempotency
    key reused for another body)."""

    def __init__(self, status_code: int, slug: str, title: str, detail: str, **extra: Any):
        self.status_code = status_code
        self.slug = slug
        self.title = title
        self.extra = extra
        super().__init__(detail)


def problem(status_code: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status_code,
        "detail": detail,
        **extra,
    }
    return Response(body, status=status_code, content_type=CONTENT_TYPE)


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(item) for item in detail]}
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    response = _problem_for(exc, user)
    if response is None:
        return None
    set_rollback()
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        view = context.get("view")
        header = view.get_authenticate_header(request) if view and request else None
        if header:
            response["WWW-Authenticate"] = header
    return response


def _problem_for(exc: Exception, user) -> Response | None:
    if isinstance(exc, Problem):
        return problem(exc.status_code, exc.slug, exc.title, str(exc.detail), **exc.extra)
    if isinstance(exc, GuardFailed):
        staff = getattr(user, "is_coordinator", False) or getattr(user, "is_staff", False)
        return problem(
            422,
            "guard-failed",
            _("The action's conditions are not met"),
            exc.message_for(user),
            action=exc.action,
            missing=[str(getattr(p, "staff", p)) if staff else str(p) for p in exc.problems],
        )
    if isinstance(exc, InvalidInput):
        return problem(
            400,
            "invalid-input",
            _("The request's data is not valid"),
            str(exc),
            errors={field: list(messages) for field, messages in exc.errors.items()},
        )
    if isinstance(exc, CaseConflict):
        return problem(409, "conflict", _("The case changed"), str(exc))
    if isinstance(exc, TransitionNotAvailable):
        return problem(409, "not-available", _("Not possible in the case's state"), str(exc))
    if isinstance(exc, DomainError):
        return problem(400, "refused", _("The request was refused"), str(exc))
    if isinstance(exc, DjangoValidationError):
        errors = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return problem(
            400,
            "invalid-input",
            _("The request's data is not valid"),
            "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()),
            errors=errors,
        )
    if isinstance(exc, Http404 | exceptions.NotFound):
        return problem(404, "not-found", _("Not found"), str(exc) or _("Not found."))
    if isinstance(exc, DjangoPermissionDenied):
        return problem(403, "forbidden", _("Not allowed"), str(exc) or _("You may not do that."))
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        return problem(
            400,
            "invalid-input",
            _("The request's data is not valid"),
            "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()),
            errors=errors,
        )
    if isinstance(exc, exceptions.APIException):
        slug = {
            status.HTTP_401_UNAUTHORIZED: "unauthenticated",
            status.HTTP_403_FORBIDDEN: "forbidden",
            status.HTTP_405_METHOD_NOT_ALLOWED: "method-not-allowed",
            status.HTTP_406_NOT_ACCEPTABLE: "not-acceptable",
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported-media-type",
            status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
        }.get(exc.status_code, exc.default_code)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem(exc.status_code, slug, str(exc.default_detail), detail)
    return None
