"""Who may see and add which documents: built on the case visibility rule."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from billing.models import PAID_BY_PATIENT_SIDE
from documents.models import Document, DocumentKind
from npp.accounts.models import Role
from orders import permissions as perm
from orders.access import cases_visible_to
from orders.models import ImportCase

K = DocumentKind

# What each party may add to a case of theirs; coordinators may add anything.
UPLOADABLE_BY_PHYSICIAN = frozenset({K.PRESCRIPTION, K.MEDICAL_REPORT, K.PHYSICIAN_UNDERTAKING})
UPLOADABLE_BY_PATIENT = frozenset({K.PATIENT_IDENTITY, K.PATIENT_CONSENT})

# A patient sees their own papers and what is written for them; never the
# physician's clinical documents, supplier paperwork or the inspector's record.
VISIBLE_TO_PATIENT = frozenset(
    {K.PATIENT_IDENTITY, K.PATIENT_CONSENT, K.PATIENT_INFORMATION, K.PROOF_OF_DELIVERY}
)


# The payer's papers: the patient reads them when they (or their family) pay.
MONEY_PAPERS = frozenset({K.PROFORMA_INVOICE, K.TAX_INVOICE, K.CREDIT_NOTE})
# Papers with the supplier's prices on them: coordinators only (never a patient or
# physician: supplier cost prices are the service's business).
COST_PAPERS = frozenset({K.PURCHASE_ORDER})


def documents_visible_to(user) -> QuerySet[Document]:
    documents = Document.objects.filter(case__in=cases_visible_to(user))
    if user.is_authenticated and user.role == Role.PATIENT:
        documents = documents.filter(
            Q(kind__in=VISIBLE_TO_PATIENT)
            | Q(kind__in=MONEY_PAPERS, case__payer__kind__in=PAID_BY_PATIENT_SIDE)
        )
    elif user.is_authenticated and user.role == Role.PHYSICIAN:
        documents = documents.exclude(kind__in=COST_PAPERS)
    return documents


def get_document_for_user(user, **lookup) -> Document:
    try:
        return documents_visible_to(user).select_related("case").get(**lookup)
    except (Document.DoesNotExist, ValueError):
        raise Http404("No such document.") from None


def may_upload(user, case: ImportCase, kind: str) -> bool:
    if perm.is_coordinator(case, user):
        return True
    if perm.is_case_physician(case, user):
        return kind in UPLOADABLE_BY_PHYSICIAN
    if perm.is_case_patient(case, user):
        return kind in UPLOADABLE_BY_PATIENT
    return False
