"""Temperature logs from the data logger that travels with a shipment.

A log is a CSV of (timestamp, temperature in °C), one reading a row, usually with a
header. `temperature_log_summary` gives the lowest and highest reading and how long
the goods spent outside the product's storage range and outside its (wider)
excursion range. A reading stands for the time until the next one (the logger holds
its last value); the last reading stands for the median interval. When any reading
falls outside the excursion range the lot is in doubt: `documents.temperature_logs`
stores the log and moves the case to quarantine, with the numbers in the note, for a
quality decision (release or reject and reorder).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from orders.errors import DomainError
from orders.models import Product
from orders.states import CaseStatus

S = CaseStatus

# Where a logger's record is read: the goods are travelling or waiting at customs.
LOG_STATES = (S.IN_TRANSIT, S.CUSTOMS_CLEARANCE)
MAX_READINGS = 100_000
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
)
_NUMBER = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(?:°\s*C|C)?\s*$", re.IGNORECASE)


class TemperatureLogInvalid(DomainError):
    """The file is not a temperature log we can read; the message says where."""


@dataclass(frozen=True)
class Reading:
    at: dt.datetime
    celsius: Decimal


@dataclass(frozen=True)
class Range:
    low: Decimal
    high: Decimal

    def holds(self, value: Decimal) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{_c(self.low)} to {_c(self.high)} °C"


@dataclass(frozen=True)
class TemperatureSummary:
    readings: list[Reading]
    storage: Range
    excursion: Range
    minimum: Decimal
    maximum: Decimal
    minutes_outside_storage: int
    minutes_outside_excursion: int

    @property
    def started(self) -> dt.datetime:
        return self.readings[0].at

    @property
    def ended(self) -> dt.datetime:
        return self.readings[-1].at

    @property
    def breached(self) -> bool:
        """A reading outside the excursion range: the lot needs a quality decision."""
        return not (self.excursion.holds(self.minimum) and self.excursion.holds(self.maximum))

    @property
    def outside_storage_text(self) -> str:
        return duration(self.minutes_outside_storage)

    @property
    def outside_excursion_text(self) -> str:
        return duration(self.minutes_outside_excursion)

    @property
    def within_storage(self) -> bool:
        return self.storage.holds(self.minimum) and self.storage.holds(self.maximum)

    def note(self) -> str:
        return (
            f"Temperature log: {len(self.readings)} readings from "
            f"{timezone.localtime(self.started):%d %b %Y %H:%M} to "
            f"{timezone.localtime(self.ended):%d %b %Y %H:%M}; min {_c(self.minimum)} °C, "
            f"max {_c(self.maximum)} °C; {duration(self.minutes_outside_excursion)} outside "
            f"the excursion range ({self.excursion}), {duration(self.minutes_outside_storage)} "
            f"outside the storage range ({self.storage})."
        )


def _c(value: Decimal) -> str:
    return f"{value:.1f}"


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"


# --- Parsing -------------------------------------------------------------------------


def parse_temperature_log(content: bytes) -> list[Reading]:
    """The readings of a logger CSV, oldest first. Refuses, naming the line, anything
    that is not a timestamp and a temperature (a header line is skipped)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TemperatureLogInvalid("The temperature log is not a UTF-8 text (CSV) file.") from None
    readings: list[Reading] = []
    # newline="": the csv module itself reads line breaks, inside quotes too.
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=log_delimiter(text))
    for number, row in _numbered(rows):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < 2:
            raise TemperatureLogInvalid(
                f"Line {number}: expected a timestamp and a temperature, found {row!r}."
            )
        celsius = _temperature(cells[1])
        at = _timestamp(cells[0])
        if not readings and (celsius is None or at is None) and number == 1:
            continue  # the header line
        # Text, or a spreadsheet formula, where a number belongs refuses the whole file:
        # a reading must be a number, and nothing of the file is stored.
        if at is None:
            raise TemperatureLogInvalid(
                f"Line {number}: {cells[0]!r} is not a date and time (such as "
                "2026-03-01 08:00). Nothing was stored."
            )
        if celsius is None:
            raise TemperatureLogInvalid(
                f"Line {number}: {cells[1]!r} is not a temperature (a number of °C between "
                "-100 and 100, such as 5.5 or -2). Nothing was stored."
            )
        readings.append(Reading(at, celsius))
        if len(readings) > MAX_READINGS:
            raise TemperatureLogInvalid(f"The log has more than {MAX_READINGS} readings.")
    if len(readings) < 2:
        raise TemperatureLogInvalid(
            "The temperature log needs at least two readings (timestamp, temperature)."
        )
    readings.sort(key=lambda reading: reading.at)
    return readings


def _numbered(rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(line, row) pairs; a file the csv module cannot split is refused, naming where."""
    number = 0
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise TemperatureLogInvalid(
                f"Line {number}: not a CSV row ({error}). Nothing was stored."
            ) from None
        yield number, row


def log_delimiter(text: str) -> str:
    """The cell separator of a log: loggers set up for a decimal comma separate cells
    with ";" (or a tab), others with ","."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if ";" in first else "\t" if "\t" in first else ","


def _temperature(cell: str) -> Decimal | None:
    match = _NUMBER.match(cell)
    if match is None:
        return None
    try:
        value = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    return value if Decimal(-100) <= value <= Decimal(100) else None


def _timestamp(cell: str) -> dt.datetime | None:
    value: dt.datetime | None = None
    try:
        value = dt.datetime.fromisoformat(cell.replace("Z", "+00:00"))
    except ValueError:
        for pattern in TIMESTAMP_FORMATS:
            try:
                value = dt.datetime.strptime(cell, pattern)
                break
            except ValueError:
                continue
    if value is None:
        return None
    if timezone.is_naive(value):
        # A logger without a zone writes local time: the service's time zone.
        value = timezone.make_aware(value)
    return value


# --- The numbers ----------------------------------------------------------------------


def storage_range(product: Product) -> Range:
    return Range(Decimal(product.storage_min_c), Decimal(product.storage_max_c))


def excursion_range(product: Product) -> Range:
    return Range(Decimal(product.excursion_min_c), Decimal(product.excursion_max_c))


def temperature_log_summary(readings: list[Reading], product: Product) -> TemperatureSummary:
    storage, excursion = storage_range(product), excursion_range(product)
    gaps = [
        (later.at - earlier.at).total_seconds() for earlier, later in itertools.pairwise(readings)
    ]
    last_gap = statistics.median(gaps) if gaps else 0.0
    outside_storage = outside_excursion = 0.0
    for reading, seconds in zip(readings, [*gaps, last_gap], strict=True):
        if not storage.holds(reading.celsius):
            outside_storage += seconds
        if not excursion.holds(reading.celsius):
            outside_excursion += seconds
    values = [reading.celsius for reading in readings]
    return TemperatureSummary(
        readings=readings,
        storage=storage,
        excursion=excursion,
        minimum=min(values),
        maximum=max(values),
        minutes_outside_storage=round(outside_storage / 60),
        minutes_outside_excursion=round(outside_excursion / 60),
    )


# --- The chart -----------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 28
MAX_POINTS = 400


def temperature_chart(summary: TemperatureSummary) -> dict[str, Any]:
    """Coordinates for a small SVG line chart (rendered by the template, no script):
    the readings, the storage band and the excursion limits."""
    readings = _thin(summary.readings, MAX_POINTS)
    low = min(summary.minimum, summary.excursion.low) - 2
    high = max(summary.maximum, summary.excursion.high) + 2
    start, end = summary.started, summary.ended
    span = max((end - start).total_seconds(), 1.0)
    plot_w = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(at: dt.datetime) -> float:
        return round(PAD_LEFT + (at - start).total_seconds() / span * plot_w, 1)

    def y(value: Decimal) -> float:
        return round(PAD_TOP + float((high - value) / (high - low)) * plot_h, 1)

    ticks = []
    step = _tick_step(high - low)
    value = (low // step + 1) * step
    while value < high:
        ticks.append({"y": y(value), "label": f"{value:.0f}"})
        value += step
    outside = [
        {"x": x(r.at), "y": y(r.celsius)}
        for r in readings
        if not summary.excursion.holds(r.celsius)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": PAD_LEFT,
        "right": CHART_WIDTH - PAD_RIGHT,
        "plot_width": plot_w,
        "bottom": CHART_HEIGHT - PAD_BOTTOM,
        "points": " ".join(f"{x(r.at)},{y(r.celsius)}" for r in readings),
        "storage_top": y(summary.storage.high),
        "storage_height": round(y(summary.storage.low) - y(summary.storage.high), 1),
        "excursion_high_y": y(summary.excursion.high),
        "excursion_low_y": y(summary.excursion.low),
        "ticks": ticks,
        "outside": outside[:50],
        "start_label": f"{timezone.localtime(start):%d %b %H:%M}",
        "end_label": f"{timezone.localtime(end):%d %b %H:%M}",
    }


def _tick_step(span: Decimal) -> int:
    for step in (2, 5, 10, 20):
        if span / step <= 8:
            return step
    return 50


def _thin(readings: list[Reading], limit: int) -> list[Reading]:
    """At most `limit` points, keeping each bucket's extreme readings so that a short
    spike still shows on the chart."""
    if len(readings) <= limit:
        return readings
    size = len(readings) / (limit / 2)
    kept: list[Reading] = []
    index = 0.0
    while int(index) < len(readings):
        bucket = readings[int(index) : int(index + size)] or readings[int(index) :]
        lowest = min(bucket, key=lambda r: r.celsius)
        highest = max(bucket, key=lambda r: r.celsius)
        kept.extend(sorted({lowest, highest}, key=lambda r: r.at))
        index += size
    return kept
