"""Webhooks: fanned out from the case-event outbox, signed, retried with backoff,
logged, a dead receiver disabled with an email to its owner, private addresses
refused, and a sweep for the events the handler never saw."""

from __future__ import annotations

import json
import socket

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db.models import Subquery
from django.utils import timezone

from orders.services import case_transition
from orders.states import CaseStatus
from tests.api.conftest import client_for
from tests.webhooks.receiver import Receiver
from webhooks import services, signing, tasks
from webhooks.handlers import deliver_on_event
from webhooks.models import Delivery, DeliveryStatus, Scope, Subscription

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def local(settings):
    """Receivers on this machine are allowed (production refuses them)."""
    settings.NPP_WEBHOOK_ALLOW_PRIVATE = True
    return settings


def subscribe(owner, url: str, events=("*",), scope=Scope.USER):
    return services.subscription_create(owner=owner, url=url, event_types=list(events), scope=scope)


def hold(case, coordinator):
    return case_transition(case=case, actor=coordinator, transition="hold", note="Phone call")


def only_delivery() -> Delivery:
    return Delivery.objects.get()


def test_a_delivery_is_signed_and_the_receivers_check_passes(local, coordinator, case_in):
    case = case_in(S.SUBMITTED)
    with Receiver() as receiver:
        made = subscribe(coordinator, receiver.url, events=["hold"])
        receiver.secret = made.secret
        moved = hold(case, coordinator)
        event = moved.events.get(transition="hold")
        deliver_on_event(event)  # what orders.handlers calls after the commit

        tasks.deliver(only_delivery().pk)

    [got] = receiver.received
    assert got["verified"] is True
    assert signing.verify(made.secret, got["signature"], got["body"])
    assert not signing.verify("whsec_wrong", got["signature"], got["body"])
    assert not signing.verify(made.secret, got["signature"], got["body"] + b" ")
    payload = json.loads(got["body"])
    assert payload == {
        "id": event.pk,
        "type": "hold",
        "created_at": event.created_at.isoformat(),
        "case": {"reference": case.reference, "status": S.ON_HOLD},
        "from_state": S.SUBMITTED,
        "to_state": S.ON_HOLD,
    }
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    [attempt] = delivery.log.all()
    assert attempt.succeeded and attempt.status_code == 204 and attempt.duration_ms >= 0


def test_an_old_signature_is_refused_by_the_recipe():
    body = b"{}"
    header = signing.header_value("s", body, now=1_000_000)

    assert signing.verify("s", header, body, now=1_000_100)
    assert not signing.verify("s", header, body, now=1_000_000 + 301)


def test_a_failed_delivery_is_retried_after_its_backoff(local, coordinator, case_in, settings):
    settings.NPP_WEBHOOK_BACKOFF_SECONDS = 30
    case = case_in(S.SUBMITTED)
    with Receiver() as receiver:
        made = subscribe(coordinator, receiver.url)
        receiver.secret = made.secret
        receiver.fail_next = 1
        deliver_on_event(hold(case, coordinator).events.get(transition="hold"))
        delivery = only_delivery()

        first = services.delivery_send(delivery.pk)
        too_soon = services.delivery_send(delivery.pk)
        with time_machine.travel(timezone.now() + timezone.timedelta(seconds=31)):
            second = services.delivery_send(delivery.pk)

    assert first.delivered is False and first.status_code == 500
    assert first.retry_in == timezone.timedelta(seconds=30)
    assert too_soon is None  # not due yet: nothing sent
    assert second.delivered is True
    assert len(receiver.received) == 2 and all(r["verified"] for r in receiver.received)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert [a.status_code for a in delivery.log.order_by("pk")] == [500, 204]
    assert Subscription.objects.get().consecutive_failures == 0


def test_the_backoff_doubles():
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]


def test_a_dead_receiver_is_disabled_and_its_owner_emailed(local, coordinator, case_in, settings):
    settings.NPP_WEBHOOK_DISABLE_AFTER = 3
    settings.NPP_WEBHOOK_MAX_ATTEMPTS = 2
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    subscribe(coordinator, dead)
    case = case_in(S.SUBMITTED)
    moved = hold(case, coordinator)
    deliver_on_event(moved.events.get(transition="hold"))
    later = case_transition(case=moved, actor=coordinator, transition="resume", note="Back")
    deliver_on_event(later.events.get(transition="resume"))
    first, second = Delivery.objects.order_by("pk")

    services.delivery_send(first.pk)
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1)):
        services.delivery_send(first.pk)  # second and last attempt: failed
        services.delivery_send(second.pk)  # third failure in a row: disabled

    subscription = Subscription.objects.get()
    assert subscription.is_active is False and subscription.consecutive_failures == 3
    assert "3 failed deliveries" in subscription.disabled_reason
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == DeliveryStatus.FAILED
    assert "ConnectionRefusedError" in first.last_error
    [email] = mail.outbox
    assert email.to == [coordinator.email] and dead in email.body
    # Events after that are not fanned out to it.
    deliver_on_event(
        case_transition(case=later, actor=coordinator, transition="hold", note="x").events.last()
    )
    assert Delivery.objects.count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.9/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.org/hook",
        "http://user:pass@8.8.8.8/hook",
    ],
)
def test_private_loopback_and_link_local_destinations_are_refused(coordinator, settings, url):
    settings.NPP_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(ValidationError):
        subscribe(coordinator, url)
    refused = client_for(coordinator).post(
        "/api/v1/webhooks", {"url": url, "event_types": ["*"]}, format="json"
    )

    assert refused.status_code == 400
    assert not Subscription.objects.exists()


def test_a_name_that_resolves_inside_is_refused_at_delivery_too(
    local, coordinator, case_in, monkeypatch
):
    """DNS is outside this machine: stood in for by a resolver that answers with a
    private address for the subscriber's name on the second lookup (rebinding)."""
    case = case_in(S.SUBMITTED)
    answers = iter(["93.184.215.14", "10.0.0.7"])
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "hooks.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    local.NPP_WEBHOOK_ALLOW_PRIVATE = False
    subscribe(coordinator, "https://hooks.example.org/npp")
    deliver_on_event(hold(case, coordinator).events.get(transition="hold"))

    outcome = services.delivery_send(only_delivery().pk)

    assert outcome.delivered is False
    assert "10.0.0.7" in only_delivery().last_error


def test_the_sweep_fans_out_events_the_handler_never_saw(local, coordinator, case_in, settings):
    case = case_in(S.SUBMITTED)
    with Receiver() as receiver:
        made = subscribe(coordinator, receiver.url)
        receiver.secret = made.secret
        settings.NPP_CASE_EVENT_HANDLERS = []  # the process died after the commit
        moved = hold(case, coordinator)
        assert not Delivery.objects.exists()

        with time_machine.travel(timezone.now() + timezone.timedelta(minutes=2)):
            swept = services.webhook_sweep()
            again = services.webhook_sweep()
            for delivery_id in swept.deliveries:
                tasks.deliver(delivery_id)

    assert swept.events >= 1 and again.events == 0
    # Each event at or after the subscription, once, by the database's clock and
    # compared by the database (SQLite keeps its clock to the millisecond, as text):
    # the hold, and the submission too when it fell in the subscription's millisecond.
    since = Subquery(Subscription.objects.filter(pk=made.subscription.pk).values("created_at"))
    heard = [
        str(pk)
        for pk in moved.events.filter(created_at__gte=since)
        .values_list("pk", flat=True)
        .order_by("pk")
    ]
    assert str(moved.events.get(transition="hold").pk) in heard
    assert [r["event_id"] for r in receiver.received] == heard
    assert all(r["verified"] for r in receiver.received)


def test_a_physicians_subscription_hears_only_of_their_own_cases(
    local, coordinator, physician, other_physician, draft_case, other_case
):
    subscribe(physician.user, "http://127.0.0.1:9/hook", events=["cancel"])
    mine = case_transition(case=draft_case, actor=physician.user, transition="cancel", note="x")
    theirs = case_transition(
        case=other_case, actor=other_physician.user, transition="cancel", note="x"
    )

    deliver_on_event(mine.events.get(transition="cancel"))
    deliver_on_event(theirs.events.get(transition="cancel"))

    assert list(Delivery.objects.values_list("event__case", flat=True)) == [draft_case.pk]


def test_only_a_coordinator_subscribes_for_the_whole_service(local, physician, coordinator):
    refused = client_for(physician.user).post(
        "/api/v1/webhooks",
        {"url": "http://127.0.0.1:9/h", "event_types": ["*"], "scope": "service"},
        format="json",
    )
    made = client_for(coordinator).post(
        "/api/v1/webhooks",
        {"url": "http://127.0.0.1:9/h", "event_types": ["*"], "scope": "service"},
        format="json",
    )

    assert refused.status_code == 403
    assert made.status_code == 201 and made.json()["secret"].startswith("whsec_")
    listed = client_for(coordinator).get("/api/v1/webhooks").json()
    assert "secret" not in listed[0]
