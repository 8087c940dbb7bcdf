"""Print the import case state machine as a Mermaid stateDiagram-v2.

Generated from the transitions declared on ImportCase, so the README diagram cannot
drift from the code (tests/npp/test_readme.py compares them). `--write README.md`
replaces the block between the state-diagram markers.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_fsm import RETURN_VALUE

from orders.models import ImportCase
from orders.states import CaseStatus

START_MARKER = "<!-- state-diagram:start -->"
END_MARKER = "<!-- state-diagram:end -->"
BLOCK = re.compile(re.escape(START_MARKER) + r"(.*?)" + re.escape(END_MARKER), re.DOTALL)


def _order(state: str) -> int:
    return list(CaseStatus).index(CaseStatus(state))


def state_diagram() -> str:
    """The diagram text, one line per edge, in a stable order (states as CaseStatus
    lists them). `resume` returns to whichever state the case was held from: drawn as
    one edge back to each state it may return to."""
    field = ImportCase._meta.get_field("status")
    edges: set[tuple[str, str, str]] = set()
    for transition in field.get_all_transitions(ImportCase):
        if isinstance(transition.target, RETURN_VALUE):
            targets = [str(state) for state in transition.target.allowed_states]
        else:
            targets = [str(transition.target)]
        for target in targets:
            edges.add((str(transition.source), target, transition.name))

    sources = {source for source, _, _ in edges}
    states = sorted(sources | {target for _, target, _ in edges}, key=_order)
    lines = ["stateDiagram-v2", f"    [*] --> {CaseStatus(field.default).value}"]
    lines += [
        f"    {source} --> {target} : {name}"
        for source, target, name in sorted(
            edges, key=lambda edge: (_order(edge[0]), _order(edge[1]), edge[2])
        )
    ]
    lines += [f"    {state} --> [*]" for state in states if state not in sources]
    lines.append(f"    note right of {CaseStatus.ON_HOLD}")
    lines.append("        resume returns to the state the case was held from")
    lines.append("    end note")
    return "\n".join(lines) + "\n"


def readme_block(diagram: str) -> str:
    return f"{START_MARKER}\n```mermaid\n{diagram}```\n{END_MARKER}"


def diagram_in_readme(text: str) -> str | None:
    """The diagram between the markers, without its ```mermaid fence; None if absent."""
    match = BLOCK.search(text)
    if match is None:
        return None
    body = match.group(1).strip("\n")
    fence = re.fullmatch(r"```mermaid\n(.*?)```", body, re.DOTALL)
    return fence.group(1) if fence else body


class Command(BaseCommand):
    help = "Print the ImportCase state machine as a Mermaid stateDiagram-v2."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--write",
            metavar="README",
            help="Replace the diagram between the state-diagram markers in this file.",
        )

    def handle(self, *args, **options) -> None:
        diagram = state_diagram()
        path = options["write"]
        if not path:
            self.stdout.write(diagram, ending="")
            return
        readme = Path(path)
        text = readme.read_text(encoding="utf-8")
        if BLOCK.search(text) is None:
            raise CommandError(f"{readme} has no {START_MARKER} ... {END_MARKER} block.")
        # A function replacement: the diagram is literal text, not a regex template.
        readme.write_text(BLOCK.sub(lambda _: readme_block(diagram), text), encoding="utf-8")
        self.stdout.write(f"Wrote the state diagram to {readme}.")
