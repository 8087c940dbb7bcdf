"""A refusal names what was refused in the reader's language: every action a
GuardFailed (or a billing permission refusal) can name is a label declared once (on
the transition, or in billing.services.ACTION_LABELS) and the Hindi catalogue has it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from billing.services import ACTION_LABELS
from orders.errors import GuardFailed, action_words
from orders.models import transition_label
from orders.services import TRANSITIONS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "billing", "documents", "notifications", "npp", "orders", "portals", "webhooks")
DEVANAGARI = re.compile("[\u0900-\u097f]")
LATIN = re.compile("[A-Za-z]")

LABELS = {
    **{f"transition {name}": transition_label(name) for name in TRANSITIONS},
    **{f"billing {name}": label for name, label in ACTION_LABELS.items()},
}


@pytest.mark.parametrize("label", LABELS.values(), ids=LABELS.keys())
def test_every_action_reads_in_hindi_inside_a_hindi_refusal(label):
    with translation.override("hi"):
        words = action_words(label)
        refusal = str(GuardFailed(label, ["x"]))

    assert DEVANAGARI.search(words) and not LATIN.search(words), words
    assert words in refusal


@pytest.mark.parametrize("label", LABELS.values(), ids=LABELS.keys())
def test_every_action_reads_in_lower_case_inside_an_english_refusal(label):
    with translation.override("en"):
        assert str(GuardFailed(label, ["x"])) == f"Cannot {label.lower()} yet. Missing: x."


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def _declared(argument: ast.expr, where: str) -> bool:
    """Whether a refusal's action is one of the declared labels (not a literal that
    could drift from them)."""
    match argument:
        case ast.Call(func=ast.Name(id="transition_label"), args=[ast.Constant(value=name)]):
            return name in TRANSITIONS
        case ast.Call(func=ast.Name(id="transition_label"), args=[ast.Name(id="transition")]):
            # _require_text's: its callers' transition names are checked below.
            return where == "orders/models.py"
        case ast.Subscript(value=ast.Name(id="ACTION_LABELS"), slice=ast.Name(id=name)):
            return where == "billing/services.py" and name.isupper()
        case ast.Name(id="label"):
            # The transition being performed: transition_label(transition).
            return where == "orders/services.py"
    return False


def test_every_refusal_names_a_declared_action():
    undeclared = []
    for where, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "GuardFailed" and node.args:
                action = node.args[0]
                if isinstance(action, ast.Call) and isinstance(action.func, ast.Attribute):
                    action = action.func.value  # label.lower()
                if not _declared(action, where):
                    undeclared.append(f"{where}:{node.lineno} {ast.unparse(node.args[0])}")
            elif node.func.id == "_require_text" and len(node.args) == 3:
                name = node.args[2]
                if not (isinstance(name, ast.Constant) and name.value in TRANSITIONS):
                    undeclared.append(f"{where}:{node.lineno} {ast.unparse(name)}")
            elif node.func.id == "_coordinator_only" and len(node.args) == 2:
                name = node.args[1]
                if not (isinstance(name, ast.Name) and name.id.isupper()):
                    undeclared.append(f"{where}:{node.lineno} {ast.unparse(name)}")

    assert undeclared == []


def test_a_billing_permission_refusal_is_in_the_readers_language(physician, draft_case):
    from django.core.exceptions import PermissionDenied

    from billing.services import payment_record

    with translation.override("hi"), pytest.raises(PermissionDenied) as refusal:
        payment_record(
            case=draft_case,
            actor=physician.user,
            method="x",
            reference="r",
            amount="10",
            received_on=None,
        )

    assert str(refusal.value) == "यह केवल समन्वयक कर सकते हैं: भुगतान दर्ज करना।"
