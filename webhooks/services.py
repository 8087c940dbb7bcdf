"""Webhooks: subscribe, fan a case event out to its subscribers, deliver one
(signed), retry with backoff, disable a dead receiver and tell its owner, sweep."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from npp.accounts.models import Role, User
from orders.access import cases_visible_to
from orders.models import CaseEvent
from webhooks import destinations, signing
from webhooks.models import Attempt, Delivery, DeliveryStatus, EventFanOut, Scope, Subscription

log = logging.getLogger(__name__)

MAX_EVENT_TYPES = 50


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str  # shown once


def subscription_create(
    *, owner: User, url: str, event_types: list[str], scope: str = Scope.USER
) -> NewSubscription:
    """Subscribe `owner` to case events: those of the cases they may see, or (a
    coordinator only) every case of the service. The URL must be public."""
    if owner.role not in (Role.COORDINATOR, Role.PHYSICIAN):
        raise PermissionDenied("Webhooks are for the import team and physicians.")
    if scope == Scope.SERVICE and owner.role != Role.COORDINATOR:
        raise PermissionDenied("Only a coordinator subscribes for the whole service.")
    errors = {}
    try:
        destinations.resolve(url)
    except destinations.UnsafeDestination as error:
        errors["url"] = str(error)
    types = sorted({str(t).strip() for t in event_types or [] if str(t).strip()})
    if not types or len(types) > MAX_EVENT_TYPES:
        errors["event_types"] = 'Name the events to receive, or ["*"] for all.'
    if errors:
        raise ValidationError(errors)
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = Subscription.objects.create(
        owner=owner, scope=scope, url=url, secret=secret, event_types=types
    )
    return NewSubscription(subscription=subscription, secret=secret)


def subscription_delete(*, owner: User, subscription: Subscription) -> None:
    if subscription.owner_id != owner.pk:
        raise PermissionDenied("Not your subscription.")
    subscription.delete()


def subscription_enable(*, owner: User, subscription: Subscription) -> Subscription:
    """Switch a disabled subscription on again (its receiver fixed)."""
    if subscription.owner_id != owner.pk:
        raise PermissionDenied("Not your subscription.")
    Subscription.objects.filter(pk=subscription.pk).update(
        is_active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
    )
    subscription.refresh_from_db()
    return subscription


# --- Fan-out ---------------------------------------------------------------------------


def _subscribers(event: CaseEvent) -> list[Subscription]:
    candidates = Subscription.objects.filter(
        is_active=True, created_at__lte=event.created_at, owner__is_active=True
    ).select_related("owner")
    wanted = []
    for subscription in candidates:
        if not subscription.wants(event.transition):
            continue
        if subscription.scope == Scope.USER and not (
            cases_visible_to(subscription.owner).filter(pk=event.case_id).exists()
        ):
            continue
        wanted.append(subscription)
    return wanted


def event_fan_out(*, event: CaseEvent) -> list[int]:
    """One delivery per subscriber of `event` (none twice); the ids to send."""
    with transaction.atomic():
        _, created = EventFanOut.objects.get_or_create(event=event)
        if not created:
            return []
        rows = [Delivery(subscription=s, event=event) for s in _subscribers(event)]
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Delivery.objects.filter(event=event, status=DeliveryStatus.PENDING).values_list(
            "pk", flat=True
        )
    )


# --- Delivery ----------------------------------------------------------------------------


def payload(event: CaseEvent) -> bytes:
    """What a subscriber receives: what happened to which case, when. No patient data:
    the receiver reads the case through the API with its own token if it needs more."""
    case = event.case
    return json.dumps(
        {
            "id": event.pk,
            "type": event.transition,
            "created_at": event.created_at.isoformat(),
            "case": {"reference": case.reference, "status": case.status},
            "from_state": event.from_state,
            "to_state": event.to_state,
        },
        separators=(",", ":"),
    ).encode()


def backoff(attempts: int) -> dt.timedelta:
    seconds = settings.NPP_WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.NPP_TASK_RETRY_BACKOFF_MAX * 6))


def delivery_claim(delivery_id: int, *, now: dt.datetime | None = None) -> bool:
    """Take the delivery if it is due and nobody holds it (a conditional UPDATE: of two
    workers given the same delivery, one sends)."""
    now = now or timezone.now()
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )
    lease = now + dt.timedelta(seconds=settings.NPP_WEBHOOK_LEASE_SECONDS)
    return bool(
        Delivery.objects.filter(due, pk=delivery_id).update(
            status=DeliveryStatus.SENDING, lease_until=lease
        )
    )


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    retry_in: dt.timedelta | None


def delivery_send(delivery_id: int) -> Outcome | None:
    """Send one delivery if it is due: claim, sign, POST outside any transaction,
    record. None when it was not ours to send."""
    if not delivery_claim(delivery_id):
        return None
    delivery = Delivery.objects.select_related("subscription", "event__case").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, lease_until=None, last_error="Subscription disabled."
        )
        return Outcome(delivered=False, status_code=None, retry_in=None)
    body = payload(delivery.event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "NPP-Webhooks/1",
        signing.HEADER: signing.header_value(subscription.secret, body),
        "NPP-Event-Id": str(delivery.event_id),
        "NPP-Delivery-Id": str(delivery.pk),
    }
    started = timezone.now()
    clock = time.monotonic()
    status_code, error = None, ""
    try:
        status_code = destinations.post(
            subscription.url, body, headers, timeout=settings.NPP_WEBHOOK_TIMEOUT_SECONDS
        )
    except destinations.UnsafeDestination as refused:
        error = str(refused)
    except (OSError, ValueError) as failure:  # refused, timed out, TLS, bad response
        error = f"{type(failure).__name__}: {failure}"[:500]
    duration = int((time.monotonic() - clock) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    if not ok and not error:
        error = f"The receiver answered {status_code}."
    return _record(delivery, started=started, duration=duration, code=status_code, error=error)


def _record(
    delivery: Delivery, *, started: dt.datetime, duration: int, code: int | None, error: str
) -> Outcome:
    ok = not error
    now = timezone.now()
    attempts = delivery.attempts + 1
    retry_in = None
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            started_at=started,
            duration_ms=duration,
            status_code=code,
            error=error,
            succeeded=ok,
        )
        fields = {
            "attempts": attempts,
            "last_status_code": code,
            "last_error": error,
            "lease_until": None,
        }
        if ok:
            fields.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now)
            Subscription.objects.filter(pk=delivery.subscription_id).update(consecutive_failures=0)
        elif attempts >= settings.NPP_WEBHOOK_MAX_ATTEMPTS:
            fields.update(status=DeliveryStatus.FAILED)
        else:
            retry_in = backoff(attempts)
            fields.update(status=DeliveryStatus.PENDING, next_attempt_at=now + retry_in)
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        if not ok:
            Subscription.objects.filter(pk=delivery.subscription_id).update(
                consecutive_failures=F("consecutive_failures") + 1
            )
    if not ok:
        _disable_if_dead(delivery.subscription_id)
    return Outcome(delivered=ok, status_code=code, retry_in=retry_in)


def _disable_if_dead(subscription_id: int) -> None:
    limit = settings.NPP_WEBHOOK_DISABLE_AFTER
    reason = f"Disabled after {limit} failed deliveries in a row."
    disabled = Subscription.objects.filter(
        pk=subscription_id, is_active=True, consecutive_failures__gte=limit
    ).update(is_active=False, disabled_at=timezone.now(), disabled_reason=reason)
    if not disabled:
        return
    subscription = Subscription.objects.select_related("owner").get(pk=subscription_id)
    # Whatever was waiting for it stops here; the log keeps what happened.
    Delivery.objects.filter(
        subscription=subscription, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    ).update(status=DeliveryStatus.FAILED, last_error="Subscription disabled.", lease_until=None)
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your webhook was disabled",
        message=(
            f"Hello {subscription.owner.full_name},\n\n"
            f"Deliveries to {subscription.url} failed {limit} times in a row, so NPP has "
            "stopped sending them. Fix the receiver, then switch the subscription on again "
            f"(POST /api/v1/webhooks/{subscription.pk} with is_active true).\n"
        ),
        from_email=None,
        recipient_list=[subscription.owner.email],
        fail_silently=True,
    )
    log.warning("Webhook subscription %s disabled after %s failures", subscription.pk, limit)


# --- The sweep ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    events: int
    deliveries: list[int]


def webhook_sweep(*, now: dt.datetime | None = None) -> Sweep:
    """Fan out the events the handler never saw, and name the deliveries that are due
    (a retry whose task was lost, a sender that died holding one)."""
    now = now or timezone.now()
    if not Subscription.objects.filter(is_active=True).exists():
        return Sweep(events=0, deliveries=[])
    grace = now - dt.timedelta(seconds=settings.NPP_WEBHOOK_SWEEP_GRACE_SECONDS)
    window = now - dt.timedelta(hours=settings.NPP_WEBHOOK_SWEEP_WINDOW_HOURS)
    unseen = (
        CaseEvent.objects.filter(created_at__gte=window, created_at__lte=grace)
        .filter(~Exists(EventFanOut.objects.filter(event=OuterRef("pk"))))
        .order_by("pk")[:500]
    )
    events = 0
    for event in unseen:
        event_fan_out(event=event)
        events += 1
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )
    deliveries = list(
        Delivery.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:1000]
    )
    return Sweep(events=events, deliveries=deliveries)
