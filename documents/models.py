"""Documents of an import case: what people upload and what the system generates."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models.functions import Now

from documents.seals import UnknownSigningKey, seal, seal_matches
from orders.display import format_datetime
from orders.papers import DocumentKind, ReviewStatus, SignatureMeaning, SignerCapacity


def private_storage():
    return storages["private"]


class DocumentQuerySet(models.QuerySet["Document"]):
    def current(self) -> DocumentQuerySet:
        """The latest version of each kind: superseded ones stay as history."""
        return self.filter(superseded_by__isnull=True)

    def accepted(self) -> DocumentQuerySet:
        return self.filter(review_status=ReviewStatus.ACCEPTED)

    def not_rejected(self) -> DocumentQuerySet:
        return self.exclude(review_status=ReviewStatus.REJECTED)


class Document(models.Model):
    case = models.ForeignKey(
        "orders.ImportCase", on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=40, choices=DocumentKind.choices)
    file = models.FileField(storage=private_storage, upload_to="documents/%Y/%m/")
    original_filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    generated = models.BooleanField(default=False, help_text="Rendered by the system.")
    version = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    # A resupply's copy of a document still valid on the case it follows: the same
    # stored bytes, pointing at the first upload (never at another copy), whose date
    # the validity counts from (orders.resupply).
    reused_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reuses",
    )
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    review_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["case", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "version"], name="document_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} ({self.case})"


class DocumentDownload(models.Model):
    """Who fetched which document, when: appended by the download view."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    downloaded_at = models.DateTimeField(db_default=Now(), editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-downloaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} downloaded {self.document}"


class RenderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    # Not rendered, and never will be: the data it was asked for changed and the newer
    # data has its own job, or the case closed first (its papers can no longer change).
    OUTDATED = "outdated", "Outdated"


class RenderJob(models.Model):
    """One generated document to produce: case, kind and the version of the data it
    is rendered from. The unique key makes a second request, or a task delivered
    twice, harmless: it finds the job and does nothing."""

    case = models.ForeignKey(
        "orders.ImportCase", on_delete=models.PROTECT, related_name="render_jobs"
    )
    kind = models.CharField(max_length=40, choices=DocumentKind.choices)
    data_version = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="render_job"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The database's clock, as a case event's: a job is compared with the event that
    # made it outdated (the closing) or that should have asked for it (the sweep).
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case", "kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "data_version"], name="render_job_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case} ({self.get_status_display()})"


class Signature(models.Model):
    """An electronic signature: who signed which exact bytes, meaning what, when.

    `seal` is an HMAC over every one of those facts and the record's identity, so
    a signature whose document changed, or that is re-pointed at another record,
    no longer verifies (documents.signatures.signature_verifies)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=20, choices=SignatureMeaning.choices)
    # Who signed a patient's paper: the patient, or a minor's parent or guardian.
    capacity = models.CharField(max_length=20, choices=SignerCapacity.choices, blank=True)
    signed_at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)
    seal = models.CharField(max_length=64)
    # Which of settings.NPP_SIGNING_KEYS sealed it ("legacy": the SECRET_KEY-derived key).
    key_id = models.CharField(max_length=32)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.printed_name} ({self.get_meaning_display()}) on {self.document}"

    @property
    def capacity_label(self) -> str:
        """Who signed for a minor ("Parent of the patient"), as every paper and page
        shows it; empty for a patient's own signature or a paper signed in no
        capacity (that needs no word)."""
        if not self.capacity or self.capacity == SignerCapacity.PATIENT:
            return ""
        return self.get_capacity_display()

    @property
    def manifestation(self) -> str:
        """The signature as a reader sees it: printed name, capacity, date and time,
        meaning (21 CFR 11.50's three facts, and who signed for a minor)."""
        when = format_datetime(self.signed_at)
        who = self.printed_name
        if self.capacity_label:
            who = f"{who}, {self.capacity_label.lower()}"
        return f"{who} · {when} · {self.get_meaning_display()}"

    def verifies(self) -> bool:
        """The stored file still has the signed bytes and the seal still matches the
        record. Reads the file: a method here so that the domain's guards can ask a
        signature they reach through the case without importing this app."""
        # The document read with this signature (prefetched with it), or from the database.
        if Signature.document.is_cached(self):
            document = self.document
        else:
            document = Document.objects.get(pk=self.document_id)
        with document.file.open("rb") as stored:
            actual = hashlib.sha256(stored.read()).hexdigest()
        try:
            expected = self.expected_seal(case_id=document.case_id)
        except UnknownSigningKey:
            return False  # sealed with a key this installation does not hold
        return actual == self.content_sha256 == document.sha256 and seal_matches(
            expected, self.seal
        )

    def expected_seal(self, *, case_id: int) -> str:
        return seal(
            key_id=self.key_id,
            document_id=self.document_id,
            case_id=case_id,
            signer_id=self.signer_id,
            printed_name=self.printed_name,
            meaning=self.meaning,
            signed_at_iso=self.signed_at.isoformat(),
            content_sha256=self.content_sha256,
            capacity=self.capacity,
        )
