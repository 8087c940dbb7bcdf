"""The patient tracker: my orders in plain words, my documents, what I may do."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from documents.access import documents_visible_to
from documents.generation.declarations import paper_signature
from documents.generation.signing import SIGNING_STATES, paper_sign, paper_to_sign
from documents.models import DocumentKind
from npp.accounts.models import Role
from orders.access import cases_visible_to, get_case_for_user
from orders.adverse_events import adverse_event_report
from orders.errors import DomainError
from orders.models import AdverseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from orders.tracker import patient_history, phone_link, progress_of
from portals.forms import refusal_on_form
from portals.patient.forms import (
    ConfirmDeliveryForm,
    PatientUploadForm,
    SideEffectForm,
    SignConsentForm,
)
from portals.payer import accept, payer_money
from portals.roles import role_required, upload_to_case

S = CaseStatus
PAGE_SIZE = 10
patient_only = role_required(Role.PATIENT)
# A patient adds their identity and consent while the application is prepared or filed.
UPLOAD_STATES = (S.SUBMITTED, S.INFORMATION_REQUESTED, S.FORMS_PREPARATION, S.AWAITING_PERMIT)
SIDE_EFFECT_STATES = (S.OUT_FOR_DELIVERY, S.DELIVERED, S.CLOSED)


@require_GET
@patient_only
def home(request: HttpRequest) -> HttpResponse:
    cases = (
        cases_visible_to(request.user)
        .select_related("product", "pathway", "physician")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    orders = [(case, progress_of(case, detail=False)) for case in page.object_list]
    return render(request, "portals/patient/home.html", {"page": page, "orders": orders})


def _case_page(request: HttpRequest, case: ImportCase, status: int = 200, **forms) -> HttpResponse:
    documents = documents_visible_to(request.user).filter(case=case).current().order_by("kind")
    consent = next((d for d in documents if d.kind == DocumentKind.PATIENT_CONSENT), None)
    return render(
        request,
        "portals/patient/case.html",
        {
            "case": case,
            "progress": progress_of(case),
            "history": patient_history(case),
            "documents": documents,
            "may_upload": case.status in UPLOAD_STATES,
            "consent_to_sign": case.status in SIGNING_STATES,
            "consent": consent,
            "consent_signature": paper_signature(case, consent),
            "may_confirm": case.status == S.OUT_FOR_DELIVERY,
            "may_report": case.status in SIDE_EFFECT_STATES,
            "upload_form": forms.get("upload_form") or PatientUploadForm(),
            "confirm_form": forms.get("confirm_form") or ConfirmDeliveryForm(),
            "money": payer_money(case, request.user),
            "accept_url": reverse("orders:patient-case-accept-quotation", args=[case.pk]),
            "service_phone": settings.NPP_SERVICE_PHONE,
            "service_phone_link": phone_link(settings.NPP_SERVICE_PHONE),
            "service_email": settings.NPP_SERVICE_EMAIL,
        },
        status=status,
    )


def _my_case(request: HttpRequest, pk: int) -> ImportCase:
    # A draft is not the patient's to see (orders.access): 404 as someone else's case.
    try:
        return get_case_for_user(request.user, pk=pk)
    except Http404:
        raise Http404(_("No such order.")) from None


def _refused_above(request: HttpRequest, case: ImportCase, form) -> HttpResponse:
    """A form sent from a page opened before the order moved on: the order page no
    longer shows that form, so its refusal is said at the top of the page instead of
    beside a field that is not there."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("orders:patient-case", pk=case.pk)


@require_GET
@patient_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, _my_case(request, pk))


@require_POST
@patient_only
def case_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case = _my_case(request, pk)
    form = PatientUploadForm(request.POST, request.FILES)
    document = upload_to_case(request, case, form)
    if document is None:
        if case.status not in UPLOAD_STATES:
            return _refused_above(request, case, form)
        return _case_page(request, case, status=400, upload_form=form)
    messages.success(
        request,
        _("Thank you: your %(document)s was received.")
        % {"document": _(document.get_kind_display()).lower()},
    )
    return redirect("orders:patient-case", pk=case.pk)


@require_http_methods(["GET", "POST"])
@patient_only
def case_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """The consent to read and sign: its text (the same as its PDF), the PDF to
    download and sign on paper instead, and the signing form."""
    case = _my_case(request, pk)
    minor = case.patient.is_minor(timezone.localdate())
    form = SignConsentForm(request.POST or None, minor=minor)
    if request.method == "POST" and form.is_valid():
        try:
            paper_sign(
                case=case,
                kind=DocumentKind.PATIENT_CONSENT,
                signer=request.user,
                password=form.cleaned_data["password"],
                printed_name=form.cleaned_data["printed_name"],
                capacity=form.cleaned_data.get("capacity", ""),
                read_version=form.cleaned_data["read_version"],
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except (DomainError, PermissionDenied) as error:
            refusal_on_form(form, error)
        else:
            messages.success(request, _("Thank you: your consent is signed."))
            return redirect("orders:patient-case", pk=case.pk)
    paper = paper_to_sign(case, DocumentKind.PATIENT_CONSENT)
    if not minor:
        form.initial["printed_name"] = case.patient.full_name
    # The hidden version is that of the text this page shows, posted back or not.
    if form.is_bound:
        form.data = form.data.copy()
        form.data["read_version"] = paper.data_version
    else:
        form.initial["read_version"] = paper.data_version
    return render(
        request,
        "portals/patient/consent.html",
        {"case": case, "form": form, "paper": paper, "minor": minor},
        status=400 if form.errors else 200,
    )


@require_POST
@patient_only
def case_confirm_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    case = _my_case(request, pk)
    form = ConfirmDeliveryForm(request.POST)
    if not form.is_valid():
        if case.status != S.OUT_FOR_DELIVERY:
            return _refused_above(request, case, form)
        return _case_page(request, case, status=400, confirm_form=form)
    try:
        # Only the lot typed on this form is passed on: who received it and when are
        # recorded by the domain (the patient, now), never taken from the post.
        case_transition(
            case=case,
            actor=request.user,
            transition="confirm_delivery",
            data={"delivered_lot": form.cleaned_data["delivered_lot"]},
        )
    except (DomainError, PermissionDenied) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you: the delivery is confirmed."))
    return redirect("orders:patient-case", pk=case.pk)


@require_http_methods(["GET", "POST"])
@patient_only
def case_side_effect(request: HttpRequest, pk: int) -> HttpResponse:
    case = _my_case(request, pk)
    form = SideEffectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adverse_event_report(
                case=case,
                reporter=request.user,
                outcome=AdverseEvent.Outcome.UNKNOWN,
                **form.cleaned_data,
            )
        except (DomainError, PermissionDenied) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Thank you. Your report was sent to the import team and your doctor.")
            )
            return redirect("orders:patient-case", pk=case.pk)
    return render(
        request,
        "portals/patient/side_effect.html",
        {"case": case, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@patient_only
def case_accept_quotation(request: HttpRequest, pk: int) -> HttpResponse:
    case = _my_case(request, pk)
    return accept(request, case, reverse("orders:patient-case", args=[case.pk]) + "#payment")
