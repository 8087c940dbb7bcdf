"""How amounts and dates read, the same on every page and paper: the case page's
timeline, the case record, the purchase order. Deterministic, so a paper's data
(and its version) does not change with who renders it."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats, timezone

# The symbol written before an amount; other currencies are written as their code.
CURRENCY_SYMBOLS = {
    "INR": "₹",
    "USD": "US$",
    "CAD": "CA$",
    "EUR": "€",
    "GBP": "£",
}
CENT = Decimal("0.01")


def group_indian(digits: str) -> str:
    """Indian digit grouping: the last three digits, then pairs (32,00,000)."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail])


def format_money(amount: Decimal | int | str | None, currency: str = "INR") -> str:
    """An amount with its currency, to the paisa or cent: ₹3,20,000.00 (Indian
    grouping for rupees), US$12,500.00 (thousands for the others), SEK 1,200.00 for
    a currency without a symbol here. Empty for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not an amount.") from None
    currency = (currency or "INR").upper()
    whole, _, fraction = f"{abs(value):f}".partition(".")
    grouped = group_indian(whole) if currency == "INR" else f"{int(whole):,}"
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{grouped}.{fraction}"
    return f"{sign}{currency} {grouped}.{fraction}"


def format_percent(value: Decimal | int | float | str) -> str:
    """10 -> "10%", 16.5 -> "16.5%": no trailing zeros."""
    number = Decimal(str(value)).normalize()
    return f"{number:f}%"


def format_date(value: dt.date | None, *, localized: bool = False) -> str:
    """3 December 2026, whatever language is active (a paper's data must not change
    with who renders it); `localized`, in the active language's month names
    (3 दिसंबर 2026), for a paper written in its reader's language."""
    if not value:
        return ""
    if localized:
        return formats.date_format(value, "j F Y")
    return f"{value.day} {value:%B %Y}"


def format_datetime(
    value: dt.datetime | None, *, short: bool = False, localized: bool = False
) -> str:
    """In the service's time zone, with the zone named (an inspector compares
    times across papers); `localized` as format_date's."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    zone = f" {local.tzname()}" if local.tzname() else ""
    if short:
        return f"{local.day} {local:%b %Y %H:%M}{zone}"
    if localized:
        return formats.date_format(local, "j F Y, H:i") + zone
    return f"{local.day} {local:%B %Y, %H:%M}{zone}"
