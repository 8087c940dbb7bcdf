"""The migrations' rows (reference data) are there for a test that asks for them, the
same whatever ran before, and absent for one that does not."""

from __future__ import annotations

import pytest

from orders.models import Importer, Pathway, Product, Supplier
from tests import migration_data

REFERENCE = (Pathway, Product, Supplier, Importer)


def counts() -> list[int]:
    return [model.objects.count() for model in REFERENCE]


@pytest.mark.django_db
def test_a_test_starts_without_the_migrations_rows_as_after_a_flush():
    assert counts() == [0, 0, 0, 0]


def test_what_is_kept_is_what_the_migrations_wrote():
    assert {
        "orders.pathway",
        "orders.product",
        "orders.supplier",
        "orders.importer",
    } <= migration_data.captured_labels()
    assert not {"contenttypes.contenttype", "auth.permission"} & migration_data.captured_labels()


@pytest.mark.django_db
def test_the_catalogue_holds_the_migrated_reference_data(catalogue):
    india = Pathway.default()
    lupkynis = Product.objects.get(brand_name="Lupkynis")

    assert india.code == "IN-12A"
    assert india.duty["igst_percent"] == 5  # 0006 on top of 0003
    assert india.emergency_number == "112"  # 0010
    assert lupkynis.supplier == Supplier.objects.get(name="Aurinia Pharmaceuticals Inc.")
    assert Importer.objects.get().is_active


@pytest.mark.django_db
def test_restoring_again_puts_back_a_changed_row_and_adds_none(lupkynis):
    Product.objects.filter(pk=lupkynis.pk).update(units_per_pack=1)

    migration_data.restore()

    lupkynis.refresh_from_db()
    assert lupkynis.units_per_pack == 180
    assert counts() == [1, 1, 1, 1]


@pytest.mark.django_db(transaction=True)
def test_a_row_created_after_the_restore_gets_a_key_of_its_own(catalogue):
    other = Supplier.objects.create(name="Another distributor", country="DE", kind="manufacturer")

    assert other.pk > Supplier.objects.get(name="Aurinia Pharmaceuticals Inc.").pk
