"""Outbound webhooks: who subscribed to which case events, and each delivery with
every attempt (status, duration, response code).

A `CaseEvent` is the outbox; a `Delivery` is one event for one subscription, unique
per pair, so fanning an event out twice (the handler and the sweep) sends it once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now


class Scope(models.TextChoices):
    # The events of the cases its owner may see (orders.access).
    USER = "user", "Cases its owner may see"
    # Every case of the service: for the service's own accounting or CRM; made by
    # a coordinator.
    SERVICE = "service", "Every case of the service"


class Subscription(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.USER)
    url = models.URLField(max_length=500)
    # Kept in clear: the server signs with it. Shown to its owner once.
    secret = models.CharField(max_length=100)
    event_types = models.JSONField(
        default=list, help_text='Event names (a transition, "created", ...) or ["*"] for all.'
    )
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.url} ({self.owner_id})"

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Taken by a sender"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Given up"


class Delivery(models.Model):
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey("orders.CaseEvent", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When it may next be tried (a retry's backoff), and a sender's lease while sending.
    next_attempt_at = models.DateTimeField(db_default=Now())
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"Event {self.event_id} to subscription {self.subscription_id}: {self.status}"


class Attempt(models.Model):
    """One try at a delivery: the log its owner reads."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField()

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.started_at}: {self.status_code or self.error}"


class EventFanOut(models.Model):
    """Marks an event whose deliveries exist, so the sweep finds the events the
    handler never saw (process died after the commit, broker down)."""

    event = models.OneToOneField(
        "orders.CaseEvent", primary_key=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_default=Now())

    def __str__(self) -> str:
        return f"Webhooks of event {self.event_id}"
