"""The caller's webhook subscriptions and their delivery log."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.views.base import IDEMPOTENCY_PARAMETER, ApiView
from api.views.cases import PROBLEM
from webhooks import services
from webhooks.models import Delivery, Scope
from webhooks.models import Subscription as SubscriptionModel

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    url = serializers.URLField()
    scope = serializers.ChoiceField(choices=Scope.choices)
    event_types = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    consecutive_failures = serializers.IntegerField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class NewSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        help_text="The signing secret: shown once, now. Verify each delivery's "
        "NPP-Signature header with it."
    )


class SubscriptionCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=50), min_length=1, max_length=50
    )
    scope = serializers.ChoiceField(choices=Scope.choices, required=False, default=Scope.USER)


class SubscriptionUpdateSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(help_text="true switches a disabled subscription on.")


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    event = serializers.IntegerField(source="event_id")
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    log = serializers.SerializerMethodField()

    def get_log(self, delivery) -> AttemptSerializer(many=True):  # type: ignore[valid-type]
        return AttemptSerializer(delivery.log.all(), many=True).data


class AttemptSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    succeeded = serializers.BooleanField()


def _mine(request, id: int) -> SubscriptionModel:
    subscription = SubscriptionModel.objects.filter(owner=request.user, pk=id).first()
    if subscription is None:
        raise Http404("No such subscription.")
    return subscription


class Subscriptions(ApiView):
    @extend_schema(
        operation_id="webhooks_list",
        summary="The caller's webhook subscriptions",
        responses={200: SubscriptionSerializer(many=True)},
    )
    def get(self, request):
        mine = SubscriptionModel.objects.filter(owner=request.user)
        return Response(SubscriptionSerializer(mine, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Subscribe to case events",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=SubscriptionCreateSerializer,
        responses={201: NewSubscriptionSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request):
        body = SubscriptionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.subscription_create(owner=request.user, **body.validated_data)
        data = dict(SubscriptionSerializer(made.subscription).data, secret=made.secret)
        return Response(data, status=status.HTTP_201_CREATED)


class Subscription(ApiView):
    @extend_schema(
        operation_id="webhooks_retrieve",
        parameters=[ID],
        responses={200: SubscriptionSerializer, 404: PROBLEM},
    )
    def get(self, request, id: int):
        return Response(SubscriptionSerializer(_mine(request, id)).data)

    @extend_schema(
        operation_id="webhooks_update",
        summary="Switch a subscription on again",
        parameters=[ID],
        request=SubscriptionUpdateSerializer,
        responses={200: SubscriptionSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def patch(self, request, id: int):
        subscription = _mine(request, id)
        body = SubscriptionUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["is_active"]:
            subscription = services.subscription_enable(
                owner=request.user, subscription=subscription
            )
        else:
            SubscriptionModel.objects.filter(pk=subscription.pk).update(is_active=False)
            subscription.refresh_from_db()
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        parameters=[ID],
        responses={204: None, 404: PROBLEM},
    )
    def delete(self, request, id: int):
        try:
            services.subscription_delete(owner=request.user, subscription=_mine(request, id))
        except PermissionDenied:
            raise Http404("No such subscription.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class Deliveries(ApiView):
    @extend_schema(
        operation_id="webhooks_deliveries",
        summary="The latest 100 deliveries of a subscription, with each attempt",
        parameters=[ID],
        responses={200: DeliverySerializer(many=True), 404: PROBLEM},
    )
    def get(self, request, id: int):
        subscription = _mine(request, id)
        deliveries = Delivery.objects.filter(subscription=subscription).prefetch_related("log")[
            :100
        ]
        return Response(DeliverySerializer(deliveries, many=True).data)
