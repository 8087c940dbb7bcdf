"""The search's exact path: a term that is a whole identifier (or a whole name) finds the
cases it names through a b-tree, never through the trigram search, and the table of
identifiers the database keeps stays exact whatever writes the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import CaseIdentifier, ImportCase, Patient, Shipment
from orders.search import EXACT, exact_condition, phone_digits, search_condition
from orders.selectors import QueueFilters, queue_page
from orders.states import CaseStatus
from tests.conftest import make_patient, new_case
from tests.portals.coordinator_helpers import bulk_cases

S = CaseStatus


def rows() -> set[tuple[int, str]]:
    return set(CaseIdentifier.objects.values_list("case_id", "key"))


def source() -> set[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT case_id, key FROM orders_caseidentifier_source")
        return set(cursor.fetchall())


def normalised(text: str) -> str:
    return text.replace(" ", "").replace("-", "").lower()


def expected() -> set[tuple[int, str]]:
    """What the table should hold, computed here from the models (not from the view)."""
    keys = set()
    for case in ImportCase.objects.select_related("patient"):
        digits = phone_digits(case.patient.phone)
        values = [
            case.regulator_reference,
            case.permit_number,
            case.bill_of_entry_number,
            case.delivered_lot,
            digits,
            digits[-10:],
            case.patient.id_document_number_masked[-4:],
            *(
                value
                for shipment in Shipment.objects.filter(case=case)
                for value in (shipment.batch_number, shipment.tracking_number)
            ),
        ]
        keys |= {(case.pk, normalised(value)) for value in values if normalised(value)}
    return keys


def exact_cases(term: str) -> set[str]:
    condition = exact_condition(term)
    if condition is None:
        return set()
    return set(ImportCase.objects.filter(condition).values_list("reference", flat=True))


@pytest.fixture
def delivered(case_in) -> ImportCase:
    case = case_in(S.DELIVERED)
    ImportCase.objects.filter(pk=case.pk).update(regulator_reference="SUGAM/2026/NP/88123")
    return ImportCase.objects.get(pk=case.pk)


@pytest.fixture
def container(delivered, other_physician, other_patient, lupkynis) -> ImportCase:
    """Another case whose identifiers contain the delivered case's as substrings: the
    trigram search would find both."""
    other_patient.phone = "+91 77777 22222"
    other_patient.set_identity_number("5555 6666 7777")
    other_patient.full_name = "Priya Menon Iyer"
    other_patient.save()
    case = new_case(physician=other_physician, patient=other_patient, product=lupkynis)
    ImportCase.objects.filter(pk=case.pk).update(
        permit_number=f"{delivered.permit_number}/2",
        bill_of_entry_number=f"9012{delivered.bill_of_entry_number}",
        regulator_reference=f"{delivered.regulator_reference}7",
    )
    shipment = delivered.shipments.get()
    Shipment.objects.create(
        case=case, batch_number=f"{shipment.batch_number}-B", tracking_number="9845000000 1"
    )
    return case


def test_each_whole_identifier_finds_its_case_and_not_those_that_contain_it(delivered, container):
    shipment = delivered.shipments.get()
    quoted = {
        "phone as written": "+91 98450 00000",
        "phone without the country code": "98450-00000",
        "identity last four": "9012",
        "regulator reference, any case and spacing": "sugam/2026/np/88123 ",
        "permit number": delivered.permit_number,
        "bill of entry": delivered.bill_of_entry_number,
        "lot delivered, with a dash": delivered.delivered_lot[:2]
        + "-"
        + delivered.delivered_lot[2:],
        "lot shipped": shipment.batch_number,
        "AWB, spaced": " ".join(shipment.tracking_number),
        "patient's whole name": "PRIYA  menon",
        "physician's whole name": "anil rao",
        "physician's name with the title": "Dr. Anil Rao",
    }
    # Each of them is inside the container case's search document too.
    document = container.search.document
    assert "98450000" in document and "9012" in document and "priya menon" in document

    missed = {what: q for what, q in quoted.items() if exact_cases(q) != {delivered.reference}}

    assert missed == {}
    # Through the page's condition as well: the exact path wins over the substring
    # (but for four digits: tests below).
    for what, q in quoted.items():
        if what == "identity last four":
            continue
        assert set(
            ImportCase.objects.filter(search_condition(q)).values_list("reference", flat=True)
        ) == {delivered.reference}


def test_a_term_that_is_no_whole_identifier_falls_back_to_the_substring(delivered, container):
    assert exact_condition("Menon") is None
    assert exact_condition(delivered.permit_number[:-2]) is None
    found = ImportCase.objects.filter(search_condition("Menon")).values_list("pk", flat=True)
    assert set(found) == {delivered.pk, container.pk}


def test_four_digits_add_the_identity_they_name_to_what_contains_them(delivered, container):
    """'9012' is the delivered patient's last four and a piece of the container's Bill
    of Entry; '2026' a piece of every reference: the exact path does not hide them."""
    found = ImportCase.objects.filter(search_condition("9012")).values_list("pk", flat=True)
    assert set(found) == {delivered.pk, container.pk}
    Patient.objects.filter(pk=container.patient_id).update(id_document_number_masked="XXXXXXXX2026")
    every = ImportCase.objects.filter(search_condition("2026")).values_list("pk", flat=True)
    assert set(every) == {delivered.pk, container.pk}  # both references hold 2026


def test_a_name_the_page_filters_out_falls_back_to_what_contains_it(
    coordinator, delivered, container
):
    """'Priya Menon' names the delivered case exactly; filtered to the other physician's
    cases, where it names none, the search finds Priya Menon Iyer's instead of nothing."""
    everywhere = queue_page(QueueFilters(q="Priya Menon"), user=coordinator)
    theirs = QueueFilters(q="Priya Menon", physician=str(container.physician_id))

    assert [row.reference for row in everywhere.rows] == [delivered.reference]
    assert [row.reference for row in queue_page(theirs, user=coordinator).rows] == [
        container.reference
    ]


def test_a_whole_identifier_is_found_in_two_statements_without_the_trigram_search(
    coordinator, delivered, container
):
    with CaptureQueriesContext(connection) as captured:
        page = queue_page(QueueFilters(q="+91 98450 00000"), user=coordinator)

    assert [row.reference for row in page.rows] == [delivered.reference]
    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) == 2
    assert "orders_caseidentifier" in statements[0]
    assert not any("orders_casesearch" in sql for sql in statements)


def test_more_cases_than_the_list_holds_are_read_through_a_subquery(
    coordinator, physician, patient, lupkynis, monkeypatch
):
    cases = bulk_cases(4, creator=coordinator, physicians=[physician], patients=[patient],
                       product=lupkynis)  # fmt: skip
    monkeypatch.setattr("orders.search.EXACT_LIST", 2)

    condition = exact_condition("+91 98450 00000")

    assert "orders_caseidentifier" in str(ImportCase.objects.filter(condition).query)
    found = set(ImportCase.objects.filter(condition).values_list("pk", flat=True))
    assert found == {case.pk for case in cases}


def test_the_identifiers_follow_updates_moves_and_deletes(delivered, other_case, patient):
    shipment = delivered.shipments.get()
    patient.phone = "+91 99000 11122"
    patient.save()
    Shipment.objects.filter(pk=shipment.pk).update(tracking_number="AWB-NEW-777")
    ImportCase.objects.filter(pk=delivered.pk).update(permit_number="12B/NEW/1")
    assert exact_cases("9900011122") == {delivered.reference}
    assert exact_cases("awb new 777") == {delivered.reference}
    assert exact_cases("98450 00000") == {other_case.reference}  # the other patient's
    assert rows() == expected() == source()

    Shipment.objects.filter(pk=shipment.pk).update(case=other_case)
    assert exact_cases("AWB-NEW-777") == {other_case.reference}
    # The lot delivered is still the delivered case's, by its own column.
    assert exact_cases(shipment.batch_number) == {delivered.reference, other_case.reference}
    assert rows() == expected() == source()

    Shipment.objects.filter(pk=shipment.pk).delete()
    assert exact_cases("AWB-NEW-777") == set()
    assert rows() == expected() == source()

    ImportCase.objects.filter(pk=other_case.pk).update(patient=delivered.patient)
    assert exact_cases("9900011122") == {delivered.reference, other_case.reference}
    assert rows() == expected() == source()


def test_a_deleted_case_leaves_no_identifiers(coordinator, physician, patient, lupkynis):
    cases = bulk_cases(3, creator=coordinator, physicians=[physician], patients=[patient],
                       product=lupkynis)  # fmt: skip
    assert {case_id for case_id, _ in rows()} == {case.pk for case in cases}

    ImportCase.objects.filter(pk=cases[0].pk).delete()

    assert {case_id for case_id, _ in rows()} == {case.pk for case in cases[1:]}


# Few letters, so that values collide: two cases share a key, a case holds one twice.
value = st.text(alphabet="aB1- ", min_size=0, max_size=4)
CASES, PATIENTS = 3, 2
write = st.one_of(
    st.tuples(
        st.just("case"),
        st.integers(0, CASES - 1),
        st.sampled_from(
            ["regulator_reference", "permit_number", "bill_of_entry_number", "delivered_lot"]
        ),
        value,
    ),
    st.tuples(st.just("patient of"), st.integers(0, CASES - 1), st.integers(0, PATIENTS - 1)),
    st.tuples(st.just("phone"), st.integers(0, PATIENTS - 1), st.text("+91 2-/x_", max_size=14)),
    st.tuples(st.just("identity"), st.integers(0, PATIENTS - 1), value),
    st.tuples(st.just("ship"), st.integers(0, CASES - 1), value, value),
    st.tuples(st.just("reship"), st.integers(0, 5), st.integers(0, CASES - 1), value),
    st.tuples(st.just("unship"), st.integers(0, 5)),
)


@pytest.fixture
def small_world(coordinator, physician, lupkynis) -> tuple[list[int], list[Patient]]:
    patients = [make_patient(None, f"Patient {n}") for n in range(PATIENTS)]
    cases = bulk_cases(CASES, creator=coordinator, physicians=[physician], patients=patients,
                       product=lupkynis)  # fmt: skip
    return [case.pk for case in cases], patients


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=st.lists(write, min_size=1, max_size=12))
def test_the_identifiers_equal_the_cases_after_any_mix_of_writes(writes, small_world):
    cases, patients = small_world
    for kind, *args in writes:
        shipments = list(Shipment.objects.order_by("pk").values_list("pk", flat=True))
        if kind == "case":
            index, column, text = args
            ImportCase.objects.filter(pk=cases[index]).update(**{column: text})
        elif kind == "patient of":
            ImportCase.objects.filter(pk=cases[args[0]]).update(patient=patients[args[1]])
        elif kind == "phone":
            Patient.objects.filter(pk=patients[args[0]].pk).update(phone=args[1])
        elif kind == "identity":
            patient = Patient.objects.get(pk=patients[args[0]].pk)
            patient.id_document_number_masked = args[1]
            patient.save()
        elif kind == "ship":
            Shipment.objects.create(case_id=cases[args[0]], batch_number=args[1],
                                    tracking_number=args[2])  # fmt: skip
        elif kind == "reship" and shipments:
            index, case_index, text = args
            Shipment.objects.filter(pk=shipments[index % len(shipments)]).update(
                case_id=cases[case_index], tracking_number=text
            )
        elif kind == "unship" and shipments:
            Shipment.objects.filter(pk=shipments[args[0] % len(shipments)]).delete()
        assert rows() == expected()
    assert rows() == source()


def test_the_exact_lookup_is_served_by_indexes(db):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's; SQLite's tables here are too small to tell")
    with connection.cursor() as cursor:
        # Empty tables: without this the planner reads them whole, which proves nothing.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + EXACT, ["x", "x", "x", "x"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "orders_caseidentifier_pkey" in plan
    assert "patient_name_lower_idx" in plan
    assert "physician_name_lower_idx" in plan
