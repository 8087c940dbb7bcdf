"""The physician portal: my cases and patients, new requests, questions to answer,
the undertaking to sign, side effects to report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from documents.access import documents_visible_to
from documents.generation.signing import paper_to_sign
from documents.models import DocumentKind
from documents.selectors import current_undertaking, undertaking_signature
from npp.accounts.models import Role
from orders.access import get_case_for_user
from orders.adverse_events import adverse_event_report
from orders.errors import DomainError
from orders.models import ImportCase, Pathway, Product
from orders.patients import patients_of, supply_estimate
from orders.resupply import RESUPPLY_FROM, case_create_resupply
from orders.selectors import WAITING_ON_PHYSICIAN, open_question, physician_cases
from orders.services import EDITABLE_STATES, case_transition, case_update_request
from orders.states import CaseStatus
from orders.timeline import event_done_title
from portals.coordinator import search
from portals.forms import refusal_on_form
from portals.payer import accept, payer_money
from portals.physician.forms import (
    AdverseEventForm,
    AnswerForm,
    MyCasesFilterForm,
    NewRequestForm,
    PhysicianUploadForm,
    ReasonForm,
    RequestFieldsForm,
    SignScanForm,
    SignUndertakingForm,
)
from portals.physician.requests import (
    request_answer,
    request_open,
    request_submit,
    undertaking_sign,
)
from portals.roles import role_required, upload_to_case, uploaded

S = CaseStatus
PAGE_SIZE = 20
physician_only = role_required(Role.PHYSICIAN)


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _supply(form, case: ImportCase | None = None):
    """The days of supply of what was typed (the script shows it live as well)."""
    data = getattr(form, "cleaned_data", None) or {}
    return supply_estimate(
        product=data.get("product"),
        daily_units=data.get("daily_units"),
        quantity_packs=data.get("quantity_packs"),
        pathway=case.pathway if case is not None else None,
    )


def _initial_supply(case: ImportCase):
    return supply_estimate(
        product=case.product,
        daily_units=case.daily_units,
        quantity_packs=case.quantity_packs,
        pathway=case.pathway,
    )


def _catalogue(case: ImportCase | None = None) -> dict:
    pathway = case.pathway if case is not None else Pathway.default()
    return {
        "cap_days": pathway.quantity_cap_days,
        "products": {
            str(p.pk): {"units_per_pack": p.units_per_pack, "daily": p.standard_daily_units}
            for p in Product.objects.all()
        },
    }


@require_http_methods(["GET", "POST"])
@physician_only
def home(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Posted so that a patient's name never lands in a URL (as on the queue).
        term = " ".join(request.POST.get(search.TERM, "").split())[:100]
        query = search.redirect_query(request.POST, term, request)
        url = reverse("orders:physician-home")
        return redirect(f"{url}?{query}" if query else url)
    form = MyCasesFilterForm(search.filters_with_search(request))
    filters = form.cleaned_data if form.is_valid() else {}
    cases = physician_cases(request.user, term=filters.get("q", ""), state=filters.get("state", ""))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page.object_list:
        case.waiting_label = WAITING_ON_PHYSICIAN.get(case.status) if case.waiting == 0 else ""
        case.waiting_url = _waiting_url(case)
    response = render(
        request,
        "portals/physician/home.html",
        {"page": page, "form": form, "filtered": bool(filters.get("q") or filters.get("state"))},
    )
    if request.htmx:
        push_url(response, request.get_full_path())
    return response


def _waiting_url(case: ImportCase) -> str:
    """Where what waits on the physician is done: the signing page, the question."""
    if case.status == S.FORMS_PREPARATION:
        return reverse("orders:physician-case-sign", args=[case.pk])
    url = reverse("orders:physician-case", args=[case.pk])
    return f"{url}#question-title" if case.status == S.INFORMATION_REQUESTED else url


@require_GET
@physician_only
def patients(request: HttpRequest) -> HttpResponse:
    patients = patients_of(request.user.physician).annotate(
        case_count=Count("cases", filter=Q(cases__physician=request.user.physician))
    )
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portals/physician/patients.html", {"page": page})


@require_http_methods(["GET", "POST"])
@physician_only
def case_new(request: HttpRequest) -> HttpResponse:
    physician = request.user.physician
    # "New request" from the patient list arrives with ?patient=<id>; the form's own
    # choices (my patients only) decide whether it is taken.
    initial = (
        {"patient_choice": "existing", "patient": request.GET["patient"]}
        if request.GET.get("patient")
        else None
    )
    form = NewRequestForm(
        request.POST or None, request.FILES or None, physician=physician, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        prescription = uploaded(request, form, "prescription")
        existing = form.cleaned_data["patient_choice"] == "existing"
        if form.is_valid():
            try:
                case, refusal = request_open(
                    actor=request.user,
                    physician=physician,
                    patient=form.cleaned_data["patient"] if existing else None,
                    new_patient=None if existing else form.patient_data(),
                    request=form.request_data(),
                    prescription=prescription,
                    submit=request.POST.get("action") == "submit",
                )
            except (DomainError, PermissionDenied) as error:
                messages.error(request, str(error))
            else:
                _report_saved(request, case, refusal)
                return redirect("orders:physician-case", pk=case.pk)
    return render(
        request,
        "portals/physician/case_new.html",
        {"form": form, "catalogue": _catalogue(), "supply": _supply(form)},
        status=400 if form.errors else 200,
    )


def _report_saved(request: HttpRequest, case: ImportCase, refusal: str) -> None:
    if case.status == S.SUBMITTED:
        messages.success(request, f"{case.reference} was submitted to the import team.")
    elif refusal:
        messages.warning(request, f"{case.reference} was saved as a draft. {refusal}")
    else:
        messages.success(request, f"{case.reference} was saved as a draft.")


def _case_page(request: HttpRequest, case: ImportCase, status: int = 200, **forms) -> HttpResponse:
    context = {
        "case": case,
        "documents": documents_visible_to(request.user)
        .filter(case=case)
        .current()
        .select_related("uploaded_by")
        .order_by("kind"),
        "events": [
            (event, event_done_title(event))
            for event in case.events.select_related("actor").order_by("-created_at", "-pk")[:50]
        ],
        "question": open_question(case),
        "supply": supply_estimate(
            product=case.product,
            daily_units=case.daily_units,
            quantity_packs=case.quantity_packs,
            pathway=case.pathway,
        ),
        "editable": case.status in EDITABLE_STATES,
        "undertaking": current_undertaking(case),
        "signature": undertaking_signature(case),
        "waiting": WAITING_ON_PHYSICIAN.get(case.status),
        "upload_form": forms.get("upload_form") or PhysicianUploadForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "may_resupply": case.status in RESUPPLY_FROM
        and not case.resupplies.exclude(status__in=[S.CANCELLED, S.REJECTED]).exists(),
        "money": payer_money(case, request.user),
        "accept_url": reverse("orders:physician-case-accept-quotation", args=[case.pk]),
        "may_report": case.status
        in (
            S.IN_TRANSIT,
            S.CUSTOMS_CLEARANCE,
            S.OUT_FOR_DELIVERY,
            S.DELIVERED,
            S.CLOSED,
            S.QUARANTINED,
        ),
    }
    return render(request, "portals/physician/case.html", context, status=status)


@require_GET
@physician_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    return _case_page(request, case)


@require_http_methods(["GET", "POST"])
@physician_only
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    initial = {name: getattr(case, name) for name in RequestFieldsForm.REQUEST_FIELDS}
    form = RequestFieldsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case_update_request(case=case, actor=request.user, **form.request_data())
        except (DomainError, PermissionDenied) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"The request {case.reference} was updated.")
            return redirect("orders:physician-case", pk=case.pk)
    return render(
        request,
        "portals/physician/case_edit.html",
        {
            "case": case,
            "form": form,
            "catalogue": _catalogue(case),
            "supply": _supply(form, case) if form.is_bound else _initial_supply(case),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@physician_only
def case_submit(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    try:
        case, refusal = request_submit(case=case, actor=request.user)
    except (DomainError, PermissionDenied) as error:
        messages.error(request, str(error))
    else:
        if refusal:
            messages.error(request, refusal)
        else:
            messages.success(request, f"{case.reference} was submitted to the import team.")
    return redirect("orders:physician-case", pk=case.pk)


@require_POST
@physician_only
def case_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, cancel_form=form)
    try:
        case_transition(
            case=case, actor=request.user, transition="cancel", note=form.cleaned_data["reason"]
        )
    except (DomainError, PermissionDenied) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{case.reference} was withdrawn.")
    return redirect("orders:physician-case", pk=case.pk)


@require_POST
@physician_only
def case_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = PhysicianUploadForm(request.POST, request.FILES)
    document = upload_to_case(request, case, form)
    if document is None:
        return _case_page(request, case, status=400, upload_form=form)
    messages.success(request, f"{document.get_kind_display()} added to {case.reference}.")
    return redirect("orders:physician-case", pk=case.pk)


@require_POST
@physician_only
def case_answer(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = AnswerForm(request.POST, request.FILES)
    document = uploaded(request, form) if form.is_valid() else None
    if not form.is_valid():
        return _case_page(request, case, status=400, answer_form=form)
    try:
        case = request_answer(
            case=case,
            actor=request.user,
            answer=form.cleaned_data["answer"],
            kind=form.cleaned_data["kind"],
            document=document,
        )
    except (DomainError, PermissionDenied) as error:
        form.add_error(None, str(error))
        return _case_page(request, case, status=400, answer_form=form)
    messages.success(request, f"Your answer was sent and {case.reference} is back with the team.")
    return redirect("orders:physician-case", pk=case.pk)


@require_POST
@physician_only
def case_resupply(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    try:
        resupply = case_create_resupply(case=case, actor=request.user)
    except (DomainError, PermissionDenied) as error:
        messages.error(request, str(error))
        return redirect("orders:physician-case", pk=case.pk)
    messages.success(
        request,
        f"{resupply.reference} was opened as a draft from {case.reference}: "
        "check it, add the new prescription and submit.",
    )
    return redirect("orders:physician-case", pk=resupply.pk)


@require_http_methods(["GET", "POST"])
@physician_only
def case_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The undertaking to read and sign: its text, its PDF, the signing form; or a scan
    signed on paper (the second form, prefixed "scan")."""
    case = get_case_for_user(request.user, pk=pk)
    posted = request.POST if request.method == "POST" else None
    by_scan = posted is not None and "scan-password" in posted
    form = SignUndertakingForm(None if by_scan else posted)
    scan_form = SignScanForm(posted if by_scan else None, request.FILES or None, prefix="scan")
    active = scan_form if by_scan else form
    if posted is not None and active.is_valid():
        scan = uploaded(request, active, "undertaking") if by_scan else None
        if active.is_valid():
            try:
                undertaking_sign(
                    case=case,
                    actor=request.user,
                    printed_name=active.cleaned_data["printed_name"],
                    password=active.cleaned_data["password"],
                    ip_address=_client_ip(request),
                    read_version=active.cleaned_data["read_version"],
                    scan=scan,
                )
            except (DomainError, PermissionDenied) as error:
                refusal_on_form(active, error)
            else:
                messages.success(request, f"You signed the undertaking for {case.reference}.")
                return redirect("orders:physician-case", pk=case.pk)
    paper = paper_to_sign(case, DocumentKind.PHYSICIAN_UNDERTAKING)
    for each in (form, scan_form):
        each.initial["printed_name"] = case.physician.full_name
    # The hidden version is that of the text this page shows, posted back or not.
    if form.is_bound:
        form.data = form.data.copy()
        form.data["read_version"] = paper.data_version
    else:
        form.initial["read_version"] = paper.data_version
    return render(
        request,
        "portals/physician/sign.html",
        {"case": case, "form": form, "scan_form": scan_form, "paper": paper},
        status=400 if active.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@physician_only
def case_adverse_event(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = AdverseEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adverse_event_report(case=case, reporter=request.user, **form.cleaned_data)
        except (DomainError, PermissionDenied) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "The side effect was reported. The import team forwards it to the manufacturer.",
            )
            return redirect("orders:physician-case", pk=case.pk)
    return render(
        request,
        "portals/physician/adverse_event.html",
        {"case": case, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@physician_only
def case_accept_quotation(request: HttpRequest, pk: int) -> HttpResponse:
    """The physician accepts for the hospital that pays."""
    case = get_case_for_user(request.user, pk=pk)
    return accept(request, case, reverse("orders:physician-case", args=[case.pk]) + "#payment")
