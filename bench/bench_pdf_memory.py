"""Does a PDF worker's memory settle? Its resident size after 500 renders against
after 50, in one process, through the worker's own function.

    .venv/bin/python bench/bench_pdf_memory.py [-n 500] [--kind patient_information]

A throwaway SQLite database and storage in a temporary directory; a demo case walked
to "out for delivery"; then N render jobs of one paper, each run by
`documents.generation.jobs.render_job_run` (claim, render with WeasyPrint, store the
document, record), exactly what the Celery task calls. RSS (VmRSS of
/proc/self/status) is read after a garbage collection at 50 renders and at N; the
ratio is the second over the first. Growth is measured, not guessed: `tracemalloc`
is not used (it would slow every allocation), but the process's largest Python
object counts are printed at both points, and glibc's heap (`mallinfo2`: bytes in
use, bytes free inside the heap), so a leak shows where it lives: Python objects,
native memory still allocated (a leak in a C library), or freed memory the heap keeps
(fragmentation, which `malloc_trim` would give back).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

SCRATCH = Path(tempfile.mkdtemp(prefix="npp-bench-pdf-memory-"))
os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH / 'bench.sqlite3'}"
os.environ["NPP_VAR_DIR"] = str(SCRATCH / "var")
os.environ["NPP_PRIVATE_STORAGE"] = str(SCRATCH / "private")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from bench_pdf import demo_case  # noqa: E402

from documents.generation.jobs import render_job_run  # noqa: E402
from documents.models import RenderJob, RenderStatus  # noqa: E402


def rss_mib() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class _MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2`, ten size_t fields in this order."""

    _NAMES = ("arena", "ordblks", "smblks", "hblks", "hblkhd")
    _NAMES += ("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")
    _fields_ = [(name, ctypes.c_size_t) for name in _NAMES]


def heap_mib() -> tuple[float, float]:
    """glibc's heap, all arenas: MiB allocated and in use (plus mmapped blocks), and
    MiB free inside the heap."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / 2**20, info.fordblks / 2**20


def object_counts() -> Counter:
    gc.collect()
    return Counter(type(o).__name__ for o in gc.get_objects())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--renders", type=int, default=500)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument("--kind", default="patient_information")
    args = parser.parse_args()

    case = demo_case()
    actor = case.physician.user
    # The demo walk already rendered this paper for the case's current data; a job for
    # other data would then be "outdated" (a newer rendering replaces it) and not run.
    RenderJob.objects.filter(case=case, kind=args.kind).delete()
    marks: dict[int, float] = {}
    heaps: dict[int, tuple[float, float]] = {}
    counts: dict[int, Counter] = {}
    started = time.perf_counter()
    for n in range(1, args.renders + 1):
        job = RenderJob.objects.create(
            case=case, kind=args.kind, data_version=f"bench-{n}", requested_by=actor
        )
        assert render_job_run(job.pk).status == RenderStatus.READY
        if n in (args.first, args.renders):
            marks[n] = rss_mib()
            heaps[n] = heap_mib()
            counts[n] = object_counts()
    elapsed = time.perf_counter() - started
    first, last = marks[args.first], marks[args.renders]
    grown = counts[args.renders] - counts[args.first]
    print(f"{args.renders} renders of {args.kind} in {elapsed:.0f} s")
    print(f"RSS after {args.first}: {first:.1f} MiB; after {args.renders}: {last:.1f} MiB")
    (used_first, free_first), (used_last, free_last) = heaps[args.first], heaps[args.renders]
    print(
        f"native heap in use: {used_first:.1f} -> {used_last:.1f} MiB; "
        f"free inside the heap: {free_first:.1f} -> {free_last:.1f} MiB"
    )
    print(
        "Python objects that grew most: " + ", ".join(f"{k} +{v}" for k, v in grown.most_common(5))
    )
    print(f"pdf_worker_rss_{args.renders}_vs_{args.first}: {last / first:.2f} (target <= 1.10)")


if __name__ == "__main__":
    main()
