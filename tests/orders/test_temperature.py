"""Temperature logs: parsing a logger's CSV, the numbers, the chart, and the
quarantine that an excursion outside the product's allowed range causes."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from documents.models import Document, DocumentKind
from documents.temperature_logs import temperature_log_record
from orders.errors import DomainError
from orders.states import CaseStatus
from orders.temperature import (
    Reading,
    TemperatureLogInvalid,
    parse_temperature_log,
    temperature_chart,
    temperature_log_summary,
)

S = CaseStatus
START = dt.datetime(2026, 3, 1, 8, 0)


def csv_of(*temperatures, minutes: int = 10, header: str = "timestamp,temperature") -> bytes:
    lines = [header] if header else []
    for i, value in enumerate(temperatures):
        lines.append(f"{(START + dt.timedelta(minutes=minutes * i)):%Y-%m-%d %H:%M},{value}")
    return ("\n".join(lines) + "\n").encode()


class Upload(io.BytesIO):
    name = "logger.csv"


# --- Parsing ---------------------------------------------------------------------------


def test_it_reads_a_header_and_readings_oldest_first():
    content = (
        b"Time,Temp (C)\n2026-03-01 08:20,21.5\n2026-03-01T08:00:00,22\n2026-03-01 08:10,23.0\n"
    )
    readings = parse_temperature_log(content)
    assert [r.celsius for r in readings] == [Decimal("22"), Decimal("23.0"), Decimal("21.5")]
    assert readings[0].at == timezone.make_aware(START)


def test_it_reads_files_without_a_header_and_other_common_formats():
    content = "01/03/2026 08:00;22,5 °C\n01/03/2026 08:10;23,0 °C\n".encode()
    readings = parse_temperature_log(content)
    assert [r.celsius for r in readings] == [Decimal("22.5"), Decimal("23.0")]
    assert readings[1].at == timezone.make_aware(START + dt.timedelta(minutes=10))


def test_a_timestamp_with_a_zone_keeps_it():
    readings = parse_temperature_log(b"t,c\n2026-03-01T08:00:00Z,5\n2026-03-01T08:10:00Z,6\n")
    assert readings[0].at == dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"timestamp,temperature\n2026-03-01 08:00,warm\n", "Line 2: 'warm' is not a temperature"),
        (b"timestamp,temperature\nyesterday,22\n", "Line 2: 'yesterday' is not a date"),
        (b"timestamp,temperature\n2026-03-01 08:00,22\n", "at least two readings"),
        (b"timestamp\n2026-03-01 08:00\n", "expected a timestamp and a temperature"),
        (b"\xff\xfe\x00bin", "not a UTF-8 text"),
        (b"t,c\n2026-03-01 08:00,22\n2026-03-01 08:10,400\n", "'400' is not a temperature"),
    ],
)
def test_a_file_that_is_not_a_log_is_refused_naming_the_line(content, message):
    with pytest.raises(TemperatureLogInvalid) as refused:
        parse_temperature_log(content)
    assert message in str(refused.value)


# --- The numbers -------------------------------------------------------------------------


def test_min_max_and_minutes_outside_each_range(lupkynis):
    # Lupkynis: storage 20-25 °C, excursion 15-30 °C; one reading every 10 minutes, each
    # standing for the 10 minutes until the next (the last for the median interval).
    readings = parse_temperature_log(csv_of(22, 26, 27, 31, 24, 14, 21))
    summary = temperature_log_summary(readings, lupkynis)
    assert summary.minimum == Decimal("14")
    assert summary.maximum == Decimal("31")
    assert summary.minutes_outside_storage == 40  # 26, 27, 31, 14
    assert summary.minutes_outside_excursion == 20  # 31, 14
    assert summary.breached
    assert not summary.within_storage
    assert "min 14.0 °C, max 31.0 °C" in summary.note()
    assert "20 min outside the excursion range (15.0 to 30.0 °C)" in summary.note()


def test_a_log_within_the_excursion_range_is_not_a_breach(lupkynis):
    summary = temperature_log_summary(parse_temperature_log(csv_of(20, 25, 29.9, 15)), lupkynis)
    assert not summary.breached
    assert summary.minutes_outside_storage == 20
    assert summary.minutes_outside_excursion == 0


def test_the_edges_of_a_range_are_inside_it(lupkynis):
    summary = temperature_log_summary(parse_temperature_log(csv_of(20, 25, 20)), lupkynis)
    assert summary.within_storage and summary.minutes_outside_storage == 0


def test_the_chart_is_drawn_inside_its_frame_and_marks_the_excursions(lupkynis):
    values = [22 + (i % 7) for i in range(2000)] + [35]
    readings = [
        Reading(timezone.make_aware(START + dt.timedelta(minutes=i)), Decimal(v))
        for i, v in enumerate(values)
    ]
    chart = temperature_chart(temperature_log_summary(readings, lupkynis))
    points = [tuple(map(float, p.split(","))) for p in chart["points"].split()]
    assert len(points) <= 420  # thinned, but
    assert max(y for _, y in points) <= chart["bottom"]
    assert min(x for x, _ in points) >= chart["left"]
    assert max(x for x, _ in points) <= chart["right"]
    assert chart["outside"]  # the 35 °C spike survives the thinning
    assert chart["excursion_high_y"] < chart["storage_top"] < chart["excursion_low_y"]


# --- Recording a log on a case -----------------------------------------------------------------


def test_an_excursion_quarantines_the_case_as_the_coordinator(case_in, coordinator):
    case = case_in(S.IN_TRANSIT)
    result = temperature_log_record(case=case, actor=coordinator, upload=Upload(csv_of(22, 33, 22)))
    assert result.quarantined
    case.refresh_from_db()
    assert case.status == S.QUARANTINED
    event = case.events.order_by("pk").last()
    assert (event.transition, event.actor, event.from_state) == (
        "quarantine",
        coordinator,
        S.IN_TRANSIT,
    )
    assert "max 33.0 °C" in event.note
    document = Document.objects.get(case=case, kind=DocumentKind.TEMPERATURE_LOG)
    assert document.content_type == "text/csv"
    assert document.uploaded_by == coordinator


def test_a_log_within_range_is_stored_without_quarantine(case_in, coordinator):
    case = case_in(S.CUSTOMS_CLEARANCE)
    events = case.events.count()
    result = temperature_log_record(case=case, actor=coordinator, upload=Upload(csv_of(21, 24)))
    assert not result.quarantined
    case.refresh_from_db()
    assert case.status == S.CUSTOMS_CLEARANCE
    assert case.events.count() == events
    assert Document.objects.filter(case=case, kind=DocumentKind.TEMPERATURE_LOG).count() == 1


def test_a_bad_log_stores_nothing(case_in, coordinator):
    case = case_in(S.IN_TRANSIT)
    with pytest.raises(TemperatureLogInvalid):
        temperature_log_record(case=case, actor=coordinator, upload=Upload(b"t,c\nnow,cold\n"))
    assert not Document.objects.filter(case=case, kind=DocumentKind.TEMPERATURE_LOG).exists()
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT


def test_a_log_is_read_only_in_transit_or_at_customs(case_in, coordinator):
    case = case_in(S.SUPPLIER_ORDERING)
    with pytest.raises(DomainError, match="in transit or at customs"):
        temperature_log_record(case=case, actor=coordinator, upload=Upload(csv_of(22, 40)))
    assert not Document.objects.filter(case=case, kind=DocumentKind.TEMPERATURE_LOG).exists()
