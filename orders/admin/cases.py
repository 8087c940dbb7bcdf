"""The import case in the admin: its fields, its transitions as buttons and forms
that go through `orders.services.case_transition`, and its timeline."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget, RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django_fsm.admin import FSMAdminMixin, FSMObjectTransition, FSMTransitionContext

from orders import permissions as perm
from orders.access import cases_visible_to
from orders.admin.base import ReadOnlyInline, is_coordinator
from orders.errors import DomainError
from orders.inputs import INPUTS, TransitionInput
from orders.models import (
    CaseEvent,
    ImportCase,
    Supplier,
)
from orders.services import (
    EDITABLE_STATES,
    REQUEST_FIELDS,
    TRANSITIONS,
    available_transitions,
    case_create,
    case_transition,
    case_update_request,
    transition_label,
)
from orders.states import CaseStatus

# --- Transition forms in the admin ---------------------------------------------------


class _NoInput(TransitionInput):
    """A transition that takes nothing but its note."""


# Sensible starting values taken from the case, so the coordinator types only what is new.
def _initial(case: ImportCase, transition: str) -> dict[str, Any]:
    today = timezone.localdate()
    if transition == "record_permit":
        return {"permit_issued_on": today, "permitted_quantity_packs": case.quantity_packs}
    if transition == "dispatch":
        return {
            "supplier": Supplier.objects.filter(kind=Supplier.Kind.MANUFACTURER)
            .order_by("pk")
            .first(),
            "quantity_packs": case.permitted_quantity_packs or case.quantity_packs,
        }
    if transition == "clear_customs":
        return {"clearance_date": today}
    if transition == "confirm_delivery":
        shipment = case.current_shipment
        return {
            "delivered_to": case.patient.full_name,
            "delivered_at": timezone.localtime().replace(second=0, microsecond=0),
            "delivered_lot": shipment.batch_number if shipment else "",
        }
    return {}


@functools.cache
def admin_transition_form(transition: str) -> type[TransitionInput] | None:
    """The form the admin shows before `transition`: its INPUTS fields plus the note,
    or None when the transition is a plain button. It only checks shape for the
    person typing; the service validates the same data again and the guards decide."""
    note = TRANSITIONS[transition].custom.get("note")
    base = INPUTS.get(transition)
    if base is None and not note:
        return None

    class AdminTransitionForm(base or _NoInput):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, case: ImportCase, actor: Any, **kwargs: Any) -> None:
            kwargs.setdefault("initial", _initial(case, transition))
            super().__init__(*args, case=case, actor=actor, **kwargs)
            self.fields["note"] = forms.CharField(
                label=(note or "note").capitalize(),
                required=bool(note),
                widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                help_text="Kept in the case history.",
            )
            for field in self.fields.values():
                if isinstance(field, forms.DateField):
                    field.widget = AdminDateWidget()
                elif isinstance(field, forms.DateTimeField):
                    field.help_text = field.help_text or "YYYY-MM-DD HH:MM"

    AdminTransitionForm.__name__ = f"Admin{transition.title().replace('_', '')}Form"
    AdminTransitionForm.__qualname__ = AdminTransitionForm.__name__
    return AdminTransitionForm


# --- The import case -----------------------------------------------------------------


class CaseEventInline(ReadOnlyInline):
    """The case's timeline: the append-only history, oldest first."""

    model = CaseEvent
    verbose_name = "event"
    verbose_name_plural = "Timeline"
    fields = ["created_at", "transition", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        events = super().get_queryset(request).select_related("actor")
        return events.filter(case__in=cases_visible_to(request.user))


CASE_FIELDSETS = [
    (
        None,
        {
            "fields": [
                "reference",
                "status",
                "held_from",
                "state_changed_at",
                "pathway",
                "patient",
                "physician",
                "assigned_coordinator",
                "priority",
                "resupply_of",
            ]
        },
    ),
    (
        "Request",
        {
            "fields": [
                "product",
                "prescribed_dose",
                "daily_units",
                "quantity_packs",
                "treatment_days",
                "days_of_supply",
                "justification",
                "port_of_entry",
            ]
        },
    ),
    (
        "Application and permit",
        {
            "fields": [
                "regulator_reference",
                "permit_number",
                "permit_issued_on",
                "permit_valid_until",
                "permitted_quantity_packs",
            ]
        },
    ),
    (
        "Customs",
        {
            "fields": [
                "bill_of_entry_number",
                "assessable_value",
                "duty_amount",
                "duty_exemption",
                "clearance_date",
            ]
        },
    ),
    ("Delivery", {"fields": ["delivered_to", "delivered_at", "delivered_lot"]}),
    ("Record", {"fields": ["created_by", "created_at", "updated_at"], "classes": ["collapse"]}),
]

ADD_FIELDSETS = [
    (None, {"fields": ["pathway", "patient", "physician", "priority"]}),
    (
        "Request",
        {
            "fields": [
                "product",
                "prescribed_dose",
                "daily_units",
                "quantity_packs",
                "treatment_days",
                "justification",
                "port_of_entry",
            ]
        },
    ),
]

ALL_CASE_FIELDS = [name for _, options in CASE_FIELDSETS for name in options["fields"]]


@admin.register(ImportCase)
class ImportCaseAdmin(FSMAdminMixin, admin.ModelAdmin):
    fsm_fields = ["status"]
    # Our own templates: django_fsm is a library here, not an installed app.
    change_form_template = "admin/orders/importcase/change_form.html"
    fsm_transition_form_template = "admin/orders/importcase/transition_form.html"
    list_display = [
        "reference",
        "patient",
        "physician_name",
        "product_name",
        "status",
        "priority",
        "assigned_coordinator",
        "state_changed_at",
    ]
    list_filter = ["status", "priority", "pathway", "product", "assigned_coordinator"]
    search_fields = [
        "reference",
        "patient__full_name",
        "physician__full_name",
        "regulator_reference",
        "permit_number",
        "bill_of_entry_number",
    ]
    list_select_related = ["patient", "physician", "product", "assigned_coordinator"]
    inlines = [CaseEventInline]  # documents.admin adds the case's papers
    # The Save row first at the top too: Enter in a field presses the form's first
    # submit button, which must be Save, never a transition.
    save_on_top = True

    # --- Visibility and permissions ------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportCase]:
        return cases_visible_to(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Coordinators open cases for anyone; physicians open theirs on their own pages.
        return is_coordinator(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a case is a regulatory record: it is cancelled, never deleted

    def get_inlines(self, request: HttpRequest, obj: ImportCase | None) -> list:
        return self.inlines if obj is not None else []

    # --- The form --------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: ImportCase | None = None) -> list:
        return CASE_FIELDSETS if obj is not None else ADD_FIELDSETS

    def get_readonly_fields(
        self, request: HttpRequest, obj: ImportCase | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        editable: set[str] = set()
        # The request is editable while it is with the physician, through the service.
        if obj.status in EDITABLE_STATES and perm.physician_or_coordinator(obj, request.user):
            editable.update(REQUEST_FIELDS)
        if is_coordinator(request.user):
            editable.add("assigned_coordinator")
        readonly = [name for name in ALL_CASE_FIELDS if name not in editable]
        return tuple(dict.fromkeys([*super().get_readonly_fields(request, obj), *readonly]))

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            # No editing or deleting a product or a user from a case's page.
            widget = field.widget
            widget.can_add_related = widget.can_change_related = widget.can_delete_related = False
        return field

    @admin.display(description="Physician", ordering="physician__full_name")
    def physician_name(self, case: ImportCase) -> str:
        return f"Dr {case.physician.full_name}"

    @admin.display(description="Product", ordering="product__brand_name")
    def product_name(self, case: ImportCase) -> str:
        return f"{case.product.brand_name} {case.product.strength}"

    @admin.display(description="Days of supply")
    def days_of_supply(self, case: ImportCase) -> int | str:
        days = case.days_of_supply
        return "-" if days is None else days

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The admin wraps this view in a transaction of its own; every write here goes
        # through a service that owns a durable transaction (which refuses to nest), and
        # the inlines are read-only, so there is nothing for an outer transaction to hold.
        return self._changeform_view(request, object_id, form_url, extra_context)

    def save_model(
        self, request: HttpRequest, obj: ImportCase, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            self._create(request, obj, form)
            return
        request_changes = {
            name: getattr(obj, name) for name in form.changed_data if name in REQUEST_FIELDS
        }
        try:
            if request_changes:
                case_update_request(case=obj, actor=request.user, **request_changes)
        except (DomainError, PermissionDenied) as error:
            self.message_user(request, _message(error), messages.ERROR)
            return
        if "assigned_coordinator" in form.changed_data:
            # Assignment is the office's own bookkeeping, not part of the regulated
            # record: no transition and no event, only the admin's change log.
            ImportCase.objects.filter(pk=obj.pk).update(
                assigned_coordinator=obj.assigned_coordinator, updated_at=timezone.now()
            )

    def _create(self, request: HttpRequest, obj: ImportCase, form: forms.ModelForm) -> None:
        data = form.cleaned_data
        created = case_create(
            actor=request.user,
            patient=data["patient"],
            physician=data["physician"],
            product=data["product"],
            pathway=data["pathway"],
            **{name: data[name] for name in REQUEST_FIELDS if name in data and name != "product"},
        )
        # The admin goes on with `obj` (change log, redirect): make it the stored case.
        obj.pk = created.pk
        obj.reference = created.reference
        obj.created_by = created.created_by
        obj._state.adding = False
        obj._state.db = created._state.db

    # --- Transitions: every button goes through the service -----------------------------

    @staticmethod
    def get_fsm_block_label(fsm_field_name: str) -> str:
        return "Actions"

    def get_help_text(self, transition: Any) -> str:
        text = _target_text(transition)
        if admin_transition_form(transition.name) is not None:
            text += " (asks for details first)"
        return text

    def get_fsm_transition_form(self, transition: Any) -> type[TransitionInput] | None:
        return admin_transition_form(transition.name)

    def _get_fsm_extra_context(
        self, *, request: HttpRequest, obj: ImportCase | None
    ) -> list[FSMObjectTransition]:
        # The service's list (permission, not guards): a button whose guard fails is
        # still shown, and pressing it says what is missing. A list, not the mixin's
        # generator: the page shows the buttons twice (top and bottom).
        if obj is None or not self.has_change_permission(request, obj):
            return []
        buttons = []
        for name in available_transitions(case=obj, actor=request.user):
            transition = self._get_fsm_transition_by_name(obj=obj, transition_name=name)
            if self.is_fsm_transition_visible(transition):
                buttons.append(
                    FSMTransitionContext(
                        name=name,
                        label=self.get_fsm_label(transition),
                        help_text=self.get_help_text(transition),
                    )
                )
        if not buttons:
            return []
        return [
            FSMObjectTransition(
                fsm_field="status",
                block_label=self.get_fsm_block_label("status"),
                available_transitions=buttons,
            )
        ]

    def _execute_fsm_transition(self, **kwargs: Any) -> None:
        raise RuntimeError("The admin moves cases only through orders.services.case_transition.")

    def _apply_fsm_transition(
        self,
        *,
        obj: ImportCase,
        transition_name: str,
        request: HttpRequest,
        kwargs: dict[str, Any] | None = None,
    ) -> bool:
        data = dict(kwargs or {})
        note = data.pop("note", "") or ""
        try:
            case = case_transition(
                case=obj, actor=request.user, transition=transition_name, note=note, data=data
            )
        except (DomainError, PermissionDenied) as error:
            self.message_user(request, _message(error, transition_name), messages.ERROR)
            return False
        self.message_user(
            request,
            f"{transition_label(transition_name)}: {case.reference} is now "
            f"{case.get_status_display().lower()}.",
            messages.SUCCESS,
        )
        return True

    def fsm_transition_view(
        self, request: HttpRequest, object_id: str, transition_name: str, **kwargs: Any
    ) -> HttpResponse:
        """The form a transition asks for (its inputs and note), then the service."""
        case = self.get_object(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if transition_name not in TRANSITIONS:
            raise Http404("No such action.")
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        change_url = reverse("admin:orders_importcase_change", args=[case.pk])
        label = transition_label(transition_name)
        if transition_name not in available_transitions(case=case, actor=request.user):
            self.message_user(
                request,
                f"{label} is not possible while {case.reference} is "
                f"{case.get_status_display().lower()}.",
                messages.ERROR,
            )
            return redirect(change_url)
        form_class = admin_transition_form(transition_name)
        if form_class is None:
            if request.method == "POST":
                self._apply_fsm_transition(
                    obj=case, transition_name=transition_name, request=request
                )
            return redirect(change_url)

        bound = request.method == "POST"
        form = form_class(request.POST if bound else None, case=case, actor=request.user)
        if bound and form.is_valid():
            applied = self._apply_fsm_transition(
                obj=case,
                transition_name=transition_name,
                request=request,
                kwargs=form.cleaned_data,
            )
            if applied:
                return redirect(change_url)
        transition = self._get_fsm_transition_by_name(obj=case, transition_name=transition_name)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label}: {case.reference}",
            "opts": self.opts,
            "original": case,
            "transition": FSMTransitionContext(
                name=transition_name, label=label, help_text=_target_text(transition)
            ),
            "transition_form": form,
            "media": self.media + form.media,
            "change_url": change_url,
        }
        return TemplateResponse(request, self.fsm_transition_form_template, context)


def _target_text(transition: Any) -> str:
    if isinstance(transition.target, str):
        return f"Moves the case to: {CaseStatus(transition.target).label}"
    return "Returns the case to the state it was put on hold from"


def _message(error: Exception, transition: str | None = None) -> str:
    text = getattr(error, "for_staff", None) or str(error)  # the admin is for staff
    if not text and transition:
        text = f"You may not {transition_label(transition).lower()} on this case."
    return text or "You may not do that."
