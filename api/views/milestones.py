"""Couriers and suppliers report shipment milestones on the cases they carry."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.access import case_for
from api.serializers import CaseSerializer, EventSerializer
from api.views.base import IDEMPOTENCY_PARAMETER, ApiView
from api.views.cases import PROBLEM, REFERENCE
from orders.milestones import Milestone, shipment_milestone_record


class MilestoneSerializer(serializers.Serializer):
    milestone = serializers.ChoiceField(choices=Milestone.choices)
    occurred_at = serializers.DateTimeField(help_text="When it happened (ISO 8601 with offset).")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)


class MilestoneResultSerializer(serializers.Serializer):
    event = EventSerializer()
    case = CaseSerializer()


class CaseMilestones(ApiView):
    @extend_schema(
        operation_id="milestones_create",
        summary="Report a shipment milestone (couriers' and suppliers' service accounts)",
        description="Lands on the case's timeline; arrival at the port also moves the "
        "case to customs clearance (the `arrive` transition). A service account reaches "
        "only the cases whose current shipment it carries.",
        parameters=[REFERENCE, IDEMPOTENCY_PARAMETER],
        request=MilestoneSerializer,
        responses={201: MilestoneResultSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    def post(self, request, reference: str):
        user = request.user
        case = case_for(user, reference)
        body = MilestoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event, case = shipment_milestone_record(case=case, actor=user, **body.validated_data)
        context = {"request": request, "product": case.product}
        return Response(
            {
                "event": EventSerializer(event, context=context).data,
                "case": CaseSerializer(case, context=context).data,
            },
            status=status.HTTP_201_CREATED,
        )
