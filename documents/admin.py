"""Documents in the back office: to look at and review, never to edit.

A document's bytes, hash and version are fixed when `documents.services` stores it;
files leave only through the authorised download view. Every list here goes through
`documents_visible_to`, the rule the download view uses.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from documents.access import documents_visible_to
from documents.generation.requests import retry_failed
from documents.models import Document, DocumentDownload, RenderJob, ReviewStatus, Signature
from documents.services import document_review
from documents.signatures import signature_verifies
from npp.accounts.models import Role
from orders.access import cases_visible_to
from orders.admin.base import ReadOnlyAdmin, ReadOnlyInline
from orders.admin.cases import ImportCaseAdmin
from orders.errors import DomainError
from orders.models import ImportCase


def _visible_documents(request: HttpRequest) -> QuerySet[Document]:
    return documents_visible_to(request.user).values("pk")


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = [
        "case",
        "kind",
        "version",
        "review_status",
        "original_filename",
        "uploaded_by",
        "generated",
        "created_at",
        "download",
    ]
    list_filter = ["review_status", "kind", "generated"]
    search_fields = ["case__reference", "original_filename", "sha256"]
    list_select_related = ["case", "uploaded_by"]
    actions = ["accept"]
    exclude = ["file"]
    readonly_fields = ["download"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).filter(pk__in=_visible_documents(request))

    @admin.display(description="File")
    def download(self, document: Document) -> str:
        try:
            url = reverse("documents:download", args=[document.pk])
        except NoReverseMatch:
            return "-"
        return format_html('<a href="{}">Download</a>', url)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.role == Role.COORDINATOR

    @admin.action(description="Accept selected documents", permissions=["review"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        accepted = 0
        for document in queryset.select_related("case").filter(review_status=ReviewStatus.PENDING):
            try:
                document_review(document=document, actor=request.user, accept=True)
            except (DomainError, PermissionDenied) as error:
                self.message_user(request, f"{document}: {error}", messages.ERROR)
            else:
                accepted += 1
        self.message_user(request, f"{accepted} document(s) accepted.", messages.SUCCESS)


@admin.register(DocumentDownload)
class DocumentDownloadAdmin(ReadOnlyAdmin):
    list_display = ["downloaded_at", "document", "user", "ip_address"]
    search_fields = ["document__case__reference", "user__email"]
    list_select_related = ["document__case", "user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DocumentDownload]:
        downloads = super().get_queryset(request)
        return downloads.filter(document__in=_visible_documents(request))


@admin.register(RenderJob)
class RenderJobAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "status", "attempts", "data_version", "updated_at"]
    list_filter = ["status", "kind"]
    search_fields = ["case__reference", "last_error"]
    list_select_related = ["case"]
    actions = ["rerun"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RenderJob]:
        jobs = super().get_queryset(request)
        return jobs.filter(case__in=cases_visible_to(request.user))

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.role == Role.COORDINATOR

    @admin.action(description="Re-run selected failed renderings", permissions=["rerun"])
    def rerun(self, request: HttpRequest, queryset: QuerySet[RenderJob]) -> None:
        queued = 0
        for job in queryset:
            try:
                retry_failed(job, request.user)
            except (DomainError, PermissionDenied) as error:
                self.message_user(request, f"{job}: {error}", messages.ERROR)
            else:
                queued += 1
        if queued:
            self.message_user(request, f"{queued} rendering(s) queued again.", messages.SUCCESS)


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "printed_name", "capacity", "meaning", "document"]
    list_filter = ["meaning"]
    search_fields = ["printed_name", "document__case__reference"]
    list_select_related = ["document__case", "signer"]
    readonly_fields = ["seal_verifies"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Signature]:
        signatures = super().get_queryset(request)
        return signatures.filter(document__in=_visible_documents(request))

    @admin.display(description="Seal verifies", boolean=True)
    def seal_verifies(self, signature: Signature) -> bool:
        return signature_verifies(signature)


# --- The papers on the import case's page ------------------------------------------------


def _download_link(document: Document) -> str:
    try:
        url = reverse("documents:download", args=[document.pk])
    except NoReverseMatch:  # documents served by another entry point only
        return "-"
    return format_html('<a href="{}">Download</a>', url)


class DocumentInline(ReadOnlyInline):
    """The case's documents, every version; files leave only by the authorised view."""

    model = Document
    fields = [
        "kind",
        "version",
        "review_status",
        "original_filename",
        "uploaded_by",
        "generated",
        "created_at",
        "download",
    ]
    readonly_fields = fields
    ordering = ["kind", "-version"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        documents = super().get_queryset(request).select_related("uploaded_by")
        return documents.filter(pk__in=documents_visible_to(request.user).values("pk"))

    @admin.display(description="File")
    def download(self, document: Document) -> str:
        return _download_link(document)


class RenderJobInline(ReadOnlyInline):
    """Generated documents of the case: pending, rendering, ready or failed (a failed
    one is re-run from the Render jobs list)."""

    model = RenderJob
    verbose_name = "generated document"
    verbose_name_plural = "Generated documents"
    fields = ["kind", "status", "attempts", "last_error", "updated_at"]
    readonly_fields = fields
    ordering = ["kind", "-created_at"]


class ImportCaseWithPapersAdmin(ImportCaseAdmin):
    """The case's admin page with its documents and generated papers below the
    timeline: `orders` registers the case, this app adds what it owns."""

    inlines = [*ImportCaseAdmin.inlines, DocumentInline, RenderJobInline]


admin.site.unregister(ImportCase)
admin.site.register(ImportCase, ImportCaseWithPapersAdmin)
