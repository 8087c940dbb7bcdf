"""The facts a regulator's form or a generated paper is filled from, by name.

A pathway lists, per form it generates (`Pathway.required_fields`, beside
`Pathway.forms`), the names below that must not be blank before the paper goes out:
`file_application` refuses naming each blank one of the pack, and the papers print
the same text (`text_of`), so a test can find each required value in the PDF. Names,
not code, are the data: a new country lists the names its forms need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps

from orders.countries import country_name

if TYPE_CHECKING:
    from orders.models import ImportCase


@dataclass(frozen=True)
class FormField:
    label: str  # as a refusal names it: "the applicant's occupation"
    text: Callable[[ImportCase], str]  # as the paper prints it; "" when blank


def _importer(case: ImportCase, attribute: str) -> str:
    # Through the app registry: the models import this module (their guards do).
    importer = apps.get_model("orders", "Importer").current()
    if importer is None:
        return ""
    if attribute == "address":
        return ", ".join(importer.address_lines()) if importer.address.strip() else ""
    return str(getattr(importer, attribute) or "").strip()


def _supplier(case: ImportCase, attribute: str) -> str:
    supplier = case.source_of_supply
    if supplier is None:
        return ""
    if attribute == "country":
        return country_name(supplier.country)
    return supplier.name


def _quantity(case: ImportCase) -> str:
    packs = case.quantity_packs
    if not packs:
        return ""
    return f"{packs} pack{'s' if packs != 1 else ''} of {case.product.units_per_pack}"


def _identity(case: ImportCase) -> str:
    patient = case.patient
    if not patient.id_document_number_masked:
        return ""
    return f"{patient.get_id_document_type_display()} {patient.id_document_number_masked}"


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


FIELDS: dict[str, FormField] = {
    "applicant_name": FormField("the applicant's name", lambda c: _text(c.patient.full_name)),
    "applicant_address": FormField(
        "the applicant's address",
        lambda c: ", ".join(c.patient.address_lines()) if c.patient.address.strip() else "",
    ),
    "applicant_occupation": FormField(
        "the applicant's occupation", lambda c: _text(c.patient.occupation)
    ),
    "applicant_identity": FormField("the applicant's identity document", _identity),
    "drug_name": FormField("the name of the drug", lambda c: _text(c.product.brand_name)),
    "drug_generic_name": FormField(
        "the generic name of the drug", lambda c: _text(c.product.generic_name)
    ),
    "drug_strength": FormField(
        "the strength of the drug",
        lambda c: f"{c.product.strength} {c.product.dosage_form}".strip(),
    ),
    "quantity": FormField("the quantity (packs)", _quantity),
    "prescribed_dose": FormField("the prescribed dose", lambda c: _text(c.prescribed_dose)),
    "treatment_days": FormField(
        "the treatment duration",
        lambda c: f"{c.treatment_days} days" if c.treatment_days else "",
    ),
    "justification": FormField("the clinical justification", lambda c: _text(c.justification)),
    "supply_country": FormField(
        "the country of supply (the supplier's country)",
        lambda c: _supplier(c, "country"),
    ),
    "supply_source": FormField(
        "the source of supply (the product's supplier)", lambda c: _supplier(c, "name")
    ),
    "port_of_entry": FormField("the port of entry", lambda c: c.port_of_entry_name),
    "prescriber_name": FormField(
        "the prescribing practitioner's name", lambda c: _text(c.physician.full_name)
    ),
    "prescriber_registration": FormField(
        "the prescribing practitioner's registration number",
        lambda c: _text(c.physician.registration_number),
    ),
    "prescriber_council": FormField(
        "the prescribing practitioner's registration council",
        lambda c: _text(c.physician.registration_council),
    ),
    "importer_name": FormField("the importer's name", lambda c: _importer(c, "name")),
    "importer_address": FormField("the importer's address", lambda c: _importer(c, "address")),
    "importer_drug_licence": FormField(
        "the importer's drug licence number", lambda c: _importer(c, "drug_licence_number")
    ),
    "importer_iec": FormField("the importer's IEC", lambda c: _importer(c, "iec")),
    "importer_gstin": FormField("the importer's GSTIN", lambda c: _importer(c, "gstin")),
    "permit_number": FormField("the permit number", lambda c: _text(c.permit_number)),
}


def unknown_fields(required: Mapping[str, Iterable[str]] | object) -> set[str]:
    """Names in a pathway's `required_fields` that this module does not know."""
    if not isinstance(required, Mapping):
        return {"(required_fields must map a form to a list of names)"}
    unknown: set[str] = set()
    for names in required.values():
        if isinstance(names, str) or not isinstance(names, Iterable):
            unknown.add(repr(names))
            continue
        unknown.update(str(name) for name in names if name not in FIELDS)
    return unknown


def required_for(case: ImportCase, form: str) -> list[str]:
    return list(case.pathway.required_fields.get(form, []))


def text_of(case: ImportCase, name: str) -> str:
    return FIELDS[name].text(case)


def blank_fields(case: ImportCase, forms: Iterable[str]) -> list[str]:
    """The labels of the required fields of `forms` that are blank on `case`, each
    once, in the order the forms list them."""
    blanks: list[str] = []
    for form in forms:
        for name in required_for(case, form):
            field = FIELDS.get(name)
            label = field.label if field else f"the field {name!r} (unknown to this service)"
            if (field is None or not field.text(case)) and label not in blanks:
                blanks.append(label)
    return blanks
