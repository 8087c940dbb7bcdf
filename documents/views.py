"""Document download: the only way a stored file leaves the system."""

from __future__ import annotations

import hashlib
import io
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from documents import previews, services
from documents.access import get_document_for_user
from documents.models import Document, DocumentDownload
from documents.validation import CSV, csv_for_spreadsheets
from orders.access import get_case_for_user
from orders.errors import DomainError

log = logging.getLogger(__name__)


def _verified_content(document: Document) -> bytes | None:
    """The stored bytes, or None when they no longer match the recorded sha256."""
    with document.file.open("rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != document.sha256:
        log.error(
            "Integrity check failed for document %s of %s: stored file does not match "
            "its sha256; download refused.",
            document.pk,
            document.case.reference,
        )
        return None
    return content


def _integrity_refusal() -> HttpResponse:
    response = HttpResponse(
        _(
            "This document failed its integrity check and cannot be downloaded. "
            "The coordinators have been alerted."
        ),
        status=409,
        content_type="text/plain; charset=utf-8",
    )
    add_never_cache_headers(response)
    return response


def _record_access(request: HttpRequest, document: Document) -> None:
    DocumentDownload.objects.create(
        document=document, user=request.user, ip_address=request.META.get("REMOTE_ADDR")
    )


@require_GET
@login_required
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_document_for_user(request.user, pk=pk)
    content = _verified_content(document)
    if content is None:
        return _integrity_refusal()
    _record_access(request, document)
    if document.content_type == CSV:
        # Opened in a spreadsheet, a cell like =HYPERLINK(...) would run: served as text.
        content = csv_for_spreadsheets(content)
    name = document.original_filename or f"{document.kind}-v{document.version}"
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=name, content_type=document.content_type
    )
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser renders it, the file runs with no scripts and no origin.
    response["Content-Security-Policy"] = "sandbox"
    add_never_cache_headers(response)
    return response


@require_GET
@login_required
def document_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The first pages as an image, for the case pages: the same visibility rule, audit
    row and no-store headers as a download (a preview shows the document too)."""
    document = get_document_for_user(request.user, pk=pk)
    if not previews.previewable(document.content_type):
        raise Http404("No preview for this document.")
    content = _verified_content(document)
    if content is None:
        return _integrity_refusal()
    try:
        image = previews.preview_png(content, document.content_type)
    except previews.NoPreview:
        raise Http404("No preview for this document.") from None
    _record_access(request, document)
    response = HttpResponse(image, content_type="image/png")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    add_never_cache_headers(response)
    return response


@require_POST
@login_required
def document_upload(request: HttpRequest, case_pk: int) -> JsonResponse:
    """POST multipart (kind, file) to add a document to a case the user may see."""
    case = get_case_for_user(request.user, pk=case_pk)
    upload = request.FILES.get("file")  # parses the body; the handler flags an overflow
    if getattr(request, "upload_too_large", False):
        limit_mb = settings.NPP_UPLOAD_MAX_BYTES // (1024 * 1024)
        return JsonResponse(
            {"error": _("The file is larger than the %(limit)s MB limit.") % {"limit": limit_mb}},
            status=413,
        )
    if upload is None:
        return JsonResponse({"error": _("Choose a file to upload.")}, status=400)
    try:
        document = services.document_upload(
            case=case,
            kind=request.POST.get("kind", ""),
            content=upload.read(),
            filename=upload.name,
            actor=request.user,
        )
    except PermissionDenied as error:
        return JsonResponse({"error": str(error)}, status=403)
    except DomainError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse(
        {
            "id": document.pk,
            "kind": document.kind,
            "version": document.version,
            "content_type": document.content_type,
            "review_status": document.review_status,
        },
        status=201,
    )
