"""The coordinator workbench: the queue and the case page, and the actions taken from
them. Each view: decorators, the access function, a form that validates, the
service, a redirect (or the page again with what was typed and what went wrong)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from billing import selectors as billing_selectors
from documents import selectors as document_selectors
from documents import temperature_logs
from documents.access import get_document_for_user
from documents.generation.adverse_event_report import adverse_event_report_request
from documents.generation.quality_release import case_move
from documents.generation.requests import retry_failed
from documents.models import DocumentKind, RenderJob
from documents.services import document_review
from npp.accounts.models import Role
from orders import selectors, temperature, timeline
from orders.access import cases_visible_to, get_case_for_user
from orders.adverse_events import adverse_event_acknowledge
from orders.display import format_date
from orders.errors import CaseConflict, DomainError, GuardFailed, InvalidInput
from orders.models import ImportCase
from orders.refusals import case_moved_message, moved_message
from orders.resupply import RESUPPLY_FROM, case_create_resupply
from orders.safety import screen
from orders.services import (
    APPLICATION_STATES,
    TRANSITIONS,
    available_transitions,
    case_assign,
    case_update_application,
    transition_label,
    transition_waiting_for,
)
from orders.states import PATIENT_LABELS, CaseStatus
from portals.coordinator import search
from portals.coordinator.forms import (
    AcknowledgementForm,
    ApplicationForm,
    DocumentUploadForm,
    QueueFilterForm,
    ReviewForm,
    TemperatureLogForm,
    transition_form,
)
from portals.coordinator.money import money_context
from portals.roles import role_required, upload_to_case

S = CaseStatus
TEMPLATES = "portals/coordinator/"
# The shared form includes when the layout provides them; our own copies otherwise.
INCLUDES = {
    "field_template": ["includes/form_field.html", TEMPLATES + "_field.html"],
    "errors_template": ["includes/form_errors.html", TEMPLATES + "_form_errors.html"],
}


# The workbench as a whole is refused to other roles (403); a case they may not see
# inside it is still a 404 through get_case_for_user.
coordinator_required = role_required(
    Role.COORDINATOR, refusal=PermissionDenied, message="The workbench is for coordinators."
)


def _case_url(case: ImportCase, anchor: str = "") -> str:
    url = reverse("orders:coordinator-case", args=[case.pk])
    return f"{url}#{anchor}" if anchor else url


# --- The queue ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@coordinator_required
def queue(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # The filter form is posted so that the search term stays out of every URL
        # (portals.coordinator.search): remembered, then redirected to.
        term = " ".join(request.POST.get(search.TERM, "").split())[:100]
        query = search.redirect_query(request.POST, term, request)
        url = reverse("orders:coordinator-queue")
        return redirect(f"{url}?{query}" if query else url)
    data = search.filters_with_search(request)
    form = QueueFilterForm(data or None, user=request.user)
    filters = form.filters() if form.is_bound else selectors.QueueFilters()
    payment = form.payment_filter() if form.is_bound else ""
    page = selectors.queue_page(
        filters,
        user=request.user,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        narrow=billing_selectors.payment_filter(payment) if payment else None,
    )
    # What the payer owes on the cases shown: one query for the page, not one a row.
    dues = billing_selectors.amounts_due(row.pk for row in page.rows)
    # Two reversals for the page, not two a row: the case's id goes in their place.
    case_url = reverse("orders:coordinator-case", args=[0]).replace("/0/", "/{}/")
    assign_url = reverse("orders:coordinator-assign", args=[0]).replace("/0/", "/{}/")
    for row in page.rows:
        row.url = case_url.format(row.pk)
        row.assign_url = assign_url.format(row.pk)
        row.amount_due, row.payment_overdue = dues.get(row.pk, (None, False))
    counts = selectors.state_counts()
    params = request.GET.copy()
    params.pop(search.TERM, None)
    params.pop("after", None)
    params.pop("before", None)
    response = render(
        request,
        TEMPLATES + "queue.html",
        {
            **INCLUDES,
            "form": form,
            "filters": filters,
            "page": page,
            "state_counts": selectors.queue_state_counts(counts),
            "open_total": sum(counts.get(state, 0) for state in selectors.QUEUE_STATES),
            "query": params.urlencode(),
            "now": timezone.now(),
        },
    )
    if request.htmx:
        # The filters redrew the results in place: the address bar follows them.
        push_url(response, request.get_full_path())
    return response


@require_GET
@coordinator_required
def physician_suggestions(request: HttpRequest) -> JsonResponse:
    """Names for the queue's physician filter, as the coordinator types."""
    return JsonResponse({"names": selectors.physician_suggestions(request.GET.get("q", ""))})


@require_POST
@coordinator_required
def assign_to_me(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    try:
        case = case_assign(case=case, actor=request.user, coordinator=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{case.reference} is assigned to you.")
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect(_case_url(case))


# --- The case page -------------------------------------------------------------------------


def _case_page(
    request: HttpRequest,
    case: ImportCase,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page; `bound` holds a form posted back with its errors (a refused
    transition, a review without a reason, a bad upload) so what was typed stays."""
    bound = bound or {}
    case = selectors.case_for_page(case)
    actor = request.user
    transitions = []
    for name in available_transitions(case=case, actor=actor):
        form = bound.get(name) or transition_form(name)(case=case, actor=actor)
        waiting = transition_waiting_for(case=case, transition=name)
        transitions.append(
            {
                "name": name,
                "label": transition_label(name),
                "form": form,
                "kind": _kind(name),
                "danger": name in DANGEROUS_TRANSITIONS,
                # What must happen first, instead of a button that would be refused.
                "waiting": [getattr(problem, "staff", problem) for problem in waiting],
            }
        )
    drawn = {t["name"] for t in transitions if not t["waiting"] or t["form"].is_bound}
    for name, form in bound.items():
        if name in TRANSITIONS and name not in drawn:
            # A refusal must not hang on a form the page no longer draws.
            for error in form.non_field_errors() or ["Your action was not applied."]:
                messages.error(request, error)
    documents = document_selectors.case_documents(case)
    review_forms = {
        document.pk: bound.get(f"review-{document.pk}") or ReviewForm(prefix=f"r{document.pk}")
        for document in documents
    }
    log = document_selectors.latest_temperature_log(case)
    summary = temperature_logs.summary_of_document(log, case.product) if log else None
    verification = getattr(case, "verification", None)
    return render(
        request,
        TEMPLATES + "case.html",
        {
            **INCLUDES,
            "case": case,
            "patient_label": PATIENT_LABELS.get(case.status, ""),
            "due": selectors.due_of(case, timezone.now()),
            "events": [
                (
                    event,
                    timeline.event_title(event),
                    timeline.event_details(event, product=case.product),
                )
                for event in selectors.case_timeline(case)
            ],
            "documents": [(document, review_forms[document.pk]) for document in documents],
            "identity_document": next(
                (d for d in documents if d.kind == DocumentKind.PATIENT_IDENTITY), None
            ),
            "pending_count": len(document_selectors.pending_review(documents)),
            **_generated_context(case),
            "transitions": [t for t in transitions if t["kind"] == "main"],
            "side_transitions": [t for t in transitions if t["kind"] == "side"],
            "verify": next((t for t in transitions if t["name"] == "verify"), None),
            "screen": screen(
                case.product,
                co_medications=verification.co_medications,
                measurements=verification.measurements,
            )
            if verification
            else None,
            "upload_form": bound.get("upload") or DocumentUploadForm(prefix="upload"),
            "application_form": bound.get("application") or ApplicationForm(case=case),
            "may_edit_application": case.status in APPLICATION_STATES,
            "temperature_form": bound.get("temperature") or TemperatureLogForm(prefix="log"),
            "may_log_temperature": case.status in temperature.LOG_STATES,
            "temperature_log": log,
            "temperature": summary,
            "chart": temperature.temperature_chart(summary) if summary else None,
            "may_resupply": case.status in RESUPPLY_FROM,
            "resupplies": selectors.resupplies_of(case),
            "adverse_events": [
                (
                    report,
                    bound.get(f"ack-{report.pk}")
                    or AcknowledgementForm(
                        prefix=f"ack{report.pk}", initial={"acknowledged_on": timezone.localdate()}
                    ),
                )
                for report in selectors.case_adverse_events(case)
            ],
            "money": money_context(case, bound),
            "may_assign": case.assigned_coordinator_id != actor.pk
            and case.status not in (S.CLOSED, S.REJECTED, S.CANCELLED),
        },
        status=status,
    )


def _generated_context(case: ImportCase) -> dict[str, Any]:
    jobs = document_selectors.case_render_jobs(case)
    return {"render_jobs": jobs, "rendering": document_selectors.still_rendering(jobs)}


@require_GET
@coordinator_required
def generated_documents(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page's generated documents alone: the section polls it while a paper
    renders, so Pending turns Ready (or Failed, with the reason) without a reload."""
    case = get_case_for_user(request.user, pk=pk)
    return render(
        request, TEMPLATES + "_generated.html", {"case": case, **_generated_context(case)}
    )


# Moves that stop or pause a case sit apart from the case's next step.
SIDE_TRANSITIONS = ("hold", "resume", "cancel", "reject", "request_information", "quarantine")


# Moves that end a case or throw goods away: their buttons say so.
DANGEROUS_TRANSITIONS = ("cancel", "reject", "reorder", "quarantine")


def _kind(name: str) -> str:
    return "side" if name in SIDE_TRANSITIONS else "main"


@require_GET
@coordinator_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    return _case_page(request, case)


@require_POST
@coordinator_required
def case_transition_view(request: HttpRequest, pk: int, transition: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    seen = request.POST.get(f"{transition}-seen_status") or case.status
    if seen != case.status:
        # The page was drawn before someone else moved the case.
        return _case_moved(request, case, transition)
    if transition not in available_transitions(case=case, actor=request.user):
        messages.error(
            request,
            f"That action is not possible while {case.reference} is "
            f"{case.get_status_display().lower()}.",
        )
        return redirect(_case_url(case))
    form = transition_form(transition)(request.POST, case=case, actor=request.user)
    if form.is_valid():
        try:
            moved = case_move(
                case=case,
                actor=request.user,
                transition=transition,
                note=form.note,
                data=form.service_data(),
                printed_name=form.cleaned_data.get("printed_name", ""),
                password=form.cleaned_data.get("password", ""),
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except InvalidInput as error:
            for field, errors in error.errors.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        except CaseConflict:
            # Another request moved it between this one's read and its lock.
            return _case_moved(request, case, transition)
        except GuardFailed as error:
            form.add_error(None, error.message_for(request.user))
        except (DomainError, PermissionDenied) as error:
            form.add_error(None, str(error) or "You may not do that.")
        else:
            messages.success(request, moved_message(moved, transition=transition, before=seen))
            return redirect(_case_url(moved))
    return _case_page(request, case, bound={transition: form}, status=400)


def _case_moved(request: HttpRequest, case: ImportCase, transition: str) -> HttpResponse:
    """The case moved under the coordinator: say who did what and when, at the top of
    the page, whatever forms the case's new state draws (409 Conflict)."""
    case = selectors.case_for_page(case)
    messages.error(request, case_moved_message(case, transition=transition, viewer=request.user))
    return _case_page(request, case, status=409)


# --- The application -------------------------------------------------------------------------


@require_POST
@coordinator_required
def application_update(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = ApplicationForm(request.POST, case=case)
    if form.is_valid():
        try:
            case_update_application(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error("port_of_entry", message)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect(_case_url(case))
        else:
            messages.success(request, "The application details were saved.")
            return redirect(_case_url(case, "application"))
    return _case_page(request, case, bound={"application": form}, status=400)


# --- Documents -----------------------------------------------------------------------------


@require_POST
@coordinator_required
def document_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_document_for_user(request.user, pk=pk)
    form = ReviewForm(request.POST, prefix=f"r{document.pk}")
    if form.is_valid():
        try:
            document_review(
                document=document,
                actor=request.user,
                accept=form.accept,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            verdict = "accepted" if form.accept else "rejected"
            messages.success(request, f"{document.get_kind_display()} {verdict}.")
            return redirect(_case_url(document.case, "documents"))
    return _case_page(request, document.case, bound={f"review-{document.pk}": form}, status=400)


@require_POST
@coordinator_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = DocumentUploadForm(request.POST, request.FILES, prefix="upload")
    document = upload_to_case(request, case, form)
    if document is not None:
        messages.success(request, f"{document.get_kind_display()} added.")
        return redirect(_case_url(case, "documents"))
    return _case_page(request, case, bound={"upload": form}, status=400)


@require_POST
@coordinator_required
def render_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = (
        RenderJob.objects.filter(case__in=cases_visible_to(request.user), pk=pk)
        .select_related("case")
        .first()
    )
    if job is None:
        raise Http404("No such generated document.")
    try:
        retry_failed(job, request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{job.get_kind_display()}: rendering again.")
    return redirect(_case_url(job.case, "generated"))


# --- Temperature log --------------------------------------------------------------------------


@require_POST
@coordinator_required
def temperature_log(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = TemperatureLogForm(request.POST, request.FILES, prefix="log")
    if getattr(request, "upload_too_large", False):
        form.add_error("file", "The file is larger than the upload limit.")
    elif form.is_valid():
        try:
            result = temperature_logs.temperature_log_record(
                case=case, actor=request.user, upload=form.cleaned_data["file"]
            )
        except DomainError as error:
            form.add_error("file", str(error))
        else:
            summary = result.summary
            if result.quarantined:
                messages.warning(
                    request,
                    f"Excursion: the log leaves the {summary.excursion} range; "
                    f"{case.reference} is now quarantined for a quality decision.",
                )
            else:
                messages.success(
                    request,
                    f"Temperature log recorded: {summary.minimum:.1f} to {summary.maximum:.1f} "
                    "°C, within the excursion range.",
                )
            return redirect(_case_url(case, "temperature"))
    return _case_page(request, case, bound={"temperature": form}, status=400)


# --- Resupply -----------------------------------------------------------------------------------


@require_POST
@coordinator_required
def resupply(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    try:
        created = case_create_resupply(case=case, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(_case_url(case))
    messages.success(
        request,
        f"{created.reference} opened as a draft resupply of {case.reference}; "
        "the physician reviews and submits it.",
    )
    return redirect(_case_url(created))


# --- Side-effect reports ----------------------------------------------------------------------


def _adverse_event(request: HttpRequest, pk: int, report_pk: int):
    case = get_case_for_user(request.user, pk=pk)
    report = case.adverse_events.filter(pk=report_pk).first()
    if report is None:
        raise Http404("No such side-effect report.")
    return case, report


@require_POST
@coordinator_required
def adverse_event_acknowledge_view(request: HttpRequest, pk: int, report_pk: int) -> HttpResponse:
    case, report = _adverse_event(request, pk, report_pk)
    form = AcknowledgementForm(request.POST, prefix=f"ack{report.pk}")
    if form.is_valid():
        try:
            adverse_event_acknowledge(adverse_event=report, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The manufacturer's receipt of the report is recorded.")
            return redirect(_case_url(case, "side-effects"))
    return _case_page(request, case, bound={f"ack-{report.pk}": form}, status=400)


@require_POST
@coordinator_required
def adverse_event_send_view(request: HttpRequest, pk: int, report_pk: int) -> HttpResponse:
    case, report = _adverse_event(request, pk, report_pk)
    if adverse_event_report_request(adverse_event=report, actor=request.user):
        messages.success(
            request,
            "The CIOMS I report is being prepared and sent to the manufacturer's safety desk.",
        )
    elif report.forwarded_at:
        messages.info(
            request,
            f"Nothing was sent again: the CIOMS I report was already sent to "
            f"{report.forwarded_to} on {format_date(timezone.localdate(report.forwarded_at))}.",
        )
    else:
        messages.info(
            request,
            "Nothing was sent again: the CIOMS I report is already prepared and waiting "
            "to leave for the manufacturer's safety desk.",
        )
    return redirect(_case_url(case, "side-effects"))
