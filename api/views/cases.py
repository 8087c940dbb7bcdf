"""Cases: list, detail, open a draft, edit the request, the timeline, transitions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api import transitions as api_transitions
from api.access import case_for, cases_for, people_only
from api.problems import Problem
from api.serializers import (
    CaseCreateSerializer,
    CasePageSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
    EventSerializer,
)
from api.views.base import IDEMPOTENCY_PARAMETER, ApiView
from documents.generation.quality_release import case_move
from npp.accounts.models import Role
from orders import selectors
from orders.errors import CaseConflict
from orders.models import ImportCase, Patient, Physician
from orders.patients import patients_of
from orders.refusals import case_moved_message
from orders.services import case_create, case_update_request
from orders.states import CaseStatus

PROBLEM = OpenApiResponse(description="Problem details (application/problem+json).")
S = CaseStatus


class CasePages(CursorPagination):
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = ("-pk",)


REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The case reference, NPP-2026-00001."
)


def _case_body(request, case: ImportCase) -> dict:
    return CaseSerializer(case, context={"request": request}).data


def _with_related(cases: QuerySet[ImportCase]) -> QuerySet[ImportCase]:
    return cases.select_related(
        "pathway", "product", "patient", "physician", "assigned_coordinator"
    )


class CaseList(ApiView):
    @extend_schema(
        operation_id="cases_list",
        summary="Cases the caller may see",
        parameters=[
            OpenApiParameter(
                "status", str, enum=[s.value for s in S], description="Only this state."
            ),
            OpenApiParameter("product", int, description="Only this product's id."),
            OpenApiParameter("cursor", str, description="The page cursor (next/previous)."),
            OpenApiParameter("page_size", int, description="1 to 100 (25)."),
        ],
        responses={200: CasePageSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request):
        cases = cases_for(request.user)
        filters = _ListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        if filters.validated_data.get("status"):
            cases = cases.filter(status=filters.validated_data["status"])
        if filters.validated_data.get("product"):
            cases = cases.filter(product_id=filters.validated_data["product"])
        paginator = CasePages()
        page = paginator.paginate_queryset(_with_related(cases), request, view=self)
        return paginator.get_paginated_response(
            CaseSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="cases_create",
        summary="Open a draft request",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=CaseCreateSerializer,
        responses={201: CaseSerializer, 400: PROBLEM, 403: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    )
    def post(self, request):
        body = CaseCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        user = request.user
        physician = _physician_for(user, data.pop("physician", None))
        patient = _patient_for(user, physician, data.pop("patient"))
        case = case_create(actor=user, patient=patient, physician=physician, **data)
        response = Response(_case_body(request, case), status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/cases/{case.reference}"
        return response


class _ListFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=S.choices, required=False)
    product = serializers.IntegerField(required=False, min_value=1, max_value=2_147_483_647)


def _physician_for(user, physician_id: int | None) -> Physician:
    if user.role == Role.PHYSICIAN:
        own = Physician.objects.filter(user=user).first()
        if own is None or physician_id not in (None, own.pk):
            raise PermissionDenied("You may only open requests as the prescribing physician.")
        return own
    if user.role == Role.COORDINATOR:
        physician = Physician.objects.filter(pk=physician_id).first() if physician_id else None
        if physician is None:
            raise Problem(
                400,
                "invalid-input",
                "The request's data is not valid",
                "physician: Choose the prescribing physician.",
                errors={"physician": ["Choose the prescribing physician."]},
            )
        return physician
    raise PermissionDenied("Only physicians and coordinators open requests.")


def _patient_for(user, physician: Physician, patient_id: int) -> Patient:
    # A physician chooses among their own patients, as on the new-request page.
    patients = Patient.objects.all() if user.role == Role.COORDINATOR else patients_of(physician)
    patient = patients.filter(pk=patient_id).first()
    if patient is None:
        raise Problem(
            400,
            "invalid-input",
            "The request's data is not valid",
            "patient: No such patient of yours.",
            errors={"patient": ["No such patient of yours."]},
        )
    return patient


class CaseDetail(ApiView):
    @extend_schema(
        operation_id="cases_retrieve",
        summary="One case",
        parameters=[REFERENCE],
        responses={200: CaseSerializer, 404: PROBLEM},
    )
    def get(self, request, reference: str):
        case = case_for(request.user, reference)
        return Response(_case_body(request, case))

    @extend_schema(
        operation_id="cases_update",
        summary="Edit the request while it is with the physician",
        parameters=[REFERENCE],
        request=CaseUpdateSerializer,
        responses={200: CaseSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def patch(self, request, reference: str):
        case = case_for(request.user, reference)
        body = CaseUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not body.validated_data:
            return Response(_case_body(request, case))
        case = case_update_request(case=case, actor=request.user, **body.validated_data)
        return Response(_case_body(request, case))


class CaseTimeline(ApiView):
    @extend_schema(
        operation_id="cases_timeline",
        summary="The case's events, oldest first",
        parameters=[REFERENCE],
        responses={200: EventSerializer(many=True), 403: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, reference: str):
        case = case_for(request.user, reference)
        people_only(request.user)
        if request.user.role == Role.PATIENT:
            # The patient's pages show progress in plain words, never the history
            # with its notes; the case itself says where it stands.
            raise PermissionDenied("The case history is for the import team and the physician.")
        events = selectors.case_timeline(case)
        return Response(EventSerializer(events, many=True, context={"product": case.product}).data)


def transition_view(name: str) -> type[ApiView]:
    body_class = api_transitions.input_serializer(name)

    class Transition(ApiView):
        @extend_schema(
            operation_id=f"cases_transition_{name}",
            summary=body_class.__doc__,
            parameters=[REFERENCE, IDEMPOTENCY_PARAMETER],
            request=body_class,
            responses={
                200: CaseSerializer,
                400: PROBLEM,
                403: PROBLEM,
                404: PROBLEM,
                409: PROBLEM,
                422: PROBLEM,
            },
            tags=["transitions"],
        )
        def post(self, request, reference: str):
            case = case_for(request.user, reference)
            people_only(request.user)
            body = body_class(data=request.data)
            body.is_valid(raise_exception=True)
            seen = body.validated_data.get("seen_status")
            if seen and seen != case.status:
                _conflict(request, case, name)
            try:
                moved = case_move(
                    case=case,
                    actor=request.user,
                    transition=name,
                    note=body.validated_data.get("note", ""),
                    data=api_transitions.service_data(name, body.validated_data),
                    printed_name=body.validated_data.get("printed_name", ""),
                    password=body.validated_data.get("password", ""),
                    ip_address=request.META.get("REMOTE_ADDR"),
                )
            except CaseConflict:
                _conflict(request, ImportCase.objects.get(pk=case.pk), name)
            return Response(_case_body(request, moved))

    Transition.__name__ = f"Transition_{name}"
    return Transition


def _conflict(request, case: ImportCase, name: str) -> None:
    raise Problem(
        409,
        "conflict",
        "The case changed",
        case_moved_message(case, transition=name, viewer=request.user),
        status_now=case.status,
    )
