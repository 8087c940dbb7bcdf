"""A data logger's temperature log stored on the case, and what it decides: the
numbers come from orders.temperature; here the CSV is kept as a document and, when
the excursion range was breached, the case goes to quarantine for a quality decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from documents.models import Document, DocumentKind
from documents.services import document_upload
from documents.validation import UploadRejected
from npp.accounts.models import User
from orders.errors import DomainError
from orders.models import ImportCase, Product
from orders.services import case_transition
from orders.temperature import (
    LOG_STATES,
    TemperatureLogInvalid,
    TemperatureSummary,
    parse_temperature_log,
    temperature_log_summary,
)


def summary_of_document(document: Document, product: Product) -> TemperatureSummary | None:
    """The summary of a stored CSV log (None for a PDF log or an unreadable file)."""
    if document.content_type != "text/csv":
        return None
    try:
        with document.file.open("rb") as stored:
            return temperature_log_summary(parse_temperature_log(stored.read()), product)
    except (OSError, TemperatureLogInvalid):
        return None


@dataclass(frozen=True)
class TemperatureLogResult:
    document: Document
    summary: TemperatureSummary
    case: ImportCase
    quarantined: bool


def temperature_log_record(*, case: ImportCase, actor: User, upload: Any) -> TemperatureLogResult:
    """Read, store and act on a logger's CSV: the case goes to quarantine, with the
    numbers in the note, when the excursion range was breached. `upload` is a file
    (anything with .read() and .name)."""
    if case.status not in LOG_STATES:
        raise DomainError(
            f"A temperature log is read while the goods are in transit or at customs; "
            f"{case.reference} is {case.get_status_display().lower()}."
        )
    content = upload.read()
    summary = temperature_log_summary(parse_temperature_log(content), case.product)
    try:
        document = document_upload(
            case=case,
            kind=DocumentKind.TEMPERATURE_LOG,
            content=content,
            filename=getattr(upload, "name", "temperature-log.csv"),
            actor=actor,
        )
    except UploadRejected as error:
        raise TemperatureLogInvalid(str(error)) from None
    quarantined = False
    if summary.breached:
        case = case_transition(
            case=case,
            actor=actor,
            transition="quarantine",
            note="Excursion outside the allowed range. " + summary.note(),
        )
        quarantined = True
    return TemperatureLogResult(document, summary, case, quarantined)
