"""HTML to PDF: Django templates with print CSS, laid out by WeasyPrint.

Rendering is the one place where text typed by patients and physicians meets a
program that can fetch URLs. Templates autoescape every value, and as a second
wall the fetcher below serves only the project's own static files: an `<img>`,
`url()` or `@import` pointing anywhere else (http, file, data, another host)
fetches nothing, so a PDF cannot be made to read local files or call the network.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf
import weasyprint.draw.text
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Scripts whose shaping reorders or merges characters (Devanagari: a vowel sign drawn
# before its consonant, conjuncts as one glyph). WeasyPrint's text layer maps each
# glyph to the characters of the first cluster it was drawn in, so a Hindi line would
# copy (or be read aloud) as something else than it says. Each such line is wrapped
# in a marked-content span whose /ActualText is the line's own text, which readers
# and text extraction use instead of the glyphs' mapping (PDF 32000 14.9.4).
_SHAPED_SCRIPTS = ((0x0900, 0x097F), (0xA8E0, 0xA8FF))  # Devanagari and its extension


def _needs_actual_text(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _SHAPED_SCRIPTS)


def _with_actual_text(draw_first_line):
    def draw(stream, textbox, *args, **kwargs):
        text = textbox.text
        if not _needs_actual_text(text):
            return draw_first_line(stream, textbox, *args, **kwargs)
        stream.begin_marked_content("Span", pydyf.Dictionary({"ActualText": pydyf.String(text)}))
        try:
            return draw_first_line(stream, textbox, *args, **kwargs)
        finally:
            stream.end_marked_content()

    draw.npp_actual_text = True
    return draw


if not getattr(weasyprint.draw.text.draw_first_line, "npp_actual_text", False):
    weasyprint.draw.text.draw_first_line = _with_actual_text(weasyprint.draw.text.draw_first_line)

# The origin templates are rendered against. It never reaches a network: the fetcher
# answers for it from the static files and refuses every other URL.
STATIC_ORIGIN = "https://static.npp.invalid"
BASE_URL = f"{STATIC_ORIGIN}/static/"

# Every generated paper is PDF/A-3a: archival (fonts embedded, colours defined by an
# output intent, metadata in XMP) and accessible (tagged: headings, paragraphs, tables
# and their reading order are in the file, so a screen reader can read it aloud). Its
# title, author, subject and language come from the template's <title>, <meta
# name="author">, <meta name="description"> and <html lang>.
PDF_VARIANT = "pdf/a-3a"

# Longest a single rendering may take, in seconds. The Celery task's soft time limit
# is the outer bound; this one fires first and names the document that was too slow.


class RefusedURL(ValueError):
    """The document asked for something that is not one of our static files."""


class RenderTimeout(Exception):
    """Rendering took longer than allowed."""


class StaticOnlyFetcher(URLFetcher):
    """Serves `https://static.npp.invalid/static/<path>` from the staticfiles finders;
    refuses everything else. WeasyPrint turns a refusal into a warning and leaves the
    resource out, so a hostile URL costs a missing image, never a fetch."""

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        path = static_path(url)
        found = finders.find(path)
        if not found:
            raise RefusedURL(f"No static file {path!r}.")
        file = Path(found)
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=file.read_bytes(), headers={"Content-Type": content_type}
        )


def static_path(url: str) -> str:
    """The static file a URL names, or RefusedURL. Only our origin, only GET-able
    paths under /static/, no query, no climbing out with `..`."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if origin != STATIC_ORIGIN or parts.query or not parts.path.startswith("/static/"):
        raise RefusedURL(f"Only the project's static files may be fetched, not {url[:80]!r}.")
    relative = unquote(parts.path.removeprefix("/static/"))
    normal = posixpath.normpath(relative)
    if (
        not relative
        or normal != relative
        or normal.startswith(("/", "."))
        or "\\" in relative
        or "\x00" in relative
    ):
        raise RefusedURL(f"Not a plain static path: {url[:80]!r}.")
    return normal


safe_fetcher = StaticOnlyFetcher()


# One WeasyPrint font configuration per process and thread, made at the first render
# and given to every render after it. WeasyPrint would otherwise make a new one per
# document (a fontconfig FcConfig loaded with the system fonts, attached to a Pango
# font map), and with Pango 1.50 and fontconfig 2.14 about 226 KiB of it is never
# freed when the document is: a worker grew by that much per PDF (bench/README.md,
# bench_pdf_memory.py). Per thread because a Pango font map is not thread-safe; per
# process because a prefork child must not use a map its parent built before forking.
# Our papers use only system fonts (no @font-face), so nothing accumulates in it.
_fonts = threading.local()


def font_config() -> FontConfiguration:
    """This thread's font configuration, the same object for every render."""
    pid, config = getattr(_fonts, "made", (None, None))
    if pid != os.getpid() or config is None:
        config = FontConfiguration()
        _fonts.made = (os.getpid(), config)
    return config


def render_html(template_name: str, context: Mapping[str, Any]) -> str:
    return render_to_string(template_name, dict(context))


def render_pdf(
    template_name: str, context: Mapping[str, Any], *, timeout: float | None = None
) -> bytes:
    """The PDF of `template_name` rendered with `context`."""
    html = render_html(template_name, context)
    seconds = timeout or settings.NPP_RENDER_TIMEOUT
    with Deadline(seconds, what=template_name):
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=safe_fetcher)
        return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, font_config=font_config())


class _Expired(BaseException):
    """Raised by the timer signal. A BaseException, so that no `except Exception` on
    the way (WeasyPrint turns a failing fetch into a warning) can swallow it; it is
    turned into RenderTimeout at the edge of `deadline`."""


# After an expiry the timer fires again at this interval until the block ends: a signal
# handler's exception raised while Python runs a gc callback or a __del__ is printed as
# "unraisable" and dropped (seen in CI under hypothesis's gc callback), and the rendering
# would then run on unbounded.
_REPEAT = 0.05


class Deadline:
    """Interrupt the `with` block after `seconds` with RenderTimeout.

    A timer signal only reaches the main thread, which is where a Celery worker
    (prefork child or solo pool) and the test runner execute: there this bounds a
    layout that runs away (a huge table, pathological CSS). Elsewhere, e.g. under a
    threaded pool, it does nothing and the task's soft_time_limit is the bound.
    A class rather than a generator so that a signal landing while the block is being
    left is seen by `__exit__` itself, which then disarms the timer and reports it.
    """

    def __init__(self, seconds: float, *, what: str):
        self.seconds, self.what = seconds, what
        self.armed = seconds > 0 and threading.current_thread() is threading.main_thread()
        self.expired = False

    def __enter__(self) -> Deadline:
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def _expire(self, signum, frame) -> None:
        self.expired = True
        if frame is not None and frame.f_code is _LEAVING:
            return  # the block is over: __exit__ reports the expiry
        signal.setitimer(signal.ITIMER_REAL, _REPEAT)  # again, should this one be dropped
        raise _Expired

    def __exit__(self, kind, error, traceback) -> None:
        if not self.armed:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        if kind is _Expired or (kind is None and self.expired):
            raise RenderTimeout(
                f"Rendering {self.what} took longer than {self.seconds:g} s."
            ) from None


_LEAVING = Deadline.__exit__.__code__
