"""The regulatory application pack: its sections come from `Pathway.forms`, each a
template, and its checklist from the documents on file."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from documents.generation import parts
from documents.generation.declarations import SIGNED_BY, signed_state
from documents.generation.formatting import format_date
from documents.models import DocumentKind
from orders.errors import DomainError
from orders.models import ImportCase
from orders.resupply import reuse_note

K = DocumentKind

# Titles of the application pack's sections; a pathway lists the keys it needs in
# `Pathway.forms`, and each key has a template documents/_pack_<key>.html.
PACK_SECTION_TITLES = {
    "form_12a": "Application form",
    "justification_letter": "Physician's justification letter",
    "physician_undertaking": "Physician's undertaking",
    "patient_consent": "Patient's consent and declaration",
    "attachments_checklist": "Checklist of attachments",
}
SECTION_KEY = re.compile(r"^[a-z0-9_]{1,40}$")


def _documents_on_file(case: ImportCase) -> dict[str, dict[str, Any]]:
    """Each current document's version, review and electronic signatures: what the
    checklist says is on file, so accepting, replacing or signing one changes the pack."""
    documents = (
        case.documents.current()
        .select_related("reused_from__case__verification", "case__verification")
        .prefetch_related("signatures")
    )
    return {
        doc.kind: {
            "version": doc.version,
            "status": doc.get_review_status_display(),
            # A resupply's document still valid from the case before, with its own date.
            "reused": reuse_note(doc),
            "signed_by": [
                f"{signature.printed_name} on "
                f"{format_date(timezone.localtime(signature.signed_at).date())}"
                for signature in doc.signatures.all()
            ],
        }
        for doc in documents
    }


def pack_sections(case: ImportCase) -> list[dict[str, str]]:
    """The pack's sections, in the pathway's order: a key, a title and its template."""
    sections = []
    for key in case.pathway.forms:
        if not isinstance(key, str) or not SECTION_KEY.match(key):
            raise DomainError(f"The pathway lists an invalid form key {key!r}.")
        title = PACK_SECTION_TITLES.get(key, key.replace("_", " ").capitalize())
        if key == "form_12a":
            title = case.pathway.application_form
        sections.append({"key": key, "title": title, "template": f"documents/_pack_{key}.html"})
    return sections


def _signed_status(paper: dict[str, Any] | None) -> str:
    """A signed section's line in the checklist: the version on file and who signed it
    electronically when, or that it is a scan signed on paper, or not signed yet."""
    if paper is None:
        return "Not yet on file"
    if paper["reused"]:
        held = f"{paper['review']}, {paper['reused']}"
    else:
        held = f"Version {paper['version']}, {paper['review'].lower()}"
    if paper["signatures"]:
        signers = " and ".join(
            f"{s['printed_name']}{' (' + s['capacity'].lower() + ')' if s['capacity'] else ''} "
            f"on {s['signed_on']}"
            for s in paper["signatures"]
        )
        return f"{held}; signed electronically by {signers}"
    if paper["generated"]:
        return f"Version {paper['version']}, not yet signed"
    return held


def _attachments(
    case: ImportCase, sections: list[dict[str, str]], signed: dict[str, Any]
) -> list[dict[str, Any]]:
    """What goes with the application: this pack's signed sections, then the other
    documents the pathway requires up to filing. A section that is itself a required
    document (the undertaking, the consent) is listed once, with its upload status."""
    on_file = _documents_on_file(case)
    wanted: dict[str, str] = {}
    for transition in ("submit", "verify", "file_application"):
        for kind, level in case.pathway.required_documents.get(transition, {}).items():
            if kind != K.REGULATORY_APPLICATION and wanted.get(kind) != "accepted":
                wanted[kind] = level

    def status(kind: str) -> str:
        held = on_file.get(kind)
        if not held:
            return "Not yet on file"
        signed = (
            f"; signed electronically by {' and '.join(held['signed_by'])}"
            if held["signed_by"]
            else ""
        )
        if held["reused"]:
            return f"{held['status']}, {held['reused']}{signed}"
        return f"Version {held['version']}, {held['status'].lower()}{signed}"

    rows = []
    for section in sections:
        if section["key"] == "attachments_checklist":
            continue
        level = wanted.pop(section["key"], None)
        if section["key"] in signed:
            rows.append(
                {
                    "item": section["title"],
                    "source": "This pack, signed",
                    "on_file": _signed_status(signed[section["key"]]),
                }
            )
            continue
        rows.append(
            {
                "item": section["title"],
                "source": "This pack, signed"
                + ("; upload accepted by the coordinator" if level == "accepted" else ""),
                "on_file": status(section["key"]) if level else "In this pack",
            }
        )
    for kind, level in wanted.items():
        rows.append(
            {
                "item": DocumentKind(kind).label if kind in K.values else kind,
                "source": "Upload, accepted by the coordinator"
                if level == "accepted"
                else "Upload",
                "on_file": status(kind),
            }
        )
    return rows


def regulatory_application_data(case: ImportCase) -> dict[str, Any]:
    sections = pack_sections(case)
    # The papers signed before filing, with each signature's manifestation.
    signed = {
        kind: signed_state(case, kind)
        for kind in SIGNED_BY
        if any(section["key"] == kind for section in sections)
    }
    return {
        **parts.common(case, K.REGULATORY_APPLICATION),
        "patient": parts.patient(case),
        "physician": parts.physician(case),
        "product": parts.product(case),
        "request": parts.request(case),
        "pathway": parts.pathway(case),
        "supplier": parts.supplier(case, case.current_shipment),
        "sections": sections,
        "signed": signed,
        "attachments": _attachments(case, sections, signed),
    }
