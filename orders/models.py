"""The import-case domain: catalogue, parties, pathway, the case and its history.

The case's state machine lives on `ImportCase`: transitions only set fields; the
service layer (orders.services) performs them, saves, and appends the `CaseEvent`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_noop
from django_fsm import RETURN_VALUE, FSMField, FSMFieldDescriptor, transition

from orders import guards
from orders import permissions as perm
from orders.countries import country_name
from orders.errors import DomainError, GuardFailed
from orders.form_fields import unknown_fields
from orders.papers import DocumentKind
from orders.states import ACTIVE_STATES, BEFORE_DISPATCH, OPEN_STATES, CaseStatus

S = CaseStatus


def _require_text(value: str, what: str, transition: str) -> str:
    value = (value or "").strip()
    if not value:
        raise GuardFailed(transition_label(transition), [what])
    return value


# --- Catalogue and configuration ----------------------------------------------


def expected_time(expected_days: dict | None, state: str, priority: str) -> dt.timedelta | None:
    """How long a case may stay in `state`: the pathway's days for it, a shorter share
    (NPP_URGENT_EXPECTED_PERCENT) for an urgent case; None for a state with no clock."""
    days = (expected_days or {}).get(state)
    if days is None:
        return None
    if priority == Priority.URGENT:
        days = days * settings.NPP_URGENT_EXPECTED_PERCENT / 100
    return dt.timedelta(days=days)


def port_label(port: dict) -> str:
    return f"{port.get('name') or port['code']} (customs station {port['code']})"


class Pathway(models.Model):
    """What differs by country: forms, required documents, clocks, caps, duty."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166 code of the importing country.")
    regulator = models.CharField(max_length=100)
    application_form = models.CharField(max_length=100)
    permit_form = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)
    quantity_cap_days = models.PositiveIntegerField(
        default=90, help_text="Most days of supply one import may cover."
    )
    prescription_validity_days = models.PositiveIntegerField(default=90)
    application_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    permit_validity_days = models.PositiveIntegerField(null=True, blank=True)
    permit_covers_several_consignments = models.BooleanField(null=True, blank=True)
    min_remaining_shelf_life_days = models.PositiveIntegerField(default=0)
    min_shelf_life_fraction = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Share of total shelf life left on arrival (0.60 for registered imports).",
    )
    auto_close_after_days = models.PositiveIntegerField(default=14)
    forms = models.JSONField(default=list, blank=True, help_text="Documents the pack holds.")
    required_documents = models.JSONField(
        default=dict,
        blank=True,
        help_text='{transition: {document kind: "uploaded" | "accepted"}}',
    )
    expected_days = models.JSONField(
        default=dict, blank=True, help_text="{state: days a case may stay there}"
    )
    # The current rates and the exemptions as a description only: quotations, invoices
    # and the case record compute duty from the dated rates (billing.rates.customs_duty).
    duty = models.JSONField(
        default=dict, blank=True, help_text="Rates in percent and exemptions: data, not code."
    )
    adverse_event_days = models.JSONField(default=dict, blank=True)
    document_validity_days = models.JSONField(
        default=dict,
        blank=True,
        help_text="{document kind: days}: how long an accepted document stays valid for a "
        "resupply, counted from its original date (a prescription from the date it was "
        "written); a resupply reuses it within that time instead of asking again. "
        "A kind not listed is always asked for again.",
    )
    ports_of_entry = models.JSONField(
        default=list,
        blank=True,
        help_text='Ports with a customs station an import may enter by: [{"code": "INBLR4", '
        '"name": "Bengaluru (BLR) Air Cargo Complex"}], the code being the customs station\'s.',
    )
    required_fields = models.JSONField(
        default=dict,
        blank=True,
        help_text="{form key or generated paper: [field names of orders.form_fields]}: "
        "what must be filled before the paper can go out.",
    )
    emergency_number = models.CharField(
        max_length=20,
        blank=True,
        help_text="The country's emergency telephone number, printed on the patient sheet.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = unknown_fields(self.required_fields)
        if unknown:
            raise ValidationError(
                {"required_fields": f"Unknown field names: {', '.join(sorted(unknown))}."}
            )
        codes = [
            port.get("code") if isinstance(port, dict) else None for port in self.ports_of_entry
        ]
        if any(not code for code in codes) or len(set(codes)) != len(codes):
            raise ValidationError(
                {"ports_of_entry": 'Each port needs its own "code" (and a "name").'}
            )

    def port_choices(self) -> list[tuple[str, str]]:
        return [(port["code"], port_label(port)) for port in self.ports_of_entry]

    def port_name(self, code: str) -> str:
        """The port as the papers print it, or "" for a code this pathway does not list."""
        for port in self.ports_of_entry:
            if port.get("code") == code:
                return port_label(port)
        return ""

    def expected_time(self, state: str, priority: str) -> dt.timedelta | None:
        return expected_time(self.expected_days, state, priority)

    @classmethod
    def default(cls) -> Pathway:
        return cls.objects.get(is_default=True)


class SideEffectUrgency(models.TextChoices):
    """How soon a patient acts on a sign the product's label warns of."""

    EMERGENCY = "emergency", "Get emergency help now"
    SAME_DAY = "same_day", "Call your doctor the same day"
    ROUTINE = "routine", "Tell your doctor at your next visit, or sooner if it worries you"


class Product(models.Model):
    brand_name = models.CharField(max_length=100)
    generic_name = models.CharField(max_length=100)
    manufacturer = models.CharField(max_length=200)
    strength = models.CharField(max_length=50, help_text='e.g. "7.9 mg"')
    dosage_form = models.CharField(max_length=50, help_text='e.g. "capsule"')
    units_per_pack = models.PositiveIntegerField()
    standard_daily_units = models.PositiveIntegerField(
        help_text="Units a day at the labelled dose (used for days of supply)."
    )
    indication = models.TextField(
        blank=True, help_text="What the medicine is for, in words a patient understands."
    )
    route = models.CharField(
        max_length=50, blank=True, default="oral", help_text='How it is given, e.g. "oral".'
    )
    dosing = models.TextField()
    administration = models.TextField(blank=True)
    missed_dose = models.TextField(blank=True)
    avoid = models.TextField(blank=True)
    dose_adjustment = models.TextField(blank=True)
    storage_min_c = models.DecimalField(max_digits=4, decimal_places=1)
    storage_max_c = models.DecimalField(max_digits=4, decimal_places=1)
    excursion_min_c = models.DecimalField(max_digits=4, decimal_places=1)
    excursion_max_c = models.DecimalField(max_digits=4, decimal_places=1)
    storage_notes = models.TextField(blank=True)
    contraindicated_comedications = models.JSONField(default=list, blank=True)
    monitoring_schedule = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"test", "every_days", "from_day", "until_day"}] counted from the start.',
    )
    safety_thresholds = models.JSONField(default=list, blank=True)
    side_effects = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            'Signs to watch for, most urgent first: [{"signs": "...", "urgency": '
            '"emergency" | "same_day" | "routine"}]. The patient sheet says what to do.'
        ),
    )
    approved_in = models.JSONField(default=list, blank=True)
    # What a patient reads about the medicine, in the other languages of the service:
    # {"hi": {"indication": "...", "administration": "...", "side_effects": [{"signs",
    # "urgency"}], ...}} with the fields of PATIENT_TEXT_FIELDS; a field left out is
    # read in English (Product.patient_text).
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"hi": {"indication": "...", "administration": "...", "side_effects": '
        '[{"signs": "...", "urgency": "..."}], ...}}: the patient\'s text per language.',
    )
    supplier = models.ForeignKey(
        "Supplier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        help_text="The authorised source it is ordered from, unless a shipment names another: "
        "the country and source of supply on the application.",
    )

    class Meta:
        ordering = ["brand_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand_name", "strength", "dosage_form"], name="product_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand_name} ({self.generic_name}) {self.strength} {self.dosage_form}"

    # The catalogue's words a patient reads (the patient sheet), each translatable.
    PATIENT_TEXT_FIELDS = (
        "indication",
        "dosing",
        "administration",
        "missed_dose",
        "avoid",
        "storage_notes",
        "side_effects",
        "monitoring",
    )

    def patient_text(self, language: str) -> dict[str, Any]:
        """The product's words for a patient in `language`, English where the catalogue
        has no translation of a field. `monitoring` (sentences) is None in English:
        the papers write it from the schedule."""
        text: dict[str, Any] = {
            name: getattr(self, name, None) for name in self.PATIENT_TEXT_FIELDS
        }
        translated = (self.translations or {}).get(language) or {}
        text.update({name: value for name, value in translated.items() if value})
        return text

    def clean(self) -> None:
        for language, fields in (self.translations or {}).items():
            unknown = set(fields or {}) - set(self.PATIENT_TEXT_FIELDS)
            if language not in dict(settings.LANGUAGES) or not isinstance(fields, dict) or unknown:
                raise ValidationError(
                    {
                        "translations": (
                            f"{language!r}: a language of the service with only "
                            f"{', '.join(self.PATIENT_TEXT_FIELDS)}; found {fields!r}."
                        )
                    }
                )
        for entry in self.side_effects or []:
            if (
                not isinstance(entry, dict)
                or not str(entry.get("signs", "")).strip()
                or entry.get("urgency") not in SideEffectUrgency.values
            ):
                raise ValidationError(
                    {
                        "side_effects": (
                            'Each side effect is {"signs": "...", "urgency": one of '
                            f"{', '.join(SideEffectUrgency.values)}}}; found {entry!r}."
                        )
                    }
                )


class Supplier(models.Model):
    class Kind(models.TextChoices):
        MANUFACTURER = "manufacturer", "Manufacturer"
        AUTHORISED_DISTRIBUTOR = "authorised_distributor", "Authorised distributor"
        OTHER = "other", "Other (not authorised)"

    name = models.CharField(max_length=200, unique=True)
    country = models.CharField(max_length=2)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    address = models.TextField(blank=True, help_text="Full postal address, for the order.")
    contact_name = models.CharField(max_length=200, blank=True, help_text="Who takes orders.")
    phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    safety_contact_email = models.EmailField(
        blank=True,
        verbose_name="pharmacovigilance email",
        help_text="Where side-effect reports (CIOMS I) are sent: the supplier's drug "
        "safety (pharmacovigilance) address.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_authorised(self) -> bool:
        return self.kind in (self.Kind.MANUFACTURER, self.Kind.AUTHORISED_DISTRIBUTOR)


class Carrier(models.Model):
    """A courier the service ships with, and where a patient follows a parcel on its
    site (catalogue data, edited in the admin). A shipment names its courier as typed
    at dispatch; `for_courier` finds the carrier that name means."""

    name = models.CharField(max_length=100, unique=True)
    tracking_url = models.URLField(
        max_length=300,
        help_text="The carrier's tracking page, with {number} where the tracking number goes.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if "{number}" not in self.tracking_url:
            raise ValidationError({"tracking_url": "Put {number} where the tracking number goes."})

    def tracking_link(self, number: str) -> str:
        return self.tracking_url.replace("{number}", quote(number.strip(), safe=""))

    @classmethod
    def for_courier(cls, courier: str) -> Carrier | None:
        """The carrier a typed courier name means: the same name, or one containing
        the other ("DHL" and "DHL Express"), ignoring case."""
        typed = " ".join(courier.lower().split())
        if not typed:
            return None
        for carrier in cls.objects.all():
            name = carrier.name.lower()
            if name == typed or name in typed or typed in name:
                return carrier
        return None


class Importer(models.Model):
    """The importing service's legal identity, printed on the papers it issues (the
    application pack, the purchase order). One record is active at a time; a change
    of licence or address is a new record, so old papers keep what they said."""

    name = models.CharField(max_length=200, help_text="Legal name of the importing company.")
    address = models.TextField(help_text="Registered address, one line per line.")
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="IN")
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    drug_licence_number = models.CharField(
        max_length=100, blank=True, help_text="Drug licence(s) held for import and sale."
    )
    iec = models.CharField(
        max_length=20, blank=True, verbose_name="IEC", help_text="Importer-Exporter Code (DGFT)."
    )
    gstin = models.CharField(
        max_length=15, blank=True, verbose_name="GSTIN", help_text="GST identification number."
    )
    is_active = models.BooleanField(default=True, help_text="The identity papers use now.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="importer_one_active",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Importer | None:
        return cls.objects.filter(is_active=True).first()

    def address_lines(self) -> list[str]:
        return _address_lines(self)


def _address_lines(party) -> list[str]:
    lines = [line.strip().rstrip(",") for line in party.address.splitlines() if line.strip()]
    city = " ".join(part for part in (party.city, party.postal_code) if part)
    return lines + [part for part in (city, party.state, country_name(party.country)) if part]


def days_of_supply(
    *, packs: int | None, units_per_pack: int | None, daily_units: int | None
) -> int | None:
    """Whole days the packs last at the daily dose (Lupkynis: 3 x 180 at 6 a day = 90)."""
    if not (packs and units_per_pack and daily_units):
        return None
    return math.floor(packs * units_per_pack / daily_units)


# --- Parties -------------------------------------------------------------------


class Physician(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="physician"
    )
    full_name = models.CharField(max_length=200)
    registration_number = models.CharField(max_length=50)
    registration_council = models.CharField(max_length=100, help_text="NMC or state council")
    specialty = models.CharField(max_length=100, blank=True)
    hospital = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["full_name"]
        # The search finds a physician's cases by their whole name, any case.
        indexes = [models.Index(Lower("full_name"), name="physician_name_lower_idx")]

    def __str__(self) -> str:
        return f"Dr {self.full_name} ({self.registration_council} {self.registration_number})"


def mask_identity_number(number: str) -> str:
    """Keep the last four characters only (masked Aadhaar, as UIDAI requires)."""
    digits = "".join(ch for ch in number if ch.isalnum())
    if len(digits) <= 4:
        return "X" * len(digits)
    return "X" * (len(digits) - 4) + digits[-4:]


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "X", "Other"

    class IdentityDocument(models.TextChoices):
        # Marked for the catalogue, plain English here: papers hold (and signatures
        # seal) the English label; the consent's text translates it where it is shown.
        AADHAAR = "aadhaar", gettext_noop("Aadhaar")
        PASSPORT = "passport", gettext_noop("Passport")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patient",
        help_text="Empty for a patient followed through the physician.",
    )
    full_name = models.CharField(max_length=200)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    occupation = models.CharField(max_length=100, blank=True)
    address = models.TextField(help_text="Delivery address")
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="IN")
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    id_document_type = models.CharField(max_length=20, choices=IdentityDocument.choices)
    # Only the masked form is ever stored; the document itself is an uploaded file.
    id_document_number_masked = models.CharField(max_length=40)

    class Meta:
        ordering = ["full_name"]
        # The search finds a patient's cases by their whole name, any case.
        indexes = [models.Index(Lower("full_name"), name="patient_name_lower_idx")]

    def __str__(self) -> str:
        return self.full_name

    def set_identity_number(self, number: str) -> None:
        self.id_document_number_masked = mask_identity_number(number)

    def address_lines(self) -> list[str]:
        return _address_lines(self)

    # A minor's consent is given by a parent or legal guardian (the Indian Majority
    # Act 1875: majority at 18).
    AGE_OF_MAJORITY = 18

    def age_on(self, day: dt.date) -> int:
        """Whole years of age on `day` (a birthday counts from its own day)."""
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def is_minor(self, on: dt.date) -> bool:
        return self.age_on(on) < self.AGE_OF_MAJORITY


# --- The import case -------------------------------------------------------------


class CaseSequence(models.Model):
    """The last case number issued per year, so references are sequential."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Priority(models.TextChoices):
    NORMAL = "normal", "Normal"
    URGENT = "urgent", "Urgent"


class DutyExemption(models.TextChoices):
    NONE = "", "None (duty paid)"
    RARE_DISEASE = "rare_disease", "Rare disease on the national list"
    FREE_OF_COST = "free_of_cost", "Life-saving drug supplied free of cost"


# --- The status field, safe under threads -------------------------------------------

# Set in an instance's __dict__ while it is being reloaded from the database.
_RELOADING = "_npp_reloading_from_db"


class _StatusDescriptor(FSMFieldDescriptor):
    """django-fsm's descriptor refuses `case.status = ...` on a protected field; an
    instance reloading its own row (refresh_from_db, a deferred load) may write it."""

    def __set__(self, instance: models.Model, value: object) -> None:
        if instance.__dict__.get(_RELOADING):
            self.field.set_state(instance, value)
            return
        super().__set__(instance, value)


class StatusField(FSMField):
    """FSMField whose protection is per instance. django-fsm-2's FSMModelMixin lets
    refresh_from_db write a protected state by switching the field's `protected` flag
    off and on: the field is shared by the class, so every other thread meanwhile
    either writes freely or is refused its own reload (about 30% of transitions from
    8 threads failed). Here the reloading instance is marked instead (ImportCase.
    refresh_from_db). Same column, same migrations: it deconstructs as FSMField."""

    descriptor_class = _StatusDescriptor

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django_fsm.FSMField", args, kwargs


class ImportCase(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="cases")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cases")
    physician = models.ForeignKey(Physician, on_delete=models.PROTECT, related_name="cases")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="cases")
    prescribed_dose = models.CharField(max_length=200, blank=True)
    daily_units = models.PositiveIntegerField(
        null=True, blank=True, help_text="Units (e.g. capsules) taken per day."
    )
    quantity_packs = models.PositiveIntegerField(null=True, blank=True)
    treatment_days = models.PositiveIntegerField(null=True, blank=True)
    justification = models.TextField(blank=True)
    assigned_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        limit_choices_to={"role": "coordinator"},
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    resupply_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resupplies"
    )

    status = StatusField(default=S.DRAFT, choices=S.choices, protected=True, db_index=True)
    held_from = models.CharField(max_length=30, choices=S.choices, blank=True)
    state_changed_at = models.DateTimeField(db_default=Now())

    # Application and permit
    port_of_entry = models.CharField(
        max_length=100,
        blank=True,
        help_text="The customs station code of one of the pathway's ports.",
    )
    regulator_reference = models.CharField(max_length=100, blank=True)
    permit_number = models.CharField(max_length=100, blank=True)
    permit_issued_on = models.DateField(null=True, blank=True)
    permit_valid_until = models.DateField(null=True, blank=True)
    permitted_quantity_packs = models.PositiveIntegerField(null=True, blank=True)

    # Customs
    bill_of_entry_number = models.CharField(max_length=100, blank=True)
    assessable_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    duty_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    duty_exemption = models.CharField(
        max_length=30, choices=DutyExemption.choices, blank=True, default=DutyExemption.NONE
    )
    clearance_date = models.DateField(null=True, blank=True)

    # Delivery
    delivered_to = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_lot = models.CharField(max_length=100, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "state_changed_at"]),
            # The coordinators' queue, read by keyset (urgent first, longest waiting
            # first): one index for the open states only (the closed years of history
            # are not in it, so no page walks past them), one for a single state's list.
            models.Index(
                fields=["-priority", "state_changed_at", "id"],
                name="case_queue_idx",
                condition=models.Q(status__in=OPEN_STATES),
            ),
            models.Index(
                fields=["status", "-priority", "state_changed_at", "id"],
                name="case_queue_state_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        """Reload this instance, marking it (not the shared field) as reloading: see
        StatusField. No ConcurrentTransitionMixin either: services lock the row and
        compare the status, which is exact, where the mixin re-read the status of
        every instance built with it deferred (a hidden SELECT a transition)."""
        self.__dict__[_RELOADING] = True
        try:
            super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        finally:
            self.__dict__.pop(_RELOADING, None)

    # --- Derived facts ---------------------------------------------------------

    @property
    def days_of_supply(self) -> int | None:
        if self.product_id is None:
            return None
        return days_of_supply(
            packs=self.quantity_packs,
            units_per_pack=self.product.units_per_pack,
            daily_units=self.daily_units,
        )

    @property
    def current_shipment(self) -> Shipment | None:
        return self.shipments.filter(rejected_at__isnull=True).order_by("-pk").first()

    @property
    def is_locked(self) -> bool:
        return self.status == S.CLOSED

    @property
    def source_of_supply(self) -> Supplier | None:
        """Who the goods come from: the shipment's supplier once one is named, until
        then the product's usual source."""
        shipment = self.current_shipment
        if shipment is not None and shipment.supplier_id is not None:
            return shipment.supplier
        return self.product.supplier if self.product_id else None

    @property
    def port_of_entry_name(self) -> str:
        return self.pathway.port_name(self.port_of_entry) if self.port_of_entry else ""

    def clean(self) -> None:
        if (
            self.port_of_entry
            and self.pathway_id
            and not self.pathway.port_name(self.port_of_entry)
        ):
            raise ValidationError(
                {"port_of_entry": f"Choose one of the {self.pathway.name} pathway's ports."}
            )

    # --- The state machine -------------------------------------------------------
    # Transitions set fields only. Guards (conditions) refuse a move whose data is
    # incomplete; permissions say who may make it. Reasons and questions arrive as
    # `note` and are required where the design requires them.

    @transition(
        field=status,
        source=S.DRAFT,
        target=S.SUBMITTED,
        conditions=[
            guards.request_complete,
            guards.quantity_within_cap,
            guards.documents_required("submit"),
        ],
        permission=perm.physician_or_coordinator,
        custom={"label": gettext_noop("submit for verification")},
    )
    def submit(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=[S.SUBMITTED, S.FORMS_PREPARATION, S.AWAITING_PERMIT],
        target=S.INFORMATION_REQUESTED,
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("request information"), "note": "question"},
    )
    def request_information(self, *, by, note: str = "") -> None:
        _require_text(note, "the question for the physician", "request_information")

    @transition(
        field=status,
        source=S.INFORMATION_REQUESTED,
        target=S.SUBMITTED,
        conditions=[guards.request_complete, guards.quantity_within_cap],
        permission=perm.is_case_physician,
        custom={"label": gettext_noop("answer and resubmit"), "note": "answer"},
    )
    def resubmit(self, *, by, note: str = "") -> None:
        _require_text(note, "the answer to the coordinator's question", "resubmit")

    @transition(
        field=status,
        source=S.SUBMITTED,
        target=S.FORMS_PREPARATION,
        conditions=[
            guards.request_complete,
            guards.quantity_within_cap,
            guards.documents_required("verify"),
            guards.verification_complete,
        ],
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("verify prescription")},
    )
    def verify(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=[S.SUBMITTED, S.AWAITING_PERMIT],
        target=S.REJECTED,
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("reject"), "note": "reason"},
    )
    def reject(self, *, by, note: str = "") -> None:
        _require_text(note, "the reason for rejection", "reject")

    @transition(
        field=status,
        source=S.FORMS_PREPARATION,
        target=S.AWAITING_PERMIT,
        conditions=[
            guards.application_complete,
            guards.documents_required("file_application"),
            guards.undertaking_signed,
            guards.consent_signed,
            guards.regulator_reference_recorded,
        ],
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("file application with the regulator")},
    )
    def file_application(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=S.AWAITING_PERMIT,
        target=S.SUPPLIER_ORDERING,
        conditions=[guards.permit_recorded, guards.documents_required("record_permit")],
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("record permit")},
    )
    def record_permit(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=S.SUPPLIER_ORDERING,
        target=S.SUPPLIER_ORDERING,
        conditions=[guards.quotation_paid_or_waived],
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("send the order to the supplier")},
    )
    def order_from_supplier(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=S.SUPPLIER_ORDERING,
        target=S.IN_TRANSIT,
        conditions=[guards.supplier_ordered, guards.shipment_ready],
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("dispatch")},
    )
    def dispatch(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=S.IN_TRANSIT,
        target=S.CUSTOMS_CLEARANCE,
        # Also the courier's own report of arrival at the port (orders.milestones),
        # made with its service account (role system).
        permission=perm.coordinator_or_system,
        custom={"label": gettext_noop("arrived at customs")},
    )
    def arrive(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=S.CUSTOMS_CLEARANCE,
        target=S.OUT_FOR_DELIVERY,
        conditions=[guards.customs_cleared],
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("clear customs")},
    )
    def clear_customs(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=[S.IN_TRANSIT, S.CUSTOMS_CLEARANCE, S.OUT_FOR_DELIVERY],
        target=S.QUARANTINED,
        permission=perm.coordinator_or_system,
        custom={"label": gettext_noop("quarantine"), "note": "reason"},
    )
    def quarantine(self, *, by, note: str = "") -> None:
        _require_text(note, "the reason for quarantine", "quarantine")

    @transition(
        field=status,
        source=S.QUARANTINED,
        target=S.OUT_FOR_DELIVERY,
        conditions=[guards.quality_release_signed],
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("release after quality review"), "note": "quality decision"},
    )
    def release(self, *, by, note: str = "") -> None:
        _require_text(note, "the quality decision and its reason", "release")

    @transition(
        field=status,
        source=S.QUARANTINED,
        target=S.SUPPLIER_ORDERING,
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("reject lot and reorder"), "note": "reason"},
    )
    def reorder(self, *, by, note: str = "") -> None:
        _require_text(note, "the reason the lot is rejected", "reorder")
        shipment = self.current_shipment
        if shipment is None or not shipment.batch_number:
            raise GuardFailed(
                transition_label("reorder"), ["the rejected lot (no shipment recorded)"]
            )

    @transition(
        field=status,
        source=S.OUT_FOR_DELIVERY,
        target=S.DELIVERED,
        conditions=[guards.delivery_recorded],
        permission=perm.may_confirm_delivery,
        custom={"label": gettext_noop("confirm delivery")},
    )
    def confirm_delivery(self, *, by, note: str = "") -> None:
        # The patient's own word is the proof; a coordinator confirming for them
        # must hold the signed proof of delivery.
        if perm.is_coordinator(self, by):
            has_proof = (
                self.documents.current().accepted().filter(kind=DocumentKind.PROOF_OF_DELIVERY)
            ).exists()
            if not has_proof:
                raise GuardFailed(
                    transition_label("confirm_delivery"), ["an accepted proof of delivery"]
                )

    @transition(
        field=status,
        source=S.DELIVERED,
        target=S.CLOSED,
        permission=perm.coordinator_or_system,
        custom={"label": gettext_noop("close")},
    )
    def close(self, *, by, note: str = "") -> None:
        pass

    @transition(
        field=status,
        source=list(ACTIVE_STATES),
        target=S.ON_HOLD,
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("put on hold"), "note": "reason"},
    )
    def hold(self, *, by, note: str = "") -> None:
        _require_text(note, "the reason for the hold", "hold")
        self.held_from = self.status

    @transition(
        field=status,
        source=S.ON_HOLD,
        target=RETURN_VALUE(*ACTIVE_STATES),
        permission=perm.is_coordinator,
        custom={"label": gettext_noop("resume"), "note": "reason"},
    )
    def resume(self, *, by, note: str = "") -> str:
        _require_text(note, "the reason for resuming", "resume")
        if self.held_from not in ACTIVE_STATES:
            raise GuardFailed(transition_label("resume"), ["the state the case was held from"])
        previous, self.held_from = self.held_from, ""
        return previous

    @transition(
        field=status,
        source=[*BEFORE_DISPATCH, S.ON_HOLD],
        target=S.CANCELLED,
        conditions=[guards.held_before_dispatch],
        permission=perm.may_cancel,
        custom={"label": gettext_noop("cancel"), "note": "reason"},
    )
    def cancel(self, *, by, note: str = "") -> None:
        _require_text(note, "the reason for cancelling", "cancel")
        self.held_from = ""


def transition_label(name: str) -> str:
    """What the transition `name` is called on its button ("Submit for verification").
    Its label is declared once, on the transition, in lower case as a refusal names it
    ("Cannot submit for verification yet"): the catalogue's msgid, which
    orders.errors.action_words translates."""
    first = next(iter(getattr(ImportCase, name)._django_fsm.transitions.values()))
    return capfirst(first.custom.get("label", name.replace("_", " ")))


class CaseStateCount(models.Model):
    """How many cases are in each state, kept exact by database triggers on the case
    table (migration 0007) in the transaction that moves the case: no COUNT(*) over a
    million rows, no cache to go stale, whatever writes the row (a service, the admin,
    a bulk load). Each state's count is split over SLOTS rows by case id, so that
    transitions committing at once rarely wait on the same row; read the sum."""

    SLOTS = 16

    status = models.CharField(max_length=30)
    slot = models.PositiveSmallIntegerField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["status", "slot"], name="case_state_count_slot")
        ]

    def __str__(self) -> str:
        return f"{self.status}[{self.slot}]: {self.count}"


class CaseSearch(models.Model):
    """What a coordinator may quote to find a case, as one lower-case text per case:
    reference, patient name, phone (its digits only: orders.search.phone_digits, the
    rule migration 0021 gave the triggers), identity last four, physician name,
    regulator reference, permit, Bill of Entry, lot delivered, and each shipment's lot
    and AWB/tracking number. The database keeps it (triggers on the case, its patient
    and its shipments, migration 0012, reading the view orders_casesearch_source), so
    every write path keeps it current; it is searched through a trigram index (pg_trgm
    GIN on PostgreSQL, an FTS5 trigram table on SQLite)."""

    case = models.OneToOneField(
        ImportCase, primary_key=True, on_delete=models.CASCADE, related_name="search"
    )
    document = models.TextField()

    def __str__(self) -> str:
        return f"{self.case_id}: {self.document}"


class CaseIdentifier(models.Model):
    """One whole identifier a coordinator may quote, normalised, and the case it names:
    the patient's phone (its digits as orders.search.phone_digits keeps them, and its
    last ten: the number without the country code), the identity document's last
    four, the regulator's reference, the permit, the Bill of Entry, the lot delivered,
    and each shipment's lot and AWB/tracking number; lower case, without spaces or
    dashes. The database keeps it exact (triggers on the case, its patient and its
    shipments, migrations 0020 and 0021, reading the view
    orders_caseidentifier_source), as it keeps CaseSearch. The primary key (key, case)
    is the b-tree the search's exact path reads: a whole identifier is found in a few
    index pages whatever the number of cases, where a trigram index reads posting
    lists that grow with them."""

    pk = models.CompositePrimaryKey("key", "case")
    key = models.TextField()
    case = models.ForeignKey(ImportCase, on_delete=models.CASCADE, related_name="identifiers")

    def __str__(self) -> str:
        return f"{self.key}: {self.case_id}"


class Shipment(models.Model):
    """One consignment for a case; a quarantined lot rejected on reorder stays here."""

    case = models.ForeignKey(ImportCase, on_delete=models.PROTECT, related_name="shipments")
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    purchase_order_number = models.CharField(max_length=100, blank=True)
    batch_number = models.CharField(max_length=100, blank=True)
    manufactured_on = models.DateField(null=True, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    quantity_packs = models.PositiveIntegerField(null=True, blank=True)
    courier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "pk"]

    def __str__(self) -> str:
        return f"{self.case} lot {self.batch_number or '?'}"


class Verification(models.Model):
    """The coordinator's prescription checklist and the product's safety screen."""

    CHECKLIST = (
        ("prescriber_registration_checked", "prescriber's registration confirmed"),
        ("patient_identity_checked", "patient identity matches"),
        ("product_match_checked", "drug, strength, dose and quantity match the prescription"),
        ("signature_checked", "prescription signed"),
    )

    case = models.OneToOneField(ImportCase, on_delete=models.PROTECT, related_name="verification")
    prescriber_registration_checked = models.BooleanField(default=False)
    patient_identity_checked = models.BooleanField(default=False)
    product_match_checked = models.BooleanField(default=False)
    signature_checked = models.BooleanField(default=False)
    prescription_date = models.DateField(null=True, blank=True)
    co_medications_reviewed = models.BooleanField(default=False)
    co_medications = models.JSONField(default=list, blank=True)
    measurements = models.JSONField(default=dict, blank=True)
    threshold_justification = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Verification of {self.case}"


# --- The audit trail ---------------------------------------------------------------


class AppendOnlyError(DomainError):
    pass


class CaseEventQuerySet(models.QuerySet["CaseEvent"]):
    def update(self, **kwargs):
        raise AppendOnlyError("Case events are append-only: they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Case events are append-only: they cannot be deleted.")


class CaseEvent(models.Model):
    """One thing that happened to a case. Append-only: the history an inspector reads,
    and the outbox from which notifications leave. PostgreSQL refuses UPDATE and
    DELETE on this table with a trigger (migration 0002)."""

    CREATED = "create"

    case = models.ForeignKey(ImportCase, on_delete=models.PROTECT, related_name="events")
    transition = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, choices=S.choices, blank=True)
    to_state = models.CharField(max_length=30, choices=S.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The person whose action caused a system event.",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.transition} {self.from_state}->{self.to_state}"

    def save(self, *args, **kwargs) -> None:
        self.stamp_for_insert()
        super().save(*args, **kwargs)

    def stamp_for_insert(self) -> None:
        """Refuse to write an event twice; give it the database's clock, always: an
        event cannot be back- or forward-dated (orders.compiled inserts it too)."""
        if not self._state.adding:
            raise AppendOnlyError("Case events are append-only: they cannot be updated.")
        self.created_at = Now()

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Case events are append-only: they cannot be deleted.")

    def clean(self) -> None:
        if self.transition != self.CREATED and not self.to_state:
            raise ValidationError("An event records the state it led to.")


# --- Safety --------------------------------------------------------------------------


class AdverseEventQuerySet(models.QuerySet["AdverseEvent"]):
    def overdue(self, today: dt.date) -> AdverseEventQuerySet:
        """The reports overdue on `today` (AdverseEvent.overdue_on, in SQL)."""
        return self.filter(acknowledged_on__isnull=True, due_on__lt=today)


class AdverseEvent(models.Model):
    """A suspected side effect reported on a case by its physician or patient (or a
    coordinator for them). The system sends it on a CIOMS I form to the supplier's
    pharmacovigilance address; the manufacturer must have confirmed receipt by
    `due_on`: the pathway's clock (serious 7 days, non-serious 15 by default), after
    which every coordinator is told."""

    class Seriousness(models.TextChoices):
        SERIOUS = "serious", "Serious"
        NON_SERIOUS = "non_serious", "Not serious"

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", "Recovered"
        RECOVERING = "recovering", "Recovering"
        NOT_RECOVERED = "not_recovered", "Not recovered"
        RECOVERED_WITH_SEQUELAE = "sequelae", "Recovered with lasting effects"
        FATAL = "fatal", "Fatal"
        UNKNOWN = "unknown", "Unknown"

    case = models.ForeignKey(ImportCase, on_delete=models.PROTECT, related_name="adverse_events")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The clock starts when the service learns of it: an application time, so that
    # it follows the same clock as the due date computed from it.
    reported_at = models.DateTimeField()
    onset_date = models.DateField()
    description = models.TextField()
    seriousness = models.CharField(max_length=20, choices=Seriousness.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.UNKNOWN)
    lot_number = models.CharField(max_length=100, blank=True, help_text="The lot received.")
    due_on = models.DateField(help_text="The manufacturer has it, acknowledged, by.")
    forwarded_at = models.DateTimeField(null=True, blank=True)
    forwarded_to = models.EmailField(blank=True)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The CIOMS I form sent to the supplier's pharmacovigilance address (a generated
    # document of the case; documents are reached by relation, never imported).
    report_document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_on = models.DateField(
        null=True, blank=True, help_text="The day the manufacturer confirmed receipt."
    )
    manufacturer_reference = models.CharField(
        max_length=100, blank=True, help_text="The manufacturer's own case number, if given."
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AdverseEventQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        indexes = [models.Index(fields=["forwarded_at", "due_on"])]

    def __str__(self) -> str:
        return f"{self.get_seriousness_display()} adverse event on {self.case}"

    def overdue_on(self, today: dt.date) -> bool:
        """The manufacturer had not confirmed receipt by the due date: sent or not, the
        clock runs until a coordinator records the receipt. The due day itself is not
        late. AdverseEventQuerySet.overdue is the same rule for a list."""
        return self.acknowledged_on is None and self.due_on < today

    @property
    def is_overdue(self) -> bool:
        """Overdue today (the service's local date), as the case page shows it."""
        return self.overdue_on(timezone.localdate())
