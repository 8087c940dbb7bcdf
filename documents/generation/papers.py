"""Which papers the system generates, what each is made from, its data version and
its PDF."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.template.loader import get_template
from django.utils import translation

from documents.generation.application_pack import regulatory_application_data
from documents.generation.case_record import case_record_data
from documents.generation.declarations import patient_consent_data, physician_undertaking_data
from documents.generation.money import credit_note_data, proforma_invoice_data, tax_invoice_data
from documents.generation.parts import PaperIncomplete
from documents.generation.patient_information import patient_information_data
from documents.generation.purchase_order import purchase_order_data
from documents.models import DocumentKind
from documents.rendering import render_pdf
from orders.errors import DomainError
from orders.models import ImportCase
from orders.states import CaseStatus

K = DocumentKind
S = CaseStatus

# Which document a case needs when it enters a state (design section 4, data flow).
RENDERED_ON_ENTRY: dict[str, DocumentKind] = {
    S.FORMS_PREPARATION: K.REGULATORY_APPLICATION,
    S.SUPPLIER_ORDERING: K.PURCHASE_ORDER,
    S.OUT_FOR_DELIVERY: K.PATIENT_INFORMATION,
    S.CLOSED: K.CASE_RECORD,
}

# Which document a step within a state produces (billing's events, the order sent).
RENDERED_AFTER_EVENT: dict[str, DocumentKind] = {
    "issue_quotation": K.PROFORMA_INVOICE,
    "order_from_supplier": K.PURCHASE_ORDER,
    "issue_invoice": K.TAX_INVOICE,
    "issue_credit_note": K.CREDIT_NOTE,
}


# Papers are functions of the case: each is rendered from its data builder below (that
# builder is its declaration of what it is made from), and while the case is in one of
# the states listed here any change to that data (a document accepted or replaced, a
# signature, an edited request or application, a permit, a shipment, a delivery)
# renders a new version that supersedes the last (requests.refresh_papers). Outside
# them a paper is what was sent and stays as it is: the pack as filed with the
# regulator, the order as the supplier received it; the money papers are each issued
# once by their own event, and the case record once at closing.
REFRESHED_IN: dict[str, frozenset[str]] = {
    K.REGULATORY_APPLICATION: frozenset({S.FORMS_PREPARATION}),
    K.PURCHASE_ORDER: frozenset({S.SUPPLIER_ORDERING}),
    K.PATIENT_INFORMATION: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED}),
    # The papers signed before filing: made on entering preparation, made again when
    # what they say changes (a signature on the old version then no longer counts).
    K.PHYSICIAN_UNDERTAKING: frozenset({S.FORMS_PREPARATION}),
    K.PATIENT_CONSENT: frozenset({S.FORMS_PREPARATION}),
}


def reused_on_file(case: ImportCase, kind: str) -> bool:
    """A resupply holds this paper still valid from the case before (the consent the
    patient signed then): it is not made again, nor signed again (orders.resupply)."""
    return case.documents.current().filter(kind=kind, reused_from__isnull=False).exists()


def papers_refreshed_in(state: str) -> list[DocumentKind]:
    """The papers whose new data renders a new version while a case is in `state`."""
    return [kind for kind, states in REFRESHED_IN.items() if state in states]


def paper_for(transition: str, from_state: str, to_state: str) -> DocumentKind | None:
    """The paper an event asks for: the new state's, or the step's."""
    if from_state != to_state:
        return RENDERED_ON_ENTRY.get(to_state)
    return RENDERED_AFTER_EVENT.get(transition)


DATA_BUILDERS: dict[str, Callable[[ImportCase], dict[str, Any]]] = {
    K.REGULATORY_APPLICATION: regulatory_application_data,
    K.PURCHASE_ORDER: purchase_order_data,
    K.PATIENT_INFORMATION: patient_information_data,
    K.CASE_RECORD: case_record_data,
    K.PROFORMA_INVOICE: proforma_invoice_data,
    K.TAX_INVOICE: tax_invoice_data,
    K.CREDIT_NOTE: credit_note_data,
    K.PHYSICIAN_UNDERTAKING: physician_undertaking_data,
    K.PATIENT_CONSENT: patient_consent_data,
}
GENERATED_KINDS = frozenset(DATA_BUILDERS)


def template_for(kind: str) -> str:
    return f"documents/{kind}.html"


def document_data(case: ImportCase, kind: str) -> dict[str, Any]:
    if kind not in DATA_BUILDERS:
        raise DomainError(f"{kind!r} is not a document the system generates.")
    return DATA_BUILDERS[kind](case)


def version_of(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def data_version(case: ImportCase, kind: str) -> str:
    """SHA-256 of the exact data the document is rendered from. A paper that cannot
    be made yet (a blank where a fact is needed) still gets a version, of its refusal:
    its render job is recorded and fails with the reason, where a coordinator sees it."""
    try:
        return version_of(document_data(case, kind))
    except PaperIncomplete as refusal:
        return version_of({"incomplete": str(refusal)})


def render_document_pdf(case: ImportCase, kind: str) -> tuple[bytes, str]:
    """The PDF of `kind` for `case` as its data stands now, and that data's version."""
    data = document_data(case, kind)
    version = version_of(data)
    if kind == K.REGULATORY_APPLICATION:
        for section in data["sections"]:
            get_template(section["template"])  # a missing one fails with its name
    # A paper is written in its data's language (the patient sheet's is the patient's),
    # whoever's request or task renders it.
    with translation.override(data.get("language") or settings.LANGUAGE_CODE):
        pdf = render_pdf(template_for(kind), {**data, "data_version": version})
    return pdf, version
