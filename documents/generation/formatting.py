"""Deterministic text for the papers: the same data always reads the same, so the
data (and its version) is stable."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from orders.countries import COUNTRY_NAMES, country_name
from orders.display import format_date, format_datetime, format_money, format_percent

__all__ = [
    "COUNTRY_NAMES",
    "address_lines",
    "country_name",
    "format_celsius",
    "format_date",
    "format_datetime",
    "format_money",
    "format_percent",
    "monitoring_sentences",
    "person_name",
    "plural",
]


def format_celsius(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _days_phrase(days: int) -> str:
    if days % 30 == 0:
        months = days // 30
        return "month" if months == 1 else f"{months} months"
    if days % 7 == 0:
        weeks = days // 7
        return "week" if weeks == 1 else f"{weeks} weeks"
    return "day" if days == 1 else f"{days} days"


def _every(days: int) -> str:
    return f"every {_days_phrase(days)}"


def monitoring_sentences(schedule: Iterable[Mapping[str, Any]]) -> list[str]:
    """The product's monitoring schedule in a patient's words, one sentence per test:
    [{"test": "eGFR", "every_days": 14, "from_day": 0, "until_day": 30}, {"test":
    "eGFR", "every_days": 30, "from_day": 30}] -> "eGFR: every 2 weeks for the first
    month, then every month." """
    by_test: dict[str, list[Mapping[str, Any]]] = {}
    for entry in schedule:
        by_test.setdefault(entry["test"], []).append(entry)
    sentences = []
    for test, entries in by_test.items():
        parts = []
        for position, entry in enumerate(sorted(entries, key=lambda e: e.get("from_day", 0))):
            start = entry.get("from_day") or 0
            until = entry.get("until_day")
            text = _every(int(entry["every_days"]))
            if position == 0 and start:
                text += f" from the end of the first {_days_phrase(int(start))}"
            if until:
                text += (
                    f" for the first {_days_phrase(int(until))}"
                    if not start
                    else f" until day {int(until)}"
                )
            parts.append(text if position == 0 else f"then {text}")
        sentences.append(f"{test}: " + ", ".join(parts) + ".")
    return sentences


def plural(noun: str) -> str:
    return noun if not noun or noun.endswith("s") else f"{noun}s"


def person_name(user) -> str:
    if user is None:
        return ""
    return f"{user.full_name} ({user.get_role_display().lower()})"


def address_lines(patient) -> list[str]:
    return patient.address_lines()
