"""How fast the generated documents render, against WeasyPrint on a plain page.

Renders the application pack and the patient information sheet N times each (context
built from a demo case, Django template, WeasyPrint with the static-only fetcher) and
reports milliseconds per page, next to WeasyPrint's own time for a plain one-page
document measured in the same run on the same machine. The ratio is what our
templates, print CSS and data cost above the renderer itself.

    .venv/bin/python bench/bench_pdf.py [-n 10]

It uses a throwaway SQLite database and storage in a temporary directory.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

SCRATCH = Path(tempfile.mkdtemp(prefix="npp-bench-pdf-"))
# Before Django reads its settings: nothing of the developer's database is touched.
os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH / 'bench.sqlite3'}"
os.environ["NPP_VAR_DIR"] = str(SCRATCH / "var")
os.environ["NPP_PRIVATE_STORAGE"] = str(SCRATCH / "private")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402

from documents.generation.papers import render_document_pdf  # noqa: E402
from documents.models import DocumentKind  # noqa: E402
from npp.accounts.models import Role  # noqa: E402
from orders.models import Product  # noqa: E402
from orders.services import case_create  # noqa: E402
from orders.states import CaseStatus  # noqa: E402
from portals import demo  # noqa: E402
from portals.management.commands import render_samples  # noqa: E402

# WeasyPrint's own floor: a heading and three paragraphs, default styles, one page.
PLAIN_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Plain</title></head><body>'
    "<h1>A plain page</h1>"
    + "<p>The quick brown fox jumps over the lazy dog, again and again. </p>" * 3
    + "</body></html>"
)


def pages_of(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def timed(render, runs: int) -> tuple[float, int]:
    """Median milliseconds of `runs` renderings, and the page count."""
    durations = []
    pages = 0
    for _ in range(runs):
        start = time.perf_counter()
        pdf = render()
        durations.append((time.perf_counter() - start) * 1000)
        pages = pages_of(pdf)
    return statistics.median(durations), pages


def demo_case():
    call_command("migrate", verbosity=0)
    coordinator = render_samples._user(
        "coordinator@bench.npp", "Cora Coordinator", Role.COORDINATOR
    )
    physician = render_samples._physician()
    case = case_create(
        actor=physician.user,
        patient=render_samples._patient(),
        physician=physician,
        product=Product.objects.get(brand_name="Lupkynis"),
        prescribed_dose="23.7 mg (3 capsules) twice daily",
        daily_units=6,
        quantity_packs=3,
        treatment_days=90,
        justification="Active lupus nephritis despite standard therapy; not approved in India.",
        port_of_entry="INBLR4",
    )
    return demo.walk_to(
        case,
        CaseStatus.OUT_FOR_DELIVERY,
        coordinator=coordinator,
        signing_password=render_samples.SAMPLE_PASSWORD,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=10)
    runs = parser.parse_args().runs

    case = demo_case()
    documents = {
        "application pack": DocumentKind.REGULATORY_APPLICATION,
        "patient sheet": DocumentKind.PATIENT_INFORMATION,
    }
    # Warm up: fonts, Pango and the template cache load once per process.
    HTML(string=PLAIN_PAGE).write_pdf()
    for kind in documents.values():
        render_document_pdf(case, kind)

    plain_ms, plain_pages = timed(lambda: HTML(string=PLAIN_PAGE).write_pdf(), runs)
    assert plain_pages == 1, "the baseline must be one page"
    print(f"runs: {runs} (median of each)")
    print(f"weasyprint plain page: {plain_ms:.1f} ms/page")

    total_ms = 0.0
    total_pages = 0
    for name, kind in documents.items():
        ms, pages = timed(lambda kind=kind: render_document_pdf(case, kind)[0], runs)
        total_ms += ms
        total_pages += pages
        print(f"{name}: {ms:.1f} ms for {pages} pages = {ms / pages:.1f} ms/page")

    per_page = total_ms / total_pages
    print(f"generated documents: {per_page:.1f} ms/page")
    print(f"pdf_ms_per_page_ratio: {per_page / plain_ms:.2f} (target <= 5)")


if __name__ == "__main__":
    main()
