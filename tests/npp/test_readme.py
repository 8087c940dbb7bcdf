"""README.md stays true: the state diagram is the code's, the two commands and the demo
logins are there, and every variable the settings read is documented."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from orders.management.commands.state_diagram import (
    diagram_in_readme,
    readme_block,
    state_diagram,
)

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def readme() -> str:
    return (BASE_DIR / "README.md").read_text(encoding="utf-8")


def test_the_readme_state_diagram_is_the_one_the_code_defines(readme):
    out = StringIO()
    call_command("state_diagram", stdout=out)

    assert diagram_in_readme(readme) == out.getvalue(), (
        "README.md's state diagram is out of date: run `make diagram`."
    )


def test_the_diagram_sits_in_a_mermaid_block_between_the_markers(readme):
    assert readme_block(state_diagram()) in readme


def test_the_diagram_draws_every_transition_and_resume_back_to_each_held_state():
    diagram = state_diagram()

    assert diagram.startswith("stateDiagram-v2\n    [*] --> draft\n")
    assert "    draft --> submitted : submit\n" in diagram
    assert "    on_hold --> customs_clearance : resume\n" in diagram
    assert "    delivered --> closed : close\n" in diagram
    assert "    closed --> [*]\n" in diagram
    assert "on_hold --> [*]" not in diagram
    assert "RETURN_VALUE" not in diagram


def test_a_stale_diagram_is_detected():
    stale = readme_block(state_diagram().replace(" : verify", " : approve"))

    assert diagram_in_readme(stale) != state_diagram()


def test_make_diagram_rewrites_only_the_diagram_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\n" + readme_block("stateDiagram-v2\n    old --> older\n") + "\n\nAfter.\n",
        encoding="utf-8",
    )

    call_command("state_diagram", write=str(readme), stdout=StringIO())

    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\n")
    assert text.endswith("\n\nAfter.\n")
    assert diagram_in_readme(text) == state_diagram()


def test_the_readme_gives_the_two_commands(readme):
    assert "make run" in readme
    assert "make test" in readme


@pytest.mark.parametrize(
    "login",
    [
        "coordinator@demo.npp",
        "dr.rao@demo.npp",
        "dr.shah@demo.npp",
        "priya@demo.npp",
        "omar@demo.npp",
        "lakshmi@demo.npp",
        "npp-demo-2026",
    ],
)
def test_the_readme_lists_the_demo_logins(readme, login):
    logins = re.search(r"<!-- demo-logins:start -->(.*?)<!-- demo-logins:end -->", readme, re.S)

    assert logins is not None
    assert login in logins.group(1)


def test_every_variable_the_settings_read_is_documented(readme):
    source = (BASE_DIR / "npp" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"(?:env_\w+|os\.environ\.get)\(\s*\"([A-Z][A-Z0-9_]*)\"", source))

    assert len(names) > 10
    undocumented = sorted(name for name in names if f"`{name}`" not in readme)
    assert not undocumented, f"add to README.md's configuration table: {undocumented}"
