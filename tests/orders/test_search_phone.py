"""A patient's phone is found by its digits however it was written: the database's
keys (the identifiers and the search document) and the search term follow one rule,
orders.search.phone_digits."""

from __future__ import annotations

import pytest

from orders.models import CaseIdentifier, CaseSearch, ImportCase
from orders.search import phone_digits, search_condition
from tests.conftest import new_case

WRITTEN = [
    "98765/43210",
    "98765 43210 ext",
    "+91 98765 43210 x",
    "098765.43210",
    "(+91) 98765_43210",
]


def found(term: str) -> set[int]:
    return set(ImportCase.objects.filter(search_condition(term)).values_list("pk", flat=True))


@pytest.fixture
def decoy(other_physician, other_patient, lupkynis) -> ImportCase:
    """Another case, so that a search that finds everything fails."""
    other_patient.phone = "+91 77777 22222"
    other_patient.save()
    return new_case(physician=other_physician, patient=other_patient, product=lupkynis)


@pytest.mark.parametrize("written", WRITTEN)
def test_a_case_is_found_by_the_digits_of_a_phone_however_written(draft_case, decoy, written):
    patient = draft_case.patient
    patient.phone = written
    patient.save()

    assert found("9876543210") == {draft_case.pk}
    assert found("98765 43210") == {draft_case.pk}
    # A piece of the number: the substring path, through the search document.
    assert found("6543210") == {draft_case.pk}


@pytest.mark.parametrize("written", WRITTEN)
def test_the_databases_phone_keys_are_the_python_rules(draft_case, written):
    patient = draft_case.patient
    patient.phone = written
    patient.save()
    digits = phone_digits(written)

    keys = set(CaseIdentifier.objects.filter(case=draft_case).values_list("key", flat=True))

    assert {digits, digits[-10:]} <= keys
    assert digits in CaseSearch.objects.get(case=draft_case).document


def test_a_phone_is_its_ascii_digits_and_nothing_else():
    assert phone_digits("+91 (98765) 43210 ext. 7") == "9198765432107"
    assert phone_digits("९८७६५") == ""
    assert phone_digits("no digits") == ""
