"""A case's documents: list, upload through the same validation, download through
the same checks and audit as the pages."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api.access import case_for, people_only
from api.problems import Problem
from api.serializers import DocumentSerializer, DocumentUploadSerializer
from api.views.base import IDEMPOTENCY_PARAMETER, ApiView
from api.views.cases import PROBLEM, REFERENCE
from documents import views as document_views
from documents.access import documents_visible_to, get_document_for_user
from documents.services import document_upload


class CaseDocuments(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="documents_list",
        summary="The case's documents the caller may see, every version",
        parameters=[REFERENCE],
        responses={200: DocumentSerializer(many=True), 404: PROBLEM},
    )
    def get(self, request, reference: str):
        case = case_for(request.user, reference)
        people_only(request.user)
        documents = list(
            documents_visible_to(request.user).filter(case=case).order_by("kind", "-version")
        )
        superseded = {d.supersedes_id for d in documents if d.supersedes_id}
        return Response(
            DocumentSerializer(documents, many=True, context={"superseded": superseded}).data
        )

    @extend_schema(
        operation_id="documents_create",
        summary="Upload a document to the case",
        parameters=[REFERENCE, IDEMPOTENCY_PARAMETER],
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={
            201: DocumentSerializer,
            400: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            413: PROBLEM,
        },
    )
    def post(self, request, reference: str):
        case = case_for(request.user, reference)
        people_only(request.user)
        body = DocumentUploadSerializer(data=request.data)
        valid = body.is_valid()
        if getattr(request._request, "upload_too_large", False):
            limit = settings.NPP_UPLOAD_MAX_BYTES // (1024 * 1024)
            raise Problem(
                413,
                "too-large",
                "The file is too large",
                f"The file is larger than the {limit} MB limit.",
            )
        if not valid:
            body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        document = document_upload(
            case=case,
            kind=body.validated_data["kind"],
            content=upload.read(),
            filename=upload.name,
            actor=request.user,
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDownload(ApiView):
    @extend_schema(
        operation_id="documents_download",
        summary="The document's file (each download is recorded)",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={
            **{
                (200, media): OpenApiResponse(OpenApiTypes.BINARY)
                for media in ("application/pdf", "image/jpeg", "image/png", "text/csv")
            },
            404: PROBLEM,
            409: PROBLEM,
        },
    )
    def get(self, request, id: int):
        # Visibility first, as a problem document; then the page's own view, which
        # checks the stored sha256, records the download and sets safe headers.
        get_document_for_user(request.user, pk=id)
        response = document_views.document_download(request._request, pk=id)
        if response.status_code == 409:
            raise Problem(
                409,
                "integrity",
                "Integrity check failed",
                "This document failed its integrity check and cannot be downloaded.",
            )
        return response
