"""The regulatory application pack: its sections come from `Pathway.forms`, each a
template, and its checklist from the documents on file."""

from __future__ import annotations

import re
from typing import Any

from documents.generation import parts
from documents.generation.declarations import paper_state
from documents.models import DocumentKind
from orders.errors import DomainError
from orders.models import ImportCase
from orders.papers import SIGNED_BY

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
    """Each current document's state (`paper_state`): its version, review and the
    signatures that count. The checklist's every line and the signed sections read
    it, so accepting, replacing or signing one changes the pack."""
    documents = (
        case.documents.current()
        .select_related("reused_from__case__verification", "case__verification")
        # Every document's signatures (and a reused one's, on its original) in one
        # query each, not one per document.
        .prefetch_related("signatures", "reused_from__signatures")
    )
    return {doc.kind: paper_state(case, doc) for doc in documents}


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


def _on_file_line(paper: dict[str, Any] | None) -> str:
    """A document's line in the checklist: the version on file (or where a reused one
    comes from) and its review, and who signed it electronically when; a paper to sign
    that the system generated and nobody signed yet says so."""
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
    if paper["generated"] and paper["kind"] in SIGNED_BY:
        return f"Version {paper['version']}, not yet signed"
    return held


def _attachments(
    case: ImportCase, sections: list[dict[str, str]], on_file: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """What goes with the application: this pack's signed sections, then the other
    documents the pathway requires up to filing. A section that is itself a required
    document (the undertaking, the consent) is listed once, with its upload status."""
    wanted: dict[str, str] = {}
    for transition in ("submit", "verify", "file_application"):
        for kind, level in case.pathway.required_documents.get(transition, {}).items():
            if kind != K.REGULATORY_APPLICATION and wanted.get(kind) != "accepted":
                wanted[kind] = level

    def status(kind: str) -> str:
        return _on_file_line(on_file.get(kind))

    rows = []
    for section in sections:
        if section["key"] == "attachments_checklist":
            continue
        level = wanted.pop(section["key"], None)
        if section["key"] in SIGNED_BY:
            rows.append(
                {
                    "item": section["title"],
                    "source": "This pack, signed",
                    "on_file": status(section["key"]),
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
    on_file = _documents_on_file(case)
    signed = {
        kind: on_file.get(kind)
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
        "attachments": _attachments(case, sections, on_file),
    }
