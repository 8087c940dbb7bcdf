# NPP developer commands. `make run` starts everything on embedded defaults;
# `make test` runs the test suite. See README.md.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install: pip runs again only when pyproject.toml is newer.
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Test processes (pytest-xdist): two, one per core of the machines CI runs on;
# `make test TEST_WORKERS=0` runs every test in this one process (pdb, -x in order).
TEST_WORKERS ?= 2
# Where `make run` listens: `make run PORT=8123 HOST=0.0.0.0`. Plain `=`: a HOST or PORT
# that a shell exports for its own purposes does not move the server.
HOST = 127.0.0.1
PORT = 8000

.DEFAULT_GOAL := help
# The compiled translations: each committed npp/locale/<language>/LC_MESSAGES/django.po
# gives its .mo (not in git), again whenever the .po is newer.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard npp/locale/*/LC_MESSAGES/django.po))

.PHONY: help venv system-deps run test lint format bench migrate seed diagram messages

help:
	@echo "make run      start web, Celery worker and beat on http://127.0.0.1:8000 (Ctrl-C stops all;"
	@echo "              make run PORT=8123 HOST=0.0.0.0 listens elsewhere)"
	@echo "make test     run the tests (PYTEST_ARGS='-k health -x' to pass options)"
	@echo "make lint     ruff format --check, ruff check and lint-imports (the layers)"
	@echo "make format   ruff format and ruff check --fix"
	@echo "make bench    run every bench/*.py"
	@echo "make migrate  apply database migrations"
	@echo "make seed     load the demo data and logins"
	@echo "make diagram  rewrite the state diagram in README.md"
	@echo "make venv     create .venv and install the project with its dev tools"
	@echo "make messages compile the translations (npp/locale/*/LC_MESSAGES/django.po -> .mo)"
	@echo "make system-deps  install (as root) or name the Debian libraries WeasyPrint needs"

venv: system-deps $(STAMP) messages

messages: $(MO_FILES)

%.mo: %.po
	msgfmt --check-format -o $@ $<

system-deps:
	@bash scripts/system-deps.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/python scripts/run.py --host '$(HOST)' --port '$(PORT)'

test: venv
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	@set -e; \
	files="$$(ls bench/*.py 2>/dev/null || true)"; \
	if [ -z "$$files" ]; then echo "No benchmarks yet (bench/*.py): nothing to run."; exit 0; fi; \
	for f in $$files; do echo "== $$f"; $(BIN)/python "$$f"; done

migrate: venv
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

diagram: venv
	$(BIN)/python manage.py state_diagram --write README.md
