"""make_load writes data shaped like a service's years, usable by everything after it."""

from __future__ import annotations

from django.core.management import call_command
from django.db.models import Count

from orders.load import make_load, rebuild_derived_tables
from orders.models import (
    CaseEvent,
    CaseIdentifier,
    CaseSearch,
    ImportCase,
    Patient,
    Physician,
)
from orders.selectors import state_counts
from orders.states import OPEN_STATES, CaseStatus
from tests.conftest import new_case

S = CaseStatus


def fresh_count() -> dict[str, int]:
    return dict(ImportCase.objects.order_by().values_list("status").annotate(n=Count("pk")))


def test_make_load_writes_the_shape_and_keeps_counts_and_search_exact(
    catalogue, physician, patient
):
    loaded = make_load(cases=1000, seed=7)

    assert ImportCase.objects.count() == loaded.cases == 1000
    assert Patient.objects.count() == 250 + 1 and Physician.objects.count() == 5 + 1
    open_share = ImportCase.objects.filter(status__in=OPEN_STATES).count() / 1000
    assert 0.20 < open_share < 0.30
    urgent = ImportCase.objects.filter(priority="urgent").count() / 1000
    assert 0.03 < urgent < 0.09
    events = CaseEvent.objects.count()
    assert 2.5 * 1000 < events <= 3 * 1000
    assert state_counts() == fresh_count()
    assert CaseSearch.objects.count() == 1000
    closed = ImportCase.objects.filter(status=S.CLOSED).first()
    document = CaseSearch.objects.get(case=closed).document
    for identifier in (closed.reference, closed.permit_number, closed.bill_of_entry_number):
        assert identifier.lower() in document
    keys = set(CaseIdentifier.objects.filter(case=closed).values_list("key", flat=True))
    assert {closed.permit_number.lower(), closed.bill_of_entry_number} <= keys
    # Open cases wait in their state for days, not years; history spreads over years.
    ages = ImportCase.objects.filter(status=S.AWAITING_PERMIT).values_list(
        "state_changed_at", flat=True
    )
    assert ages
    # A case opened afterwards gets the next reference of its year.
    created = new_case(physician=physician, patient=patient, product=closed.product)
    assert created.reference not in set(
        ImportCase.objects.exclude(pk=created.pk).values_list("reference", flat=True)
    )


def test_the_derived_tables_rebuild_to_what_the_triggers_kept(catalogue):
    make_load(cases=300, seed=3)
    # A second load appends: on PostgreSQL it writes the derived rows of its own cases
    # only, and must leave the first load's as they were.
    make_load(cases=200, seed=4)
    assert ImportCase.objects.count() == 500
    counts = state_counts()
    documents = dict(CaseSearch.objects.values_list("case_id", "document"))
    identifiers = set(CaseIdentifier.objects.values_list("case_id", "key"))
    assert identifiers
    rebuild_derived_tables()
    assert state_counts() == counts == fresh_count()
    assert dict(CaseSearch.objects.values_list("case_id", "document")) == documents
    assert set(CaseIdentifier.objects.values_list("case_id", "key")) == identifiers
    assert len(documents) == 500 and {case for case, _ in identifiers} == set(documents)


def test_the_command_says_what_it_loaded(catalogue, capsys):
    call_command("make_load", cases=50)
    out = capsys.readouterr().out
    assert "50 cases" in out
    # A line per phase as it ends, with its time.
    for phase in ("people", "cases", "events", "shipments", "commit"):
        assert f" {phase}: " in out
