"""Sign what you read: the physician's undertaking and the patient's consent are
generated from the case, shown as a page (the same template as their PDF), and the
signature seals the sha256 of the exact PDF generated from the data that page showed.

The page carries the data version it showed; signing refuses when the case's data
has moved on since (the text would differ from what was read). The PDF is normally
rendered by the worker when the case enters forms preparation; if it is not there
yet, signing renders it first, through the same render job."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from documents.generation.declarations import TEXT_TEMPLATE, paper_signature
from documents.generation.jobs import render_job_run
from documents.generation.papers import data_version, document_data
from documents.generation.requests import request_render
from documents.models import Document, DocumentKind, RenderJob, RenderStatus, Signature
from documents.rendering import render_html
from documents.services import document_store
from documents.signatures import (
    document_sign,
    may_sign_kind,
    signer_capacity,
    signer_confirmed,
)
from orders.errors import DomainError
from orders.models import ImportCase
from orders.papers import SIGNED_BY
from orders.services import system_user
from orders.states import CaseStatus

K = DocumentKind
# While the papers are signed: the application is being prepared.
SIGNING_STATES = (CaseStatus.FORMS_PREPARATION,)


@dataclass(frozen=True)
class PaperToSign:
    kind: str
    label: str
    data_version: str
    text: str  # the paper's text as HTML, from the template its PDF is made of
    pdf: Document | None  # the PDF generated from exactly this data, once rendered
    current: Document | None  # the paper on file now: that PDF, an older one, or a scan
    signature: Signature | None  # the signer's verifying signature on `current`
    may_sign: bool  # the case is where these papers are signed


def generated_paper(case: ImportCase, kind: str, version: str) -> Document | None:
    """The current generated `kind` rendered from data `version`, if there is one."""
    job = (
        RenderJob.objects.filter(
            case=case, kind=kind, data_version=version, status=RenderStatus.READY
        )
        .exclude(document=None)
        .select_related("document")
        .order_by("-pk")
        .first()
    )
    if job is None or Document.objects.filter(supersedes=job.document_id).exists():
        return None
    return job.document


def paper_to_sign(case: ImportCase, kind: str) -> PaperToSign:
    """What the signing page shows: the text, its PDF, and where the paper stands."""
    if kind not in SIGNED_BY:
        raise DomainError(f"{kind!r} is not a paper signed on its page.")
    data = document_data(case, kind)
    version = data_version(case, kind)
    current = case.documents.current().filter(kind=kind).first()
    return PaperToSign(
        kind=kind,
        label=K(kind).label,
        data_version=version,
        text=render_html(TEXT_TEMPLATE[kind], data),
        pdf=generated_paper(case, kind, version),
        current=current,
        signature=paper_signature(case, current),
        may_sign=case.status in SIGNING_STATES,
    )


def paper_sign(
    *,
    case: ImportCase,
    kind: str,
    signer,
    password: str,
    printed_name: str,
    read_version: str,
    capacity: str = "",
    ip_address: str | None = None,
) -> Signature:
    """`signer` signs the generated `kind` they read (`read_version`, the data version
    of the text their page showed). Refused, with nothing stored, when they may not,
    when the text changed since, when the name typed is not theirs, or when the
    password is wrong."""
    if kind not in SIGNED_BY:
        raise DomainError(f"{kind!r} is not a paper signed on its page.")
    label = _(K(kind).label).lower()
    meaning = SIGNED_BY[kind]
    if not may_sign_kind(signer, case, kind, meaning):
        raise PermissionDenied(_("You may not sign the %(paper)s of this case.") % {"paper": label})
    if case.status not in SIGNING_STATES:
        raise DomainError(
            _(
                "The %(paper)s is signed while the application is prepared; %(reference)s "
                "is %(status)s. Nothing was signed."
            )
            % {
                "paper": label,
                "reference": case.reference,
                "status": _(case.get_status_display()).lower(),
            }
        )
    if read_version != data_version(case, kind):
        raise DomainError(
            _(
                "The %(paper)s changed since you opened it: read it again before you sign. "
                "Nothing was signed."
            )
            % {"paper": _(K(kind).label).lower()}
        )
    capacity = signer_capacity(case, meaning, capacity)
    # Checked (the password counted) before anything is rendered or stored.
    printed_name = signer_confirmed(
        case=case,
        signer=signer,
        password=password,
        printed_name=printed_name,
        meaning=meaning,
        capacity=capacity,
    )
    document = _generated(case, kind, read_version, actor=signer)
    # The pack, which shows the signature's manifestation, follows on its own
    # (documents.services.papers_changed).
    return document_sign(
        document=document,
        signer=signer,
        password=password,
        printed_name=printed_name,
        meaning=meaning,
        ip_address=ip_address,
        capacity=capacity,
    )


def _generated(case: ImportCase, kind: str, version: str, *, actor) -> Document:
    """The PDF of `version`, rendered now if the worker has not made it yet."""
    document = generated_paper(case, kind, version)
    if document is not None:
        return document
    with transaction.atomic():
        job = request_render(case=case, kind=kind, actor=actor)
    if job.status == RenderStatus.READY:
        # Rendered from this data before and superseded since: the data changed and
        # came back (a number corrected, then restored). That PDF is current again.
        return _reissued(job.pk)
    try:
        render_job_run(job.pk)
    except Exception as error:
        raise DomainError(
            _("The %(paper)s could not be prepared (%(error)s). Nothing was signed.")
            % {"paper": _(K(kind).label).lower(), "error": error}
        ) from error
    document = generated_paper(case, kind, version)
    if document is None:
        raise DomainError(
            _("The %(paper)s is being prepared: try again in a moment. Nothing was signed.")
            % {"paper": _(K(kind).label).lower()}
        )
    return document


@transaction.atomic
def _reissued(job_id: int) -> Document:
    """The job's PDF stored again as the current version of its kind (the same bytes,
    so the same sha256), the job pointing at it."""
    job = RenderJob.objects.select_for_update().get(pk=job_id)
    earlier = job.document
    with earlier.file.open("rb") as stored:
        content = stored.read()
    document = document_store(
        case=earlier.case,
        kind=earlier.kind,
        content=content,
        content_type=earlier.content_type,
        original_filename=earlier.original_filename,
        actor=system_user(),
        generated=True,
    )
    job.document = document
    job.save(update_fields=["document", "updated_at"])
    return document
