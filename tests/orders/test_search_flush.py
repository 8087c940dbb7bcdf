"""Emptying the tables in any order leaves the search documents consistent: a shipment
deleted after the search rows (a flush deletes table by table, in no fixed order) must
not write its case's search row again, or the commit fails on the foreign key and
every later test starts on rows it did not make."""

from __future__ import annotations

import pytest
from django.core.management.color import no_style
from django.db import connection

from orders.models import CaseIdentifier, CaseSearch, Shipment
from orders.states import CaseStatus

S = CaseStatus


@pytest.mark.django_db(transaction=True)
def test_emptying_search_rows_before_shipments_commits_and_leaves_none(case_in):
    # The identifiers too (0020): a deleted shipment only deletes identifier rows.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL empties tables with TRUNCATE, which fires no row trigger")
    case = case_in(S.IN_TRANSIT)
    assert Shipment.objects.filter(case=case).exists()
    assert CaseSearch.objects.filter(case=case).exists()
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    first = ["orders_caseidentifier", "orders_casesearch", "orders_shipment"]
    ordered = first + sorted(table for table in tables if table not in first)

    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), ordered))

    assert not CaseSearch.objects.exists()
    assert not CaseIdentifier.objects.exists()
    assert not Shipment.objects.exists()


@pytest.mark.django_db
def test_deleting_a_shipment_still_updates_its_cases_search_document(case_in):
    case = case_in(S.IN_TRANSIT)
    shipment = case.current_shipment
    assert shipment.tracking_number.lower() in CaseSearch.objects.get(case=case).document

    Shipment.objects.filter(pk=shipment.pk).delete()

    assert shipment.tracking_number.lower() not in CaseSearch.objects.get(case=case).document
