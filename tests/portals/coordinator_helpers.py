"""Shared by the coordinator workbench tests: signed-in clients, posting a
transition's form as the page does, and bulk cases for the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import ImportCase, Pathway, Patient, Physician, Priority, Product
from orders.selectors import QUEUE_STATES


def signed_in(user, **options: Any) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def case_url(case: ImportCase) -> str:
    return reverse("orders:coordinator-case", args=[case.pk])


def action_url(case: ImportCase, transition: str) -> str:
    return reverse("orders:coordinator-transition", args=[case.pk, transition])


def transition_post(case: ImportCase, transition: str, *, note: str = "", **data: Any) -> dict:
    """The fields of the case page's form for `transition` (prefixed as rendered)."""
    posted = {f"{transition}-seen_status": case.status}
    if note:
        posted[f"{transition}-note"] = note
    for name, value in data.items():
        if value is True:
            posted[f"{transition}-{name}"] = "on"
        elif value is False or value is None:
            continue
        else:
            posted[f"{transition}-{name}"] = value
    return posted


def bulk_cases(
    count: int,
    *,
    creator,
    physicians: list[Physician],
    patients: list[Patient],
    product: Product,
    prefix: str = "BULK",
) -> list[ImportCase]:
    """`count` cases spread over the queue's states, one in five urgent, waiting from
    minutes to weeks: inserted in one statement, without events or sequence numbers."""
    pathway = Pathway.default()
    now = timezone.now()
    cases = [
        ImportCase(
            reference=f"{prefix}-{n:06d}",
            pathway=pathway,
            patient=patients[n % len(patients)],
            physician=physicians[n % len(physicians)],
            product=product,
            prescribed_dose="23.7 mg twice daily",
            daily_units=6,
            quantity_packs=3,
            treatment_days=90,
            justification="Bulk",
            status=QUEUE_STATES[n % len(QUEUE_STATES)],
            priority=Priority.URGENT if n % 5 == 0 else Priority.NORMAL,
            state_changed_at=now - dt.timedelta(hours=(n * 7) % 500, minutes=n % 60),
            created_by=creator,
        )
        for n in range(count)
    ]
    return ImportCase.objects.bulk_create(cases, batch_size=500)
