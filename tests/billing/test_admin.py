"""Rates in the admin: a new rate is a new dated row with who entered it; an entered
rate is not edited or deleted; quotations and payments are read only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import ExchangeRate


@pytest.fixture
def office(coordinator):
    """The coordinator, with the admin access the demo coordinator has."""
    coordinator.is_staff = True
    coordinator.is_superuser = True
    coordinator.save(update_fields=["is_staff", "is_superuser"])
    return coordinator


@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


def test_a_coordinator_enters_an_exchange_rate_with_its_date_and_source(office_client, office):
    response = office_client.post(
        reverse("admin:billing_exchangerate_add"),
        {
            "currency": "EUR",
            "rupees_per_unit": "97.1500",
            "rate_date": "2026-11-20",
            "source": "Customs exchange rate notification, 20 November 2026",
        },
    )

    assert response.status_code == 302
    rate = ExchangeRate.objects.get(currency="EUR")
    assert rate.rupees_per_unit == Decimal("97.1500")
    assert rate.entered_by == office


def test_an_entered_rate_is_not_edited_or_deleted(office_client):
    rate = ExchangeRate.objects.get(currency="USD")
    url = reverse("admin:billing_exchangerate_change", args=[rate.pk])

    office_client.post(
        url,
        {"currency": "USD", "rupees_per_unit": "1.0000", "rate_date": "2026-01-01", "source": "x"},
    )
    deleted = office_client.post(
        reverse("admin:billing_exchangerate_delete", args=[rate.pk]), {"post": "yes"}
    )

    rate.refresh_from_db()
    assert rate.rupees_per_unit == Decimal("88.2500")
    assert deleted.status_code == 403


def test_quotations_and_payments_are_read_only_in_the_admin(office_client):
    assert office_client.get(reverse("admin:billing_quotation_add")).status_code == 403
    assert office_client.get(reverse("admin:billing_payment_add")).status_code == 403
    assert office_client.get(reverse("admin:billing_quotation_changelist")).status_code == 200
