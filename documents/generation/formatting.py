"""Deterministic text for the papers: the same data always reads the same, so the
data (and its version) is stable."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone

from orders.models import CaseEvent
from orders.services import TRANSITIONS, transition_label

COUNTRY_NAMES = {
    "AE": "United Arab Emirates",
    "AU": "Australia",
    "BE": "Belgium",
    "CA": "Canada",
    "CH": "Switzerland",
    "DE": "Germany",
    "DK": "Denmark",
    "ES": "Spain",
    "EU": "European Union",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "IN": "India",
    "IT": "Italy",
    "JP": "Japan",
    "NL": "Netherlands",
    "SE": "Sweden",
    "SG": "Singapore",
    "US": "United States",
}


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get((code or "").upper(), code or "")


def format_date(value: dt.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def format_datetime(value: dt.datetime | None, *, short: bool = False) -> str:
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    zone = f" {local.tzname()}" if local.tzname() else ""
    if short:
        return f"{local.day} {local:%b %Y %H:%M}{zone}"
    return f"{local.day} {local:%B %Y, %H:%M}{zone}"


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
    lines = [line.strip() for line in patient.address.splitlines() if line.strip()]
    city = " ".join(part for part in (patient.city, patient.postal_code) if part)
    lines += [part for part in (city, patient.state, country_name(patient.country)) if part]
    return lines


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and ISO_DATETIME.match(value):
        with contextlib.suppress(ValueError):
            return format_datetime(dt.datetime.fromisoformat(value), short=True)
    if isinstance(value, str) and ISO_DATE.match(value):
        with contextlib.suppress(ValueError):
            parsed = dt.date.fromisoformat(value)
            return f"{parsed.day} {parsed:%b %Y}"
    return str(value)


def flatten(data: Any, prefix: str = "") -> list[str]:
    """An event's structured data as 'key: value' lines for a reader."""
    if isinstance(data, dict):
        if set(data) == {"id", "name"}:
            return [f"{prefix}: {data['name']}"] if prefix else [str(data["name"])]
        lines = []
        for key in sorted(data):
            label = str(key).replace("_", " ")
            lines += flatten(data[key], f"{prefix}, {label}" if prefix else label)
        return lines
    if isinstance(data, list):
        shown = ", ".join(_value_text(item) for item in data)
        return [f"{prefix}: {shown}" if prefix else shown] if shown else []
    if data in (None, ""):
        return []
    return [f"{prefix}: {_value_text(data)}" if prefix else _value_text(data)]


def action_label(transition: str) -> str:
    if transition == CaseEvent.CREATED:
        return "Request opened"
    if transition in TRANSITIONS:
        return transition_label(transition)
    return transition.replace("_", " ").capitalize()
