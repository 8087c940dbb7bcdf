"""manage.py make_load --cases N: realistic data for benchmarks (orders.load)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from orders.load import make_load, sizes


class Command(BaseCommand):
    help = "Append N import cases shaped like ten years of a service (see orders.load)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--cases", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--quiet-phases", action="store_true", help="no line per phase")

    def handle(self, *args, cases: int, seed: int, quiet_phases: bool, **options) -> None:
        planned = sizes(cases)
        self.stdout.write(
            f"Loading {cases} cases, {planned['patients']} patients, "
            f"{planned['physicians']} physicians, {planned['coordinators']} coordinators..."
        )
        say = None if quiet_phases else self.stdout.write
        loaded = make_load(cases=cases, seed=seed, log=say)
        self.stdout.write(
            f"{loaded.cases} cases ({loaded.open} open), {loaded.events} events, "
            f"{loaded.shipments} shipments, {loaded.patients} patients, "
            f"{loaded.physicians} physicians, {loaded.coordinators} coordinators "
            f"in {loaded.seconds['total']:.1f} s"
        )
