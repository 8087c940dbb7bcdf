"""A look at a document without downloading it: its first pages as one image,
rendered on the server from the stored file (which upload validation already
sanitised: no scripts, no actions, pixels only), so the browser never opens the
PDF itself. Served by the same view rules as a download (documents.views)."""

from __future__ import annotations

import io
import threading

import pypdfium2 as pdfium
from PIL import Image

from documents.validation import IMAGE_FORMATS, JPEG, PDF, PNG
from orders.errors import DomainError

# How much of a document the preview shows, and how wide (CSS pixels x2 for sharp
# text on a phone, then scaled down by the page).
PREVIEW_PAGES = 2
PREVIEW_WIDTH = 1000
# A page taller than this (a long receipt roll) is cut: a preview, not a reader.
MAX_PAGE_HEIGHT = 3 * PREVIEW_WIDTH
GAP = 16

PREVIEWABLE = frozenset({PDF, JPEG, PNG})

# PDFium is not thread-safe: one rendering at a time per process (a threaded server).
_pdfium = threading.Lock()


class NoPreview(DomainError):
    pass


def previewable(content_type: str) -> bool:
    return content_type in PREVIEWABLE


def preview_png(content: bytes, content_type: str) -> bytes:
    """The first pages of a PDF, or the image itself, scaled to the preview width,
    as a PNG."""
    if content_type == PDF:
        pages = _pdf_pages(content)
    elif content_type in IMAGE_FORMATS:
        pages = [_image(content, content_type)]
    else:
        raise NoPreview("There is no preview for this kind of file: download it instead.")
    return _png(_stack(pages))


def _pdf_pages(content: bytes) -> list[Image.Image]:
    with _pdfium:
        try:
            pdf = pdfium.PdfDocument(content)
        except pdfium.PdfiumError:
            raise NoPreview("The PDF cannot be shown.") from None
        try:
            pages = []
            for index in range(min(len(pdf), PREVIEW_PAGES)):
                page = pdf[index]
                width = page.get_width() or 1
                bitmap = page.render(scale=PREVIEW_WIDTH / width, draw_annots=False)
                pages.append(_capped(bitmap.to_pil().convert("RGB")))
                page.close()
            return pages
        finally:
            pdf.close()


def _image(content: bytes, content_type: str) -> Image.Image:
    with Image.open(io.BytesIO(content), formats=[IMAGE_FORMATS[content_type]]) as image:
        image = image.convert("RGB")
        if image.width > PREVIEW_WIDTH:
            height = round(image.height * PREVIEW_WIDTH / image.width)
            image = image.resize((PREVIEW_WIDTH, max(height, 1)), Image.Resampling.LANCZOS)
        return _capped(image)


def _capped(image: Image.Image) -> Image.Image:
    if image.height > MAX_PAGE_HEIGHT:
        return image.crop((0, 0, image.width, MAX_PAGE_HEIGHT))
    return image


def _stack(pages: list[Image.Image]) -> Image.Image:
    if len(pages) == 1:
        return pages[0]
    width = max(page.width for page in pages)
    height = sum(page.height for page in pages) + GAP * (len(pages) - 1)
    sheet = Image.new("RGB", (width, height), (229, 233, 238))
    top = 0
    for page in pages:
        sheet.paste(page, (0, top))
        top += page.height + GAP
    return sheet


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
