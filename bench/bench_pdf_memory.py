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
object counts are printed at both points so a leak shows where it lives.
"""

from __future__ import annotations

import argparse
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
    marks: dict[int, float] = {}
    counts: dict[int, Counter] = {}
    started = time.perf_counter()
    for n in range(1, args.renders + 1):
        job = RenderJob.objects.create(
            case=case, kind=args.kind, data_version=f"bench-{n}", requested_by=actor
        )
        assert render_job_run(job.pk).status == RenderStatus.READY
        if n in (args.first, args.renders):
            marks[n] = rss_mib()
            counts[n] = object_counts()
    elapsed = time.perf_counter() - started
    first, last = marks[args.first], marks[args.renders]
    grown = counts[args.renders] - counts[args.first]
    print(f"{args.renders} renders of {args.kind} in {elapsed:.0f} s")
    print(f"RSS after {args.first}: {first:.1f} MiB; after {args.renders}: {last:.1f} MiB")
    print(
        "Python objects that grew most: " + ", ".join(f"{k} +{v}" for k, v in grown.most_common(5))
    )
    print(f"pdf_worker_rss_{args.renders}_vs_{args.first}: {last / first:.2f} (target <= 1.10)")


if __name__ == "__main__":
    main()
