"""What several papers show: the service, the patient, the physician, the product,
the request, the pathway, the supplier."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from documents.generation.formatting import (
    country_name,
    format_celsius,
    format_date,
    monitoring_sentences,
    plural,
)
from documents.models import DocumentKind
from orders.errors import DomainError
from orders.models import CaseEvent, ImportCase, Importer


class PaperIncomplete(DomainError):
    """A paper would have a blank where a reader needs a fact: it is not made."""


def require(paper: str, facts: dict[str, Any]) -> None:
    """Refuse `paper` when any of `facts` (what it is called -> its value) is empty,
    naming every missing one, so whoever fixes the data fixes all at once."""
    missing = [name for name, value in facts.items() if not value or not str(value).strip()]
    if missing:
        raise PaperIncomplete(f"{paper} cannot be made yet. Missing: {'; '.join(missing)}.")


def common(case: ImportCase, kind: DocumentKind) -> dict[str, Any]:
    return {
        "kind": str(kind),
        "title": kind.label,
        "service": {
            "name": settings.NPP_SERVICE_NAME,
            "phone": settings.NPP_SERVICE_PHONE,
            "email": settings.NPP_SERVICE_EMAIL,
        },
        "importer": importer(),
        "case": {
            "reference": case.reference,
            # Not the case's status: a paper is made from what it shows, and only the
            # case record shows the status (it adds it), so a move of the case alone
            # renders no new version of the others.
            "opened": format_date(timezone.localtime(case.created_at).date()),
            "regulator_reference": case.regulator_reference,
            "priority": case.get_priority_display(),
        },
    }


def patient(case: ImportCase) -> dict[str, Any]:
    patient = case.patient
    return {
        "name": patient.full_name,
        "date_of_birth": format_date(patient.date_of_birth),
        "sex": patient.get_sex_display(),
        "occupation": patient.occupation,
        "address_lines": patient.address_lines(),
        "phone": patient.phone,
        "email": patient.email,
        "id_document": patient.get_id_document_type_display(),
        "id_number_masked": patient.id_document_number_masked,
        # A minor's consent is signed by a parent or legal guardian: the papers say so.
        "minor": patient.is_minor(timezone.localdate()),
    }


def physician(case: ImportCase) -> dict[str, Any]:
    physician = case.physician
    return {
        "name": physician.full_name,
        "registration_number": physician.registration_number,
        "registration_council": physician.registration_council,
        "specialty": physician.specialty,
        "hospital": physician.hospital,
        "phone": physician.phone,
        "email": physician.email,
    }


def product(case: ImportCase) -> dict[str, Any]:
    product = case.product
    approvals = [
        {"country": country_name(a.get("country", "")), "regulator": a.get("regulator", "")}
        for a in product.approved_in
    ]
    return {
        "brand_name": product.brand_name,
        "generic_name": product.generic_name,
        "manufacturer": product.manufacturer,
        "strength": product.strength,
        "dosage_form": product.dosage_form,
        "dosage_form_plural": plural(product.dosage_form),
        "units_per_pack": product.units_per_pack,
        "dosing": product.dosing,
        "administration": product.administration,
        "missed_dose": product.missed_dose,
        "avoid": product.avoid,
        "dose_adjustment": product.dose_adjustment,
        "contraindicated_comedications": list(product.contraindicated_comedications),
        "approved_in": approvals,
        "approved_in_text": "; ".join(
            f"{a['regulator']} ({a['country']})" if a["regulator"] else a["country"]
            for a in approvals
        ),
        "storage": {
            "min": format_celsius(product.storage_min_c),
            "max": format_celsius(product.storage_max_c),
            "excursion_min": format_celsius(product.excursion_min_c),
            "excursion_max": format_celsius(product.excursion_max_c),
            "notes": product.storage_notes,
        },
        "monitoring": monitoring_sentences(product.monitoring_schedule),
    }


def request(case: ImportCase) -> dict[str, Any]:
    units = (case.quantity_packs or 0) * case.product.units_per_pack
    return {
        "prescribed_dose": case.prescribed_dose,
        "daily_units": case.daily_units,
        "quantity_packs": case.quantity_packs,
        "quantity_units": units,
        "treatment_days": case.treatment_days,
        "days_of_supply": case.days_of_supply,
        "justification": case.justification,
        "port_of_entry": case.port_of_entry_name,
    }


def pathway(case: ImportCase) -> dict[str, Any]:
    pathway = case.pathway
    return {
        "name": pathway.name,
        "country": country_name(pathway.country),
        "regulator": pathway.regulator,
        "application_form": pathway.application_form,
        "application_form_name": pathway.application_form.split(" (")[0],
        "application_form_basis": (pathway.application_form.partition(" (")[2].removesuffix(")")),
        "permit_form": pathway.permit_form,
        "quantity_cap_days": pathway.quantity_cap_days,
        "adverse_event_days": dict(pathway.adverse_event_days),
    }


def supplier(case: ImportCase, shipment=None) -> dict[str, Any]:
    """The source of supply: the shipment's supplier once named, else the product's."""
    named = shipment.supplier if shipment is not None and shipment.supplier_id else None
    supplier = named or case.source_of_supply
    if supplier is None:
        return {"name": "", "country": "", "kind": "", "email": ""}
    return {
        "name": supplier.name,
        "country": country_name(supplier.country),
        "kind": supplier.get_kind_display(),
        "email": supplier.contact_email,
    }


def importer() -> dict[str, Any]:
    """The importing service's legal identity (the one active Importer record)."""
    record = Importer.current()
    if record is None:
        return {}
    return {
        "name": record.name,
        "address_lines": record.address_lines(),
        "phone": record.phone,
        "email": record.email,
        "drug_licence_number": record.drug_licence_number,
        "iec": record.iec,
        "gstin": record.gstin,
    }


def order_number(case: ImportCase, shipment) -> str:
    if shipment and shipment.purchase_order_number:
        return shipment.purchase_order_number
    # A reorder after a rejected lot is a new order: number it after the rejections.
    rejected = case.shipments.filter(rejected_at__isnull=False).count()
    return f"PO-{case.reference}" + (f"-{rejected + 1}" if rejected else "")


def entered(case: ImportCase, state: str) -> CaseEvent | None:
    return case.events.filter(to_state=state).exclude(from_state=state).order_by("-pk").first()
