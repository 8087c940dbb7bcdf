"""The product's safety screen: co-medications and lab/vital thresholds.

All limits come from the product's catalogue data; nothing is specific to one drug.
A threshold is {"measure", "label", "unit", and "min_exclusive" | "min" | "max"}.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass(frozen=True)
class ScreenResult:
    contraindicated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)

    @property
    def clear(self) -> bool:
        return not (self.contraindicated or self.missing or self.unmet)


def screen(
    product: Any, *, co_medications: Iterable[str], measurements: Mapping[str, Any]
) -> ScreenResult:
    result = ScreenResult()
    taken = [name.strip().lower() for name in co_medications if name and name.strip()]
    for drug in product.contraindicated_comedications:
        if any(drug.lower() in name for name in taken):
            result.contraindicated.append(drug)
    for threshold in product.safety_thresholds:
        label = threshold["label"]
        value = _number(measurements.get(threshold["measure"]))
        if value is None:
            result.missing.append(label)
        elif not threshold_met(threshold, value):
            result.unmet.append(f"{label} {value} {threshold.get('unit', '')}".strip())
    return result


def threshold_met(threshold: Mapping[str, Any], value: Decimal) -> bool:
    if "min_exclusive" in threshold and not value > Decimal(str(threshold["min_exclusive"])):
        return False
    if "min" in threshold and value < Decimal(str(threshold["min"])):
        return False
    return not ("max" in threshold and value > Decimal(str(threshold["max"])))


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
