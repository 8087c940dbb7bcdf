"""How a case event reads: its title and its details, in words, for every reader of
the history (the coordinator's timeline, the case record an inspector reads).

`DETAIL_LABELS` is the one table from an event's data keys to what a person calls
them, with how each value is written (a date, an amount in rupees, a list...). A
key missing from it is still shown, as its name in words, and a test walks every
event the system appends to catch it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from orders import adverse_events
from orders.display import format_date, format_datetime, format_money
from orders.models import AdverseEvent, CaseEvent, DutyExemption, ImportCase, Priority, Product

# How a value is written.
TEXT, DATE, DATETIME, YES_NO, MONEY, LIST, PERSON, PACKS, DAYS = (
    "text",
    "date",
    "datetime",
    "yes_no",
    "money",
    "list",
    "person",
    "packs",
    "days",
)

# data key -> (label, how the value is written). Keys of every event the services
# append: the transitions' inputs (orders.inputs), the request's fields (an edit
# records them), assignment, safety reports, resupply.
DETAIL_LABELS: dict[str, tuple[str, str]] = {
    # Opening a case, resupply
    "resupply_of": ("Resupply of", TEXT),
    "reused_documents": ("Documents still valid, reused", LIST),
    # The request (an edit records what changed)
    "product": ("Medicine", TEXT),
    "prescribed_dose": ("Prescribed dose", TEXT),
    "daily_units": ("Units a day", TEXT),
    "quantity_packs": ("Quantity", PACKS),
    "treatment_days": ("Treatment duration", DAYS),
    "justification": ("Clinical justification", TEXT),
    "port_of_entry": ("Port of entry", TEXT),
    "source_country": ("Country of supply", TEXT),
    "priority": ("Priority", TEXT),
    # Assignment
    "coordinator": ("Coordinator", PERSON),
    "previous": ("Previous coordinator", PERSON),
    # Verification
    "prescriber_registration_checked": ("Prescriber's registration confirmed", YES_NO),
    "patient_identity_checked": ("Patient identity matches", YES_NO),
    "product_match_checked": ("Drug, strength, dose and quantity match", YES_NO),
    "signature_checked": ("Prescription signed", YES_NO),
    "prescription_date": ("Prescription dated", DATE),
    "co_medications_reviewed": ("Co-medications reviewed", YES_NO),
    "co_medications": ("Co-medications", LIST),
    "threshold_justification": ("Justification for an unmet safety threshold", TEXT),
    # Application and permit
    "regulator_reference": ("Regulator's reference", TEXT),
    "filed_pack": ("Application pack filed", TEXT),
    "permit_number": ("Permit number", TEXT),
    "permit_issued_on": ("Permit issued on", DATE),
    "permit_valid_until": ("Permit valid until", DATE),
    "permitted_quantity_packs": ("Permitted quantity", PACKS),
    # Dispatch
    "supplier": ("Supplier", PERSON),
    "purchase_order_number": ("Purchase order", TEXT),
    "batch_number": ("Lot", TEXT),
    "manufactured_on": ("Manufactured on", DATE),
    "expiry_date": ("Expiry date", DATE),
    "courier": ("Courier", TEXT),
    "tracking_number": ("Tracking number", TEXT),
    # Customs
    "bill_of_entry_number": ("Bill of Entry", TEXT),
    "assessable_value": ("Assessable value", MONEY),
    "duty_amount": ("Duty paid", MONEY),
    "duty_exemption": ("Duty exemption", TEXT),
    "clearance_date": ("Cleared on", DATE),
    # Delivery
    "delivered_to": ("Received by", TEXT),
    "delivered_at": ("Received at", DATETIME),
    "delivered_lot": ("Lot delivered", TEXT),
    # Side effects
    "adverse_event_id": ("Side-effect report", TEXT),
    "seriousness": ("Seriousness", TEXT),
    "due_on": ("To reach the manufacturer by", DATE),
    "forwarded_to": ("Sent to", TEXT),
    "safety_contact": ("Manufacturer's safety contact", TEXT),
    "document_version": ("Report version", TEXT),
    "sha256": ("SHA-256 of the file", TEXT),
    "acknowledged_on": ("Manufacturer confirmed receipt on", DATE),
    "manufacturer_reference": ("Manufacturer's reference", TEXT),
    "reason": ("Reason", TEXT),
    # Money (billing): the payer, quotations, payments, invoices
    "payer": ("Payer", TEXT),
    "payer_kind": ("Who pays", TEXT),
    "gstin": ("GSTIN", TEXT),
    "version": ("Quotation version", TEXT),
    "total": ("Total", MONEY),
    "valid_until": ("Valid until", DATE),
    "exemption": ("Duty exemption claimed", TEXT),
    "amount": ("Amount", MONEY),
    "method": ("Method", TEXT),
    "reference": ("Reference", TEXT),
    "received_on": ("Received on", DATE),
    "paid_on": ("Paid on", DATE),
    "balance_due": ("Balance due", MONEY),
    "number": ("Number", TEXT),
    "duty_difference": ("Duty assessed minus the estimate", MONEY),
    # Shipment milestones a courier or supplier reports (orders.milestones)
    "milestone": ("Milestone", TEXT),
    "occurred_at": ("When", DATETIME),
    "location": ("Where", TEXT),
}

# Keys that identify rows for the software, not facts for a reader.
HIDDEN_KEYS = frozenset({"document_id"})

# What each event did, in the past tense, moves of the state machine and other events
# alike ("Prescription verified", "Side effect reported"): the physician's history
# names every event so; the coordinator's timeline names a move by its label.
EVENT_TITLES = {
    # Moves of the state machine
    "submit": "Request submitted for verification",
    "resubmit": "Question answered, request resubmitted",
    "verify": "Prescription verified",
    "request_information": "The import team asked a question",
    "file_application": "Application filed with the regulator",
    "record_permit": "Import permit granted",
    "order_from_supplier": "Ordered from the supplier",
    "dispatch": "Dispatched",
    "arrive": "Arrived at customs",
    "clear_customs": "Cleared through customs",
    "quarantine": "Held for a quality check",
    "release": "Released after the quality check",
    "reorder": "Lot rejected and reordered",
    "confirm_delivery": "Delivery confirmed",
    "close": "Closed",
    "hold": "Paused",
    "resume": "Resumed",
    "reject": "Not approved",
    "cancel": "Withdrawn",
    # Events that are not moves
    CaseEvent.CREATED: "Request started",
    "update_request": "Request edited",
    adverse_events.REPORTED: "Side effect reported",
    adverse_events.PREPARED: "Side-effect report (CIOMS I) prepared for the manufacturer",
    adverse_events.UNSENT: "Side-effect report (CIOMS I) could not be sent",
    adverse_events.FORWARDED: "Side-effect report sent to the manufacturer",
    adverse_events.ACKNOWLEDGED: "Manufacturer confirmed receipt of the side-effect report",
    "set_payer": "Payer named",
    "issue_quotation": "Quotation issued",
    "accept_quotation": "Quotation accepted",
    "record_payment": "Payment received",
    "waive_payment": "Payment before ordering waived",
    "record_refund": "Refund paid",
    "issue_invoice": "Tax invoice issued",
    "issue_credit_note": "Credit note issued",
}


def event_done_title(event: CaseEvent) -> str:
    """What happened, in the past tense ("Prescription verified"), for the physician."""
    return EVENT_TITLES.get(event.transition) or event_title(event)


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def event_title(event: CaseEvent) -> str:
    """What happened, in a few words: the transition's label, or the event's title."""
    from orders.services import TRANSITIONS, transition_label

    if event.transition == "assign":
        coordinator = (event.data or {}).get("coordinator")
        return f"Assigned to {coordinator['name']}" if coordinator else "Unassigned"
    if event.transition == "shipment_milestone":
        from orders.milestones import Milestone

        code = (event.data or {}).get("milestone", "")
        return f"Shipment: {Milestone(code).label if code in Milestone.values else humanise(code)}"
    if event.transition in TRANSITIONS:
        return transition_label(event.transition)
    if event.transition in EVENT_TITLES:
        return EVENT_TITLES[event.transition]
    return humanise(event.transition)


def humanise(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def label_of(key: str) -> str:
    return DETAIL_LABELS[key][0] if key in DETAIL_LABELS else humanise(key)


def detail(label: str, value: str | list[str]) -> dict[str, Any]:
    """One line of an event's details: a label and either a value or a list of items."""
    if isinstance(value, list):
        return {"label": label, "value": "", "items": value}
    return {"label": label, "value": value, "items": []}


def event_details(event: CaseEvent, *, product: Product | None = None) -> list[dict[str, Any]]:
    """The event's data as labelled lines, in the order the event recorded them.
    `product` names the measurements of its safety screen (eGFR in mL/min/1.73 m2);
    the case's product when not given."""
    data = event.data or {}
    if event.transition == CaseEvent.CREATED and not data.get("resupply_of"):
        return []
    if product is None and any(str(key).startswith("measure_") for key in data):
        product = ImportCase.objects.select_related("product").get(pk=event.case_id).product
    lines: list[dict[str, Any]] = []
    for key, value in data.items():
        if key in HIDDEN_KEYS or _empty(value):
            continue
        if key == "changed" and isinstance(value, Mapping):
            lines += [_change(name, change) for name, change in value.items()]
        elif str(key).startswith("measure_"):
            lines.append(_measurement(str(key).removeprefix("measure_"), value, product))
        else:
            lines.append(detail(label_of(key), _written(key, value)))
    return lines


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _written(key: str, value: Any) -> str | list[str]:
    kind = DETAIL_LABELS.get(key, ("", ""))[1]
    if kind == LIST or isinstance(value, list):
        return [value_text(item) for item in value] if isinstance(value, list) else [str(value)]
    if kind == MONEY:
        with contextlib.suppress(ValueError):
            return format_money(value)
    if kind == PERSON and isinstance(value, Mapping):
        return str(value.get("name", ""))
    if kind == PACKS:
        return f"{value} pack{'' if str(value) == '1' else 's'}"
    if kind == DAYS:
        return f"{value} day{'' if str(value) == '1' else 's'}"
    if key == "duty_exemption":
        return _choice(DutyExemption, value)
    if key == "seriousness":
        return _choice(AdverseEvent.Seriousness, value)
    if key == "milestone":
        from orders.milestones import Milestone

        return _choice(Milestone, value)
    if key == "priority":
        return _choice(Priority, value)
    if key == "filed_pack" and isinstance(value, Mapping):
        return f"version {value.get('version')}, SHA-256 {value.get('sha256')}"
    if key == "adverse_event_id":
        return f"no. {value}"
    return value_text(value)


def _choice(choices, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def value_text(value: Any) -> str:
    """A value of unknown kind: dates and times as dates, booleans as yes or no."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Mapping):
        if "name" in value:
            return str(value["name"])
        return "; ".join(f"{label_of(k)}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, str) and ISO_DATETIME.match(value):
        with contextlib.suppress(ValueError):
            return format_datetime(dt.datetime.fromisoformat(value), short=True)
    if isinstance(value, str) and ISO_DATE.match(value):
        with contextlib.suppress(ValueError):
            return format_date(dt.date.fromisoformat(value))
    if isinstance(value, list):
        return ", ".join(value_text(item) for item in value)
    return str(value)


def _change(name: str, change: Any) -> dict[str, Any]:
    """An edited request field: "set to", "changed from ... to", or "cleared"."""
    if not isinstance(change, Mapping):
        return detail(label_of(name), value_text(change))
    before, after = change.get("from") or "", change.get("to") or ""
    if name in ("priority",):
        before, after = _choice(Priority, before) if before else "", _choice(Priority, after)
    if before in ("", "None") and after not in ("", "None"):
        return detail(label_of(name), f"set to {after}")
    if after in ("", "None"):
        return detail(label_of(name), f"cleared (was {before})")
    return detail(label_of(name), f"changed from {before} to {after}")


def _measurement(measure: str, value: Any, product: Product | None) -> dict[str, Any]:
    """A safety-screen measurement with the product's label and unit: "Diastolic BP:
    82 mmHg"."""
    threshold = next(
        (t for t in (product.safety_thresholds if product else []) if t["measure"] == measure),
        None,
    )
    label = threshold["label"] if threshold else humanise(measure)
    text = str(value)
    with contextlib.suppress(InvalidOperation, ValueError):
        number = Decimal(text).normalize()
        text = f"{number:f}"
    unit = (threshold or {}).get("unit", "")
    return detail(label, f"{text} {unit}".strip())
