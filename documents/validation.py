"""Upload checks: decided by content, never by name.

The bytes are sniffed (libmagic), then parsed by a decoder for that one type and
re-written: images are re-encoded without metadata, PDFs are re-saved without any
action, script or embedded file (form fields stay, without their scripts). What
leaves here is the cleaned copy; the original bytes are never stored. A file that is
PDF and HTML at once passes a magic check, but only its PDF survives the re-save.
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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

from documents.models import DocumentKind
from orders.errors import DomainError
from orders.temperature import TemperatureLogInvalid, log_delimiter, parse_temperature_log

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
CSV = "text/csv"

EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", CSV: "csv"}
IMAGE_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
# What a refused file seems to be, in words a patient knows, for the types phones and
# offices produce most (a phone's HEIC photo above all); any other is named by its
# media type.
SNIFFED_NAMES = {
    "text/plain": gettext_lazy("plain text"),
    "text/html": gettext_lazy("a web page (HTML)"),
    "image/gif": gettext_lazy("a GIF image"),
    "image/webp": gettext_lazy("a WebP image"),
    "image/heic": gettext_lazy("a HEIC photo (as iPhones save them)"),
    "image/heif": gettext_lazy("a HEIC photo (as iPhones save them)"),
    "application/msword": gettext_lazy("a Word document"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": gettext_lazy(
        "a Word document"
    ),
    "application/vnd.ms-excel": gettext_lazy("a spreadsheet"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": gettext_lazy(
        "a spreadsheet"
    ),
    "application/zip": gettext_lazy("a ZIP archive"),
}


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
        raise UploadRejected(_("The file is empty."))
    limit = max_upload_bytes()
    if len(content) > limit:
        raise UploadRejected(
            _("The file is larger than the %(limit)s MB limit.") % {"limit": limit // (1024 * 1024)}
        )
    sniffed = magic.from_buffer(content[:8192], mime=True)
    allowed = allowed_types(kind)
    content_type = _content_type(sniffed, allowed)
    if content_type is None:
        names = ", ".join(EXTENSIONS[t].upper() for t in allowed)
        raise UploadRejected(
            _(
                "This file is not an accepted type for a %(kind)s (%(types)s only); its "
                "content looks like %(sniffed)s."
            )
            % {
                "kind": _(DocumentKind(kind).label).lower(),
                "types": names,
                "sniffed": SNIFFED_NAMES.get(sniffed, sniffed),
            }
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
                        _(
                            "The image is too large (%(width)sx%(height)s pixels; at most "
                            "%(max)s megapixels)."
                        )
                        % {"width": width, "height": height, "max": max_pixels // 1_000_000}
                    )
                image.load()
                # Apply the orientation EXIF gives, then keep nothing but the pixels.
                upright = ImageOps.exif_transpose(image)
                out = io.BytesIO()
                if fmt == "JPEG":
                    pixels = _pixels_only(upright.convert("RGB"))
                    pixels.save(out, format="JPEG", quality=90, optimize=True)
                else:
                    options = {}
                    if "transparency" in upright.info:  # which colour is see-through
                        options["transparency"] = upright.info["transparency"]
                    _pixels_only(upright).save(out, format="PNG", optimize=True, **options)
                return out.getvalue()
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected(_("The image is too large to open safely.")) from None
    except Exception:
        raise UploadRejected(_("The image is damaged or not a real JPEG/PNG.")) from None


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image made of `image`'s pixels (and palette) alone. Pillow carries what
    it read (a JPEG comment, a PNG's ICC profile) from `info` into what it writes, and
    convert() and copy() keep `info`: only a fresh image drops comments, EXIF, XMP,
    IPTC, ICC profiles and PNG text for certain. Colours are stored as sRGB without
    a profile: a scan loses at most a slight tint, and no profile can carry text."""
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.palette is not None and image.mode in ("P", "PA"):
        mode = image.palette.mode
        clean.putpalette(image.getpalette(mode), mode)
    return clean


def clean_pdf(content: bytes) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            if len(pdf.pages) == 0:
                raise UploadRejected(_("The PDF has no pages."))
            _strip_active_content(pdf)
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False, linearize=False)
            return out.getvalue()
    except UploadRejected:
        raise
    except pikepdf.PasswordError:
        raise UploadRejected(
            _("The PDF is password-protected; upload an unprotected copy.")
        ) from None
    except Exception:
        raise UploadRejected(_("The PDF is damaged and cannot be read.")) from None


# Every action type of PDF 2.0. None is kept: a stored upload is a record to read,
# not a program to run (a plain jump inside the document is kept as a destination).
PDF_ACTION_TYPES = frozenset(
    {
        "/GoTo",
        "/GoToR",
        "/GoToE",
        "/GoToDp",
        "/Launch",
        "/Thread",
        "/URI",
        "/Sound",
        "/Movie",
        "/Hide",
        "/Named",
        "/SubmitForm",
        "/ResetForm",
        "/ImportData",
        "/SetOCGState",
        "/Rendition",
        "/Trans",
        "/GoTo3DView",
        "/JavaScript",
        "/RichMediaExecute",
    }
)
# Keys that hold actions, scripts or files wherever they hang.
PDF_ACTIVE_KEYS = frozenset(
    {
        "/A",
        "/AA",
        "/OpenAction",
        "/JS",
        "/JavaScript",
        "/EmbeddedFiles",
        "/EF",
        "/RF",
        "/XFA",
        "/RichMediaContent",
        "/RichMediaSettings",
        "/Collection",
    }
)
# Annotations whose whole point is to play, run or carry something.
PDF_ACTIVE_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
)


def _strip_active_content(pdf: pikepdf.Pdf) -> None:
    """Remove every action, script, form script, XFA form and embedded file, wherever
    it hangs: the catalogue, the name trees, outline items (bookmarks), pages,
    annotations, form fields, chains of /Next actions, or a key no standard names.
    Every object of the file is visited (the catalogue's tree and any object not
    reachable from it), so nothing depends on knowing where a viewer looks."""
    for page in pdf.pages:
        if "/Annots" in page.obj:
            page.obj.Annots = pikepdf.Array(
                annot
                for annot in page.obj.Annots
                if not (
                    isinstance(annot, pikepdf.Dictionary)
                    and str(annot.get("/Subtype", "")) in PDF_ACTIVE_ANNOTATIONS
                )
            )
    if "/Names" in pdf.Root:
        # Named destinations are what bookmarks and links jump to; the other trees
        # (scripts, embedded files, templates, renditions) are active content.
        names = pdf.Root.Names
        for key in list(names.keys()):
            if key != "/Dests":
                del names[key]
    _strip_object(pdf.trailer)
    for obj in pdf.objects:
        _strip_object(obj)


def _strip_object(obj: pikepdf.Object) -> None:
    """Strip `obj` and the objects stored inside it; an indirect object inside is
    visited on its own as one of pdf.objects."""
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        _keep_jump_as_destination(obj)
        for key in list(obj.keys()):
            value = obj.get(key)
            if key in PDF_ACTIVE_KEYS or _is_action(value):
                del obj[key]
            elif _is_direct(value):
                _strip_object(value)
    elif isinstance(obj, pikepdf.Array):
        for index, value in enumerate(obj):
            if _is_action(value):
                obj[index] = None  # keeps the other entries where they were
            elif _is_direct(value):
                _strip_object(value)


def _is_direct(value: object) -> bool:
    # pikepdf hands numbers and booleans back as Python values: never containers.
    return isinstance(value, pikepdf.Object) and not value.is_indirect


def _is_action(value: pikepdf.Object) -> bool:
    return isinstance(value, pikepdf.Dictionary) and (
        value.get("/Type") == pikepdf.Name.Action
        or str(value.get("/S", "")) in PDF_ACTION_TYPES
        or "/JS" in value
    )


def _keep_jump_as_destination(obj: pikepdf.Object) -> None:
    """A bookmark or link whose action is a plain jump inside the document keeps the
    jump as a destination (/Dest), which is not an action and runs nothing."""
    action = obj.get("/A")
    if (
        isinstance(action, pikepdf.Dictionary)
        and action.get("/S") == pikepdf.Name.GoTo
        and "/D" in action
        and "/Dest" not in obj
        and ("/Title" in obj or obj.get("/Subtype") == pikepdf.Name.Link)
    ):
        obj.Dest = action.D


def clean_csv(content: bytes) -> bytes:
    """A temperature log, the one CSV accepted. Every reading must be a timestamp and a
    number (orders.temperature reads it, naming the line it refuses), so no text or
    formula is stored where a number belongs. Re-written with the separator it came
    with; text cells (a header, a notes column) are kept and made safe when served
    (csv_for_spreadsheets)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected("The CSV file is not UTF-8 text.") from None
    if "\x00" in text:
        raise UploadRejected("The CSV file contains binary data.")
    try:
        parse_temperature_log(content)
    except TemperatureLogInvalid as error:
        raise UploadRejected(str(error)) from None
    delimiter = log_delimiter(text)
    rows = [
        row
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        if any(cell.strip() for cell in row)
    ]
    out = io.StringIO()
    _csv_writer(out, delimiter).writerows(rows)
    return out.getvalue().encode("utf-8")


def _csv_writer(out: io.StringIO, delimiter: str):
    # CRLF line ends (RFC 4180): Python then quotes any cell holding a CR or LF, which
    # would otherwise start a new row (and hide a formula at its start).
    return csv.writer(out, delimiter=delimiter, lineterminator="\r\n")


# A cell beginning with one of these runs as a formula in a spreadsheet (OWASP CSV
# injection); a line break or tab first can hide the formula behind it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain number, with the unit a logger may add (-2.5, +3, -1,5 °C): data, not a
# formula, so negative temperatures stay numbers a spreadsheet can chart.
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?\s*(?:°\s*C|C)?", re.IGNORECASE)


def csv_for_spreadsheets(content: bytes) -> bytes:
    """A stored CSV as the download view serves it: any cell a spreadsheet would run
    as a formula gets a leading single quote, which spreadsheets show as text. A
    plain number is left as it is. The stored file (and its sha256) is unchanged."""
    text = content.decode("utf-8-sig", errors="replace")
    delimiter = log_delimiter(text)
    out = io.StringIO()
    writer = _csv_writer(out, delimiter)
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        writer.writerow([_formula_safe(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def _formula_safe(cell: str) -> str:
    if not cell.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return cell
    if _PLAIN_NUMBER.fullmatch(cell.strip()):
        return cell
    return "'" + cell
