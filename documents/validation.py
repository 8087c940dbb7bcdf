"""Upload checks: decided by content, never by name.

The bytes are sniffed (libmagic), then parsed by a decoder for that one type and
re-written: images are re-encoded without metadata, PDFs are re-saved without
scripts, automatic actions or embedded files. What leaves here is the cleaned copy;
the original bytes are never stored. A file that is PDF and HTML at once passes a
magic check, but only its PDF survives the re-save.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

import magic
import pikepdf
from django.conf import settings
from PIL import Image, ImageOps

from documents.models import DocumentKind
from orders.models import DomainError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
CSV = "text/csv"

EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", CSV: "csv"}
IMAGE_FORMATS = {JPEG: "JPEG", PNG: "PNG"}


class UploadRejected(DomainError):
    pass


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    original_filename: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def max_upload_bytes() -> int:
    return settings.NPP_UPLOAD_MAX_BYTES


def allowed_types(kind: str) -> tuple[str, ...]:
    if kind == DocumentKind.TEMPERATURE_LOG:
        return (CSV, PDF)
    return (PDF, JPEG, PNG)


def clean_filename(name: str) -> str:
    """The name the person gave, safe to show and to put in a header: no path, no
    control characters, no leading dots, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 115 - len(ext)] + dot + ext) if dot and len(ext) <= 5 else name[:120]
    return name or "upload"


def validate_upload(content: bytes, *, filename: str, kind: str) -> CleanFile:
    if not content:
        raise UploadRejected("The file is empty.")
    limit = max_upload_bytes()
    if len(content) > limit:
        raise UploadRejected(f"The file is larger than the {limit // (1024 * 1024)} MB limit.")
    sniffed = magic.from_buffer(content[:8192], mime=True)
    allowed = allowed_types(kind)
    content_type = _content_type(sniffed, allowed)
    if content_type is None:
        names = ", ".join(EXTENSIONS[t].upper() for t in allowed)
        raise UploadRejected(
            f"This file is not an accepted type for a {DocumentKind(kind).label.lower()} "
            f"({names} only); its content looks like {sniffed}."
        )
    if content_type == PDF:
        cleaned = clean_pdf(content)
    elif content_type == CSV:
        cleaned = clean_csv(content)
    else:
        cleaned = clean_image(content, content_type)
    return CleanFile(cleaned, content_type, clean_filename(filename))


def _content_type(sniffed: str, allowed: tuple[str, ...]) -> str | None:
    if sniffed in allowed:
        return sniffed
    if CSV in allowed and sniffed in ("text/plain", "application/csv"):
        return CSV
    return None


def clean_image(content: bytes, content_type: str) -> bytes:
    fmt = IMAGE_FORMATS[content_type]
    max_pixels = settings.NPP_UPLOAD_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[fmt]) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise UploadRejected(
                        f"The image is too large ({width}x{height} pixels; "
                        f"at most {max_pixels // 1_000_000} megapixels)."
                    )
                image.load()
                # Apply the orientation EXIF gives, then drop every metadata block.
                upright = ImageOps.exif_transpose(image)
                pixels = upright.convert("RGB") if fmt == "JPEG" else upright
                out = io.BytesIO()
                if fmt == "JPEG":
                    pixels.save(out, format="JPEG", quality=90, optimize=True)
                else:
                    pixels.save(out, format="PNG", optimize=True)
                return out.getvalue()
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected("The image is too large to open safely.") from None
    except Exception:
        raise UploadRejected("The image is damaged or not a real JPEG/PNG.") from None


def clean_pdf(content: bytes) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            if len(pdf.pages) == 0:
                raise UploadRejected("The PDF has no pages.")
            _strip_active_content(pdf)
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False, linearize=False)
            return out.getvalue()
    except UploadRejected:
        raise
    except pikepdf.PasswordError:
        raise UploadRejected("The PDF is password-protected; upload an unprotected copy.") from None
    except Exception:
        raise UploadRejected("The PDF is damaged and cannot be read.") from None


def _strip_active_content(pdf: pikepdf.Pdf) -> None:
    root = pdf.Root
    for key in ("/OpenAction", "/AA", "/AcroForm"):
        if key in root:
            del root[key]
    if "/Names" in root:
        names = root.Names
        for key in ("/JavaScript", "/EmbeddedFiles"):
            if key in names:
                del names[key]
    for page in pdf.pages:
        if "/AA" in page.obj:
            del page.obj["/AA"]
        if "/Annots" in page.obj:
            kept = pikepdf.Array(
                annot
                for annot in page.obj.Annots
                if annot.get("/Subtype") != "/FileAttachment"
                and not ("/A" in annot and annot.A.get("/S") in ("/JavaScript", "/Launch"))
            )
            for annot in kept:
                if "/AA" in annot:
                    del annot["/AA"]
            page.obj.Annots = kept


def clean_csv(content: bytes) -> bytes:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected("The CSV file is not UTF-8 text.") from None
    if "\x00" in text:
        raise UploadRejected("The CSV file contains binary data.")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(rows) < 2 or any(len(row) < 2 for row in rows):
        raise UploadRejected(
            "The CSV file must have a header and at least one row of timestamp, temperature."
        )
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")
