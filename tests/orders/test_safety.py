"""The product's safety screen, the duty estimate and the days of supply: the
arithmetic the guards rely on."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from orders import safety
from orders.models import ImportCase

CLEAN = {"egfr": "72", "systolic_bp": "128", "diastolic_bp": "82"}


def screen(product, *, co_medications=(), **measurements):
    return safety.screen(
        product, co_medications=co_medications, measurements={**CLEAN, **measurements}
    )


# --- the screen ---------------------------------------------------------------------


def test_a_patient_on_the_usual_combination_with_normal_values_screens_clear(lupkynis):
    result = screen(lupkynis, co_medications=["mycophenolate mofetil", "prednisolone"])

    assert result.clear
    assert (result.contraindicated, result.missing, result.unmet) == ([], [], [])


@pytest.mark.parametrize(
    "listed", ["clarithromycin", "Clarithromycin 500 mg twice daily", "  KETOCONAZOLE  "]
)
def test_a_contraindicated_co_medication_is_found_whatever_its_case_or_dose(lupkynis, listed):
    result = screen(lupkynis, co_medications=["prednisolone", listed])

    assert not result.clear
    assert len(result.contraindicated) == 1
    assert result.contraindicated[0].lower() in listed.lower()


def test_every_contraindicated_co_medication_is_named(lupkynis):
    result = screen(lupkynis, co_medications=["itraconazole 100 mg", "clarithromycin 250 mg"])

    assert set(result.contraindicated) == {"itraconazole", "clarithromycin"}


def test_blank_co_medication_lines_are_ignored(lupkynis):
    result = screen(lupkynis, co_medications=["", "   ", "prednisolone"])

    assert result.clear


@pytest.mark.parametrize("value", [None, "", "high"], ids=["absent", "empty", "not-a-number"])
def test_a_measurement_that_is_absent_or_not_a_number_counts_as_missing(lupkynis, value):
    result = screen(lupkynis, egfr=value)

    assert result.missing == ["eGFR"]
    assert result.unmet == []


@pytest.mark.parametrize(
    ("measure", "value", "met"),
    [
        ("egfr", "45", False),  # "Do not start if eGFR is 45 or less"
        ("egfr", "44", False),
        ("egfr", "45.01", True),
        ("systolic_bp", "165", True),  # "above 165/105 mmHg"
        ("systolic_bp", "166", False),
        ("diastolic_bp", "105", True),
        ("diastolic_bp", "106", False),
    ],
)
def test_the_lupkynis_thresholds_follow_its_label(lupkynis, measure, value, met):
    result = screen(lupkynis, **{measure: value})

    assert result.clear is met
    assert len(result.unmet) == (0 if met else 1)
    if not met:
        assert value in result.unmet[0]


def test_an_unmet_threshold_is_described_with_its_value_and_unit(lupkynis):
    result = screen(lupkynis, egfr=40)

    (unmet,) = result.unmet
    assert unmet.startswith("eGFR 40")
    assert unmet.endswith("mL/min/1.73 m2")


def test_a_product_without_safety_data_always_screens_clear():
    product = SimpleNamespace(contraindicated_comedications=[], safety_thresholds=[])

    result = safety.screen(product, co_medications=["anything"], measurements={})

    assert result.clear


@pytest.mark.parametrize(
    ("threshold", "value", "met"),
    [
        ({"min_exclusive": 45}, "45", False),
        ({"min_exclusive": 45}, "45.5", True),
        ({"min": 45}, "45", True),
        ({"min": 45}, "44.9", False),
        ({"max": 165}, "165", True),
        ({"max": 165}, "165.1", False),
        ({"min": 2, "max": 4}, "3", True),
        ({"min": 2, "max": 4}, "1", False),
        ({"min": 2, "max": 4}, "5", False),
        ({"min": "0.5"}, "0.5", True),
        ({}, "-1000", True),
    ],
)
def test_threshold_met_compares_exclusive_and_inclusive_limits(threshold, value, met):
    assert safety.threshold_met(threshold, Decimal(value)) is met


# --- days of supply ---------------------------------------------------------------


def test_three_packs_of_lupkynis_at_six_capsules_a_day_last_90_days(lupkynis):
    case = ImportCase(product=lupkynis, quantity_packs=3, daily_units=6)

    assert lupkynis.units_per_pack == 180
    assert case.days_of_supply == 90


def test_days_of_supply_count_only_whole_days(lupkynis):
    case = ImportCase(product=lupkynis, quantity_packs=1, daily_units=7)

    assert case.days_of_supply == lupkynis.units_per_pack // 7
    assert case.days_of_supply * 7 <= lupkynis.units_per_pack < (case.days_of_supply + 1) * 7


@pytest.mark.parametrize("missing", ["quantity_packs", "daily_units"])
def test_days_of_supply_are_unknown_until_quantity_and_daily_units_are_given(lupkynis, missing):
    case = ImportCase(product=lupkynis, quantity_packs=3, daily_units=6)
    setattr(case, missing, None)

    assert case.days_of_supply is None
