"""Side effects reported on a case, and the caller's inbox."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from api.access import case_for, people_only
from api.serializers import (
    AdverseEventReportSerializer,
    AdverseEventSerializer,
    InboxMessageSerializer,
    InboxPageSerializer,
)
from api.views.base import IDEMPOTENCY_PARAMETER, ApiView
from api.views.cases import PROBLEM, REFERENCE
from notifications import services as inbox
from notifications.access import get_inbox_message_for_user
from notifications.models import Notification
from npp.accounts.models import Role
from orders.adverse_events import adverse_event_report
from orders.models import AdverseEvent


class CaseAdverseEvents(ApiView):
    @extend_schema(
        operation_id="adverse_events_list",
        summary="Suspected side effects reported on the case",
        parameters=[REFERENCE],
        responses={200: AdverseEventSerializer(many=True), 404: PROBLEM},
    )
    def get(self, request, reference: str):
        case = case_for(request.user, reference)
        people_only(request.user)
        reports = AdverseEvent.objects.filter(case=case)
        if request.user.role == Role.PATIENT:
            # A patient reads their own reports, not what the clinicians wrote.
            reports = reports.filter(reported_by=request.user)
        return Response(AdverseEventSerializer(reports, many=True).data)

    @extend_schema(
        operation_id="adverse_events_create",
        summary="Report a suspected side effect",
        parameters=[REFERENCE, IDEMPOTENCY_PARAMETER],
        request=AdverseEventReportSerializer,
        responses={201: AdverseEventSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def post(self, request, reference: str):
        case = case_for(request.user, reference)
        people_only(request.user)
        body = AdverseEventReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = adverse_event_report(case=case, reporter=request.user, **body.validated_data)
        return Response(AdverseEventSerializer(report).data, status=status.HTTP_201_CREATED)


class InboxPages(CursorPagination):
    page_size = 50
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = ("-pk",)


class Inbox(ApiView):
    @extend_schema(
        operation_id="inbox_list",
        summary="The caller's own inbox, newest first",
        parameters=[
            OpenApiParameter("cursor", str, description="The page cursor (next/previous)."),
            OpenApiParameter("page_size", int, description="1 to 100 (50)."),
        ],
        responses={200: InboxPageSerializer, 404: PROBLEM},
    )
    def get(self, request):
        if request.user.role == Role.SYSTEM:
            raise PermissionDenied("A service account has no inbox.")
        messages = Notification.objects.inbox_of(request.user).select_related("case")
        paginator = InboxPages()
        page = paginator.paginate_queryset(messages, request, view=self)
        return paginator.get_paginated_response(InboxMessageSerializer(page, many=True).data)


class InboxRead(ApiView):
    @extend_schema(
        operation_id="inbox_read",
        summary="Mark one of the caller's messages read",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH), IDEMPOTENCY_PARAMETER],
        request=None,
        responses={200: InboxMessageSerializer, 404: PROBLEM},
    )
    def post(self, request, id: int):
        message = get_inbox_message_for_user(request.user, id)
        inbox.inbox_mark_read(user=request.user, notification_id=message.pk)
        message.refresh_from_db()
        return Response(InboxMessageSerializer(message).data)


class NoSuchResource(APIView):
    """Any other path under /api/v1/ (a document id that is not a number, a misspelt
    route): 404 as problem details, like every other refusal, not the site's page."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound(_("No such resource."))
