"""The OpenAPI schema: committed, in step with the code, served with its readers
offline under the strict Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.yaml"

pytestmark = pytest.mark.django_db


def test_the_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"

    call_command("spectacular", "--file", str(generated), "--validate")

    assert generated.read_text() == COMMITTED.read_text(), (
        "docs/openapi.yaml is out of date: run "
        "`.venv/bin/python manage.py spectacular --file docs/openapi.yaml --validate`"
    )


def test_every_transition_has_its_own_operation_with_its_forms_fields():
    import yaml

    schema = yaml.safe_load(COMMITTED.read_text())
    from orders.services import TRANSITION_NAMES

    for name in TRANSITION_NAMES:
        assert f"/api/v1/cases/{{reference}}/transitions/{name}" in schema["paths"]
    verify = schema["components"]["schemas"]["VerifyTransitionRequest"]["properties"]
    assert {"prescriber_registration_checked", "prescription_date", "measurements"} <= set(verify)
    permit = schema["components"]["schemas"]["RecordPermitTransitionRequest"]["properties"]
    assert permit["permitted_quantity_packs"]["minimum"] == 1
    reject = schema["components"]["schemas"]["RejectTransitionRequest"]
    assert reject["required"] == ["note"]


def test_the_schema_and_its_readers_are_served_from_this_server(client):
    schema = client.get("/api/schema/")
    swagger = client.get("/api/docs/")
    redoc = client.get("/api/redoc/")

    assert schema.status_code == swagger.status_code == redoc.status_code == 200
    for page in (swagger, redoc):
        html = page.content.decode()
        assert "http://" not in html and "https://" not in html
        assert "<script>" not in html and "<style" not in html  # nothing inline
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in swagger.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in redoc.content.decode()
    assert "script-src 'self'" in swagger["Content-Security-Policy"]
    assert "unsafe-inline" not in swagger["Content-Security-Policy"]
