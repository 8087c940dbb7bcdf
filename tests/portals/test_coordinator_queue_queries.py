"""The queue's cost does not grow with the table: the same number of SQL queries
for 30 cases and for 300, on the first page and on a deep one (keyset pagination);
and the state counts are one read of the counter table, exact after every change."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import ImportCase
from orders.selectors import (
    PER_PAGE,
    QUEUE_STATES,
    QueueFilters,
    _after,
    decode_cursor,
    encode_cursor,
    queue_cases,
    queue_page,
    state_counts,
)
from tests.conftest import make_patient, make_physician, need
from tests.portals.coordinator_helpers import bulk_cases, signed_in

QUEUE = "/work/"
ORDER = ("-priority", "state_changed_at", "id")


@pytest.fixture
def parties(db, physician, other_physician, patient, other_patient):
    extra = [make_physician(f"doc{i}@h.example", f"Doc {i}", f"R-{i}") for i in range(3)]
    return [physician, other_physician, *extra], [patient, other_patient] + [
        make_patient(None, f"Patient {i}") for i in range(3)
    ]


def _queries(client, params: dict) -> int:
    """Queries for one queue request (a search is posted first, as the page does: the
    term then lives in the session, behind the token in the URL)."""
    if params.get("q"):
        searched = client.post(QUEUE, {k: v for k, v in params.items() if k != "after"})
        token = parse_qs(urlsplit(searched["Location"]).query)["search"][0]
        params = {**{k: v for k, v in params.items() if k != "q"}, "search": token}
    with CaptureQueriesContext(connection) as captured:
        response = client.get(QUEUE, params)
    assert response.status_code == 200
    assert len(response.context["page"].rows) > 0
    return len(captured)


def _deep_cursor(user, params: dict) -> str:
    """The position of a row near the end of the filtered list: a deep page."""
    filters = QueueFilters(
        state=params.get("state", ""),
        coordinator=params.get("coordinator", ""),
        overdue=bool(params.get("overdue")),
        q=params.get("q", ""),
    )
    cases = queue_cases(filters, user=user, now=timezone.now()).order_by(*ORDER)
    total = cases.count()
    assert total >= 2
    return encode_cursor(cases[max(total - PER_PAGE - 3, 0)])


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"state": "in_transit"},
        {"overdue": "on", "coordinator": "none", "q": "BULK"},
    ],
)
def test_queue_queries_do_not_grow_with_rows_or_pages(coordinator, parties, lupkynis, filters):
    physicians, patients = parties
    client = signed_in(coordinator)
    measured = {}
    for size in (30, 300):
        ImportCase.objects.filter(reference__startswith="BULK").delete()
        bulk_cases(
            size,
            creator=coordinator,
            physicians=physicians,
            patients=patients,
            product=lupkynis,
        )
        measured[(size, "first")] = _queries(client, filters)
        deep = {**filters, "after": _deep_cursor(coordinator, filters)}
        measured[(size, "deep")] = _queries(client, deep)
    assert len(set(measured.values())) == 1, measured


def test_a_deep_page_continues_the_order_of_the_first(coordinator, parties, lupkynis):
    physicians, patients = parties
    bulk_cases(80, creator=coordinator, physicians=physicians, patients=patients, product=lupkynis)
    client = signed_in(coordinator)
    seen, params = [], {}
    while True:
        page = client.get(QUEUE, params).context["page"]
        seen += [row.pk for row in page.rows]
        if not page.next_cursor:
            break
        params = {"after": page.next_cursor}
    expected = list(
        ImportCase.objects.filter(status__in=QUEUE_STATES)
        .order_by(*ORDER)
        .values_list("pk", flat=True)
    )
    assert seen == expected
    # urgent first
    urgent = set(ImportCase.objects.filter(priority="urgent").values_list("pk", flat=True))
    assert all(pk in urgent for pk in seen[: len(urgent)])


def test_a_tampered_cursor_shows_the_first_page(coordinator, parties, lupkynis):
    physicians, patients = parties
    bulk_cases(30, creator=coordinator, physicians=physicians, patients=patients, product=lupkynis)
    client = signed_in(coordinator)
    first = client.get(QUEUE).context["page"]
    tampered = client.get(QUEUE, {"after": "not-a-cursor!"}).context["page"]
    assert [r.pk for r in tampered.rows] == [r.pk for r in first.rows]


def test_state_counts_are_one_query_and_exact_after_each_change(
    coordinator, parties, lupkynis, case_in
):
    physicians, patients = parties
    bulk_cases(30, creator=coordinator, physicians=physicians, patients=patients, product=lupkynis)
    with CaptureQueriesContext(connection) as read:
        first = state_counts()
    assert len(read) == 1
    assert sum(first.values()) == ImportCase.objects.count()
    assert first["draft"] == 1  # the case the fixture opened
    case_in("submitted")  # moved out of draft: counted at once
    counts = state_counts()
    assert counts["submitted"] == first.get("submitted", 0) + 1
    assert "draft" not in counts


@pytest.mark.postgres
def test_on_postgresql_a_deep_page_starts_its_index_range_at_the_cursor(
    coordinator, parties, lupkynis
):
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    physicians, patients = parties
    bulk_cases(
        5000, creator=coordinator, physicians=physicians, patients=patients, product=lupkynis
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_importcase")
    now = timezone.now()
    for filters in (QueueFilters(), QueueFilters(state="in_transit")):
        cases = queue_cases(filters, user=coordinator, now=now).order_by(*ORDER)
        deep = cases[cases.count() - 30]
        page = cases.filter(_after(decode_cursor(encode_cursor(deep))))[:26]
        plan = page.explain()
        # The rows before the cursor are not read: the index range starts at it.
        assert "case_queue" in plan, plan
        starts = [line for line in plan.splitlines() if "Index Cond" in line]
        assert any("state_changed_at >=" in line for line in starts), plan


def test_previous_goes_back_to_the_rows_before(coordinator, parties, lupkynis):
    physicians, patients = parties
    bulk_cases(80, creator=coordinator, physicians=physicians, patients=patients, product=lupkynis)
    client = signed_in(coordinator)
    pages = [client.get(QUEUE).context["page"]]
    while pages[-1].next_cursor:
        pages.append(client.get(QUEUE, {"after": pages[-1].next_cursor}).context["page"])
    assert len(pages) == 4  # 25, 25, 25, 5 of the 80
    assert pages[0].previous_cursor is None
    for earlier, later in itertools.pairwise(pages):
        back = client.get(QUEUE, {"before": later.previous_cursor}).context["page"]
        assert [r.pk for r in back.rows] == [r.pk for r in earlier.rows]
        assert back.next_cursor == earlier.next_cursor
        assert (back.previous_cursor is None) == (earlier is pages[0])
    html = client.get(QUEUE, {"after": pages[0].next_cursor}).content.decode()
    assert 'rel="prev"' in html and 'rel="next"' in html
    with CaptureQueriesContext(connection) as backwards:
        client.get(QUEUE, {"before": pages[2].previous_cursor})
    with CaptureQueriesContext(connection) as forwards:
        client.get(QUEUE, {"after": pages[0].next_cursor})
    assert len(backwards) == len(forwards)


def test_a_page_reads_its_names_without_joining_their_tables(coordinator, parties, lupkynis):
    """The row query joins nothing (PostgreSQL planned the six-table join in several
    times the time it read the page); each row still carries its case's names."""
    physicians, patients = parties
    bulk_cases(40, creator=coordinator, physicians=physicians, patients=patients, product=lupkynis)
    every_other = list(ImportCase.objects.order_by("pk").values_list("pk", flat=True))[::2]
    ImportCase.objects.filter(pk__in=every_other).update(assigned_coordinator=coordinator)
    with CaptureQueriesContext(connection) as captured:
        page = queue_page(QueueFilters(), user=coordinator)
    rows_sql = [q["sql"] for q in captured.captured_queries if f"LIMIT {PER_PAGE + 1}" in q["sql"]]
    assert len(rows_sql) == 1 and " JOIN " not in rows_sql[0], rows_sql
    cases = ImportCase.objects.select_related(
        "patient", "physician", "product", "assigned_coordinator", "pathway"
    ).in_bulk([row.pk for row in page.rows])
    assert len(page.rows) == PER_PAGE
    assigned = 0
    for row in page.rows:
        case = cases[row.pk]
        assert row.patient_name == case.patient.full_name
        assert row.physician_name == case.physician.full_name
        assert (row.product_name, row.product_strength) == (
            case.product.brand_name,
            case.product.strength,
        )
        coordinator_name = case.assigned_coordinator and case.assigned_coordinator.full_name
        assert row.coordinator_name == coordinator_name
        assigned += coordinator_name is not None
        assert row.due.allowed == case.pathway.expected_time(case.status, case.priority)
    assert 0 < assigned < PER_PAGE
