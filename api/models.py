"""What the API keeps of its own: idempotency keys, and the couriers' and
suppliers' service accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class IdempotencyKey(models.Model):
    """One POST under an `Idempotency-Key`. The row is claimed (inserted) before the
    request runs, so a concurrent second request with the same key finds it and
    changes nothing; the first response is stored for retries within
    NPP_IDEMPOTENCY_HOURS."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(blank=True, default=b"")
    response_content_type = models.CharField(max_length=100, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class CarrierAccount(models.Model):
    """A courier's or supplier's system, calling the API with a token of its own
    account (role system: it sees no case through the ordinary visibility rule).
    It may read and report milestones on the cases it carries: those whose current
    shipment names its courier or comes from its supplier (api.access)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="carrier_account"
    )
    name = models.CharField(max_length=200)
    courier = models.CharField(
        max_length=100, blank=True, help_text="The courier's name as dispatch records it."
    )
    supplier = models.ForeignKey(
        "orders.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
