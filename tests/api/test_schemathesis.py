"""Schemathesis against a live server with a seeded token: every operation with
generated requests, as the physician and as a coordinator, then stateful runs that
follow the schema's links (open a draft -> upload -> transition). No 5xx anywhere, and
every response (status, content type, headers, body) conforms to the schema. Bounded
example counts keep it to seconds."""

from __future__ import annotations

import itertools

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from documents.pdf_minimal import minimal_pdf
from tests.api.conftest import token_for
from tests.api.test_schema import COMMITTED
from tests.conftest import PASSWORD, new_case

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 4
QUICK = dict(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@pytest.fixture
def seeded(request, live_server, physician, patient, lupkynis, coordinator, monkeypatch):
    """A token (Dr Rao's, or with `indirect` "coordinator" Cora's, seeded as after
    her second factor), one patient of his, a case of hers (a draft for him, submitted
    for Cora so her moves can happen), generous rates."""
    from rest_framework.throttling import SimpleRateThrottle

    from portals import demo

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"token": "100000/min", "user": "100000/min"}
    )
    caller = getattr(request, "param", "physician")

    def submitted() -> str:
        case = new_case(physician=physician, patient=patient, product=lupkynis)
        return demo.walk_to(
            case, "submitted", coordinator=coordinator, signing_password=PASSWORD
        ).reference

    if caller == "coordinator":
        user, case, fresh = coordinator, submitted(), submitted
    else:
        user, fresh = physician.user, None
        case = new_case(physician=physician, patient=patient, product=lupkynis).reference
    # The committed schema (tests/api/test_schema.py keeps it equal to the code's).
    schema = schemathesis.openapi.from_path(COMMITTED)
    schema.config.update(base_url=live_server.url)
    # The seeded token is sent with every call: no generated Authorization header.
    schema.config.generation.update(with_security_parameters=False)
    return {
        "schema": schema,
        "headers": {"Authorization": f"Bearer {token_for(user)}"},
        "patient": patient.pk,
        "product": lupkynis.pk,
        "case": case,
        # Cora's moves are each tried on a case just submitted (a cancel tried first
        # would otherwise leave the others nothing to move).
        "fresh": fresh,
        "caller": caller,
        "seen": [],
        "url": live_server.url,
    }


@pytest.mark.parametrize("seeded", ["physician", "coordinator"], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_within_its_schema_and_never_5xx(seeded):
    schema = seeded["schema"]
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35

    for operation in operations:
        reference = seeded["case"]
        if seeded["fresh"] and "/transitions/" in operation.path:
            reference = seeded["fresh"]()
        _explore(operation, seeded, session, reference)
    if seeded["caller"] == "coordinator":
        # Not only refusals: the coordinator's own moves were made, and answered within
        # the schema.
        moved = {label.rsplit("/", 1)[1] for label, status in seeded["seen"] if status == 200}
        assert moved & {"verify", "request_information", "hold", "reject"}, moved


def _explore(operation, seeded: dict, session: requests.Session, existing: str) -> None:
    examples = itertools.count()

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, **QUICK)
    def run(case):
        reference = (case.path_parameters or {}).get("reference")
        if reference is not None and next(examples) % 2 == 0:
            # Every other example, a case that exists and the caller may see (and move).
            case.path_parameters["reference"] = existing
        response = case.call_and_validate(session=session, headers=seeded["headers"], checks=CHECKS)
        seeded["seen"].append((operation.label, response.status_code))

    run()


@pytest.mark.django_db(transaction=True)
def test_stateful_runs_follow_the_links_from_a_new_draft_to_its_transitions(seeded):
    from orders.models import ImportCase

    # The flow's operations only (every operation is explored above): the runs start
    # from a new draft and follow its links.
    schema = seeded["schema"].include(
        operation_id=[
            "cases_create",
            "documents_create",
            "cases_transition_submit",
            "cases_timeline",
        ]
    )
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    seen: list[tuple[str, int]] = []

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": seeded["headers"]}

        def before_call(self, case):
            operation = case.operation.definition.raw.get("operationId")
            if operation == "cases_create" and isinstance(case.body, dict):
                # Someone the token's physician may open a request for, a real product.
                case.body.update(patient=seeded["patient"], product=seeded["product"])
            if operation == "documents_create":
                case.body = {"kind": "prescription", "file": minimal_pdf("Prescription")}

        def after_call(self, response, case):
            seen.append((case.operation.definition.raw.get("operationId"), response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))

    Workflow.run(settings=settings(max_examples=15, stateful_step_count=6, **QUICK))

    assert ("cases_create", 201) in seen
    assert ("documents_create", 201) in seen
    assert any(op.startswith("cases_transition_") for op, _ in seen)
    assert ImportCase.objects.filter(created_by__email="anil.rao@hospital.example").count() > 1
