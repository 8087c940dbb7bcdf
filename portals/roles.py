"""Each portal is for one role: anyone else gets 404, as for a case they may not see."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def role_required(
    role: str, *, refusal: type[Exception] = Http404, message: str = "No such page."
) -> Callable:
    """Signed in with `role`, or `refusal` (404 unless said otherwise). The same
    answer for every address, so it tells nothing about which cases exist."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.role != role:
                raise refusal(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def uploaded(request: HttpRequest, form, name: str = "file"):
    """The named file of a valid form as portals.physician.requests.Upload, or None. A file cut
    off at the size limit while it streamed becomes an error on that field."""
    from django.conf import settings

    from portals.physician.requests import Upload

    if getattr(request, "upload_too_large", False):
        limit = settings.NPP_UPLOAD_MAX_BYTES // (1024 * 1024)
        # The form saw no file (it was cut off) and may have called it missing: the
        # size is the reason, said alone.
        form.errors.pop(name, None)
        form.add_error(
            name, _("The file is larger than the %(limit)s MB limit.") % {"limit": limit}
        )
        return None
    upload = form.cleaned_data.get(name)
    if not upload:
        return None
    return Upload(content=upload.read(), filename=upload.name)


def upload_to_case(request: HttpRequest, case, form):
    """Store the `file` of a valid upload form (with a `kind`) on `case` through
    documents.services, or put the refusal on the form and return None."""
    from django.core.exceptions import PermissionDenied

    from documents.services import document_upload
    from orders.errors import DomainError

    valid = form.is_valid()
    # A file over the size limit leaves the form without one: said as too large, not
    # as missing, whatever else the form found.
    upload = (
        uploaded(request, form) if valid or getattr(request, "upload_too_large", False) else None
    )
    if upload is None:
        return None
    try:
        return document_upload(
            case=case,
            kind=form.cleaned_data["kind"],
            content=upload.content,
            filename=upload.filename,
            actor=request.user,
        )
    except (DomainError, PermissionDenied) as error:
        form.add_error("file", str(error))
        return None
