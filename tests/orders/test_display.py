"""Amounts and dates as every page and paper writes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.display import (
    format_date,
    format_datetime,
    format_money,
    format_percent,
    group_indian,
)


@pytest.mark.parametrize(
    "amount,written",
    [
        (Decimal("320000"), "₹3,20,000.00"),
        (Decimal("41375"), "₹41,375.00"),
        (Decimal("999"), "₹999.00"),
        (Decimal("1000"), "₹1,000.00"),
        (Decimal("100000"), "₹1,00,000.00"),
        (Decimal("12345678.9"), "₹1,23,45,678.90"),
        (Decimal("1234567890.12"), "₹1,23,45,67,890.12"),
        (Decimal("0"), "₹0.00"),
        ("250000.00", "₹2,50,000.00"),
        (7, "₹7.00"),
        (Decimal("0.005"), "₹0.01"),  # half a paisa rounds up
        (Decimal("-1500"), "-₹1,500.00"),
    ],
)
def test_rupees_are_written_with_indian_digit_grouping(amount, written):
    assert format_money(amount) == written


@pytest.mark.parametrize(
    "amount,currency,written",
    [
        (Decimal("12500"), "USD", "US$12,500.00"),
        (Decimal("1234567.5"), "EUR", "€1,234,567.50"),
        (Decimal("99.999"), "gbp", "£100.00"),
        (Decimal("1200"), "SEK", "SEK 1,200.00"),
    ],
)
def test_other_currencies_use_thousands_and_their_symbol_or_code(amount, currency, written):
    assert format_money(amount, currency) == written


def test_no_amount_is_written_as_nothing_and_a_bad_one_is_refused():
    assert format_money(None) == ""
    assert format_money("") == ""
    with pytest.raises(ValueError, match="not an amount"):
        format_money("twelve")


def test_indian_grouping_of_plain_digits():
    assert [group_indian(d) for d in ("1", "12", "123", "1234", "123456", "1234567")] == [
        "1",
        "12",
        "123",
        "1,234",
        "1,23,456",
        "12,34,567",
    ]


def test_percentages_and_dates():
    assert format_percent(Decimal("10.00")) == "10%"
    assert format_percent("16.55") == "16.55%"
    assert format_date(dt.date(2026, 3, 5)) == "5 March 2026"
    assert format_date(None) == ""
    moment = dt.datetime(2026, 3, 5, 8, 30, tzinfo=dt.UTC)
    assert format_datetime(moment) == "5 March 2026, 14:00 IST"
    assert format_datetime(moment, short=True) == "5 Mar 2026 14:00 IST"
    assert timezone.get_current_timezone_name() == "Asia/Kolkata"


def test_a_date_reads_the_same_localized_or_not_in_english_and_only_localized_changes_language():
    """One format_date: the papers' fixed English form and the patient sheet's form in
    its reader's language are the same in English, every month and either digit count."""
    from django.utils import translation

    days = [dt.date(2026, month, day) for month in range(1, 13) for day in (3, 28)]
    moment = timezone.make_aware(dt.datetime(2026, 12, 3, 9, 5))
    with translation.override("en"):
        assert [format_date(d, localized=True) for d in days] == [format_date(d) for d in days]
        assert format_datetime(moment, localized=True) == format_datetime(moment)
        assert format_date(dt.date(2026, 12, 3)) == "3 December 2026"
    with translation.override("hi"):
        assert format_date(dt.date(2026, 12, 3)) == "3 December 2026"  # a paper's data
        assert format_date(dt.date(2026, 12, 3), localized=True) != "3 December 2026"
        assert format_date(dt.date(2026, 12, 3), localized=True).startswith("3 ")
