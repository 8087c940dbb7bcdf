"""Imports run one way (pyproject's import-linter contracts): entry points above
papers and notifications, above the domain, above accounts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["npp", "orders", "billing", "documents", "notifications", "webhooks", "portals", "api"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "migrations", "templates", "static")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_code_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_from_the_domain_breaks_the_layers(tmp_path):
    tree = copy_of_the_code(tmp_path)
    models = tree / "orders" / "models.py"
    models.write_text(models.read_text() + "\nimport portals  # noqa\n")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "orders.models -> portals" in result.stdout


def test_a_local_import_of_the_papers_inside_the_domain_breaks_the_layers(tmp_path):
    # Imports inside functions count too: the domain may not reach documents at all.
    tree = copy_of_the_code(tmp_path)
    guards = tree / "orders" / "guards.py"
    guards.write_text(
        guards.read_text() + "\n\ndef _peek():\n    from documents.signatures import seal\n"
    )

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "orders.guards -> documents.signatures" in result.stdout
