"""Complete forms: the pathway names the fields each paper needs, filing refuses
naming every blank one, the port is one of the pathway's, the source of supply and
its country come from the supplier, and the importer's identity is one record."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from documents.services import document_review
from orders import form_fields
from orders.errors import DomainError
from orders.models import (
    CaseEvent,
    ImportCase,
    Importer,
    Pathway,
    Patient,
    Physician,
    Product,
    Shipment,
    Supplier,
)
from orders.services import case_transition, case_update_application
from orders.states import CaseStatus
from portals import demo
from tests.conftest import new_case
from tests.orders.helpers import assert_refused, prepare, refuse

S = CaseStatus
FILE = {"regulator_reference": "SUGAM/12A/000001"}


def _blank(model, pk, **values) -> None:
    model.objects.filter(pk=pk).update(**values)


# Each required field of the India pack, emptied the way it would be in real life.
BLANKERS = {
    "applicant_occupation": lambda c: _blank(Patient, c.patient_id, occupation=""),
    "applicant_address": lambda c: _blank(Patient, c.patient_id, address=""),
    "applicant_identity": lambda c: _blank(Patient, c.patient_id, id_document_number_masked=""),
    "port_of_entry": lambda c: _blank(ImportCase, c.pk, port_of_entry=""),
    "prescribed_dose": lambda c: _blank(ImportCase, c.pk, prescribed_dose=""),
    "justification": lambda c: _blank(ImportCase, c.pk, justification=""),
    "prescriber_registration": lambda c: _blank(Physician, c.physician_id, registration_number=""),
    "prescriber_council": lambda c: _blank(Physician, c.physician_id, registration_council=""),
    "importer_drug_licence": lambda c: Importer.objects.update(drug_licence_number=""),
    "importer_address": lambda c: Importer.objects.update(address=""),
}


@pytest.mark.parametrize("name", BLANKERS)
def test_file_application_refuses_naming_each_blank_required_field(case_in, coordinator, name):
    case = case_in(S.FORMS_PREPARATION)
    prepare(case, "file_application", coordinator)
    BLANKERS[name](case)
    case = ImportCase.objects.get(pk=case.pk)

    error = refuse(case, coordinator, "file_application", data=FILE)

    assert_refused(error, form_fields.FIELDS[name].label)


def test_a_product_without_a_source_leaves_both_the_source_and_its_country_blank(
    case_in, coordinator
):
    case = case_in(S.FORMS_PREPARATION)
    prepare(case, "file_application", coordinator)
    Product.objects.filter(pk=case.product_id).update(supplier=None)

    error = refuse(case, coordinator, "file_application", data=FILE)

    assert_refused(error, "the source of supply (the product's supplier)", "the country of supply")


def test_without_an_active_importer_filing_names_its_name_address_and_licence(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    prepare(case, "file_application", coordinator)
    Importer.objects.update(is_active=False)

    error = refuse(case, coordinator, "file_application", data=FILE)

    assert_refused(
        error,
        "the importer's name",
        "the importer's address",
        "the importer's drug licence number",
    )


def test_every_blank_is_named_at_once(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    prepare(case, "file_application", coordinator)
    for name in ("applicant_occupation", "port_of_entry", "importer_drug_licence"):
        BLANKERS[name](case)

    error = refuse(case, coordinator, "file_application", data=FILE)

    assert_refused(
        error,
        "the applicant's occupation",
        "the port of entry",
        "the importer's drug licence number",
    )


def test_a_complete_pack_is_filed(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    prepared = prepare(case, "file_application", coordinator)

    case = case_transition(case=case, actor=coordinator, transition="file_application", **prepared)

    assert case.status == S.AWAITING_PERMIT


def test_the_india_pathway_requires_what_form_12a_asks(india):
    required = set(india.required_fields["form_12a"])
    assert {
        "applicant_name",
        "applicant_address",
        "applicant_occupation",
        "supply_country",
        "supply_source",
        "port_of_entry",
        "drug_name",
        "quantity",
        "prescriber_registration",
    } <= required
    assert set(india.forms) <= set(india.required_fields) | {"attachments_checklist"}
    assert not form_fields.unknown_fields(india.required_fields)


@pytest.mark.parametrize(
    "required",
    [{"form_12a": ["applicant_shoe_size"]}, {"form_12a": "applicant_name"}, ["applicant_name"]],
)
def test_a_pathway_naming_an_unknown_field_is_refused(india, required):
    india.required_fields = required
    with pytest.raises(ValidationError) as caught:
        india.full_clean()
    assert "required_fields" in caught.value.message_dict


def test_a_pathway_port_needs_a_code_of_its_own(india):
    india.ports_of_entry = [*india.ports_of_entry, {"code": "INBLR4", "name": "Twice"}]
    with pytest.raises(ValidationError, match="code"):
        india.full_clean()


# --- Port of entry ----------------------------------------------------------------


def test_the_port_is_one_of_the_pathways(physician, patient, lupkynis):
    with pytest.raises(ValidationError) as caught:
        new_case(physician=physician, patient=patient, product=lupkynis, port_of_entry="Goa")
    assert "port_of_entry" in caught.value.message_dict
    assert not ImportCase.objects.exists()


def test_the_case_shows_its_port_by_name_and_customs_station(draft_case):
    assert draft_case.port_of_entry_name == (
        "Bengaluru (BLR) Air Cargo Complex (customs station INBLR4)"
    )


def test_the_coordinator_chooses_the_port_when_verifying(case_in, coordinator):
    case = case_in(S.SUBMITTED)
    ImportCase.objects.filter(pk=case.pk).update(port_of_entry="")
    case = ImportCase.objects.get(pk=case.pk)
    prescription = case.documents.current().get(kind="prescription")
    document_review(document=prescription, actor=coordinator, accept=True)

    case = case_transition(
        case=case,
        actor=coordinator,
        transition="verify",
        data=demo.verification_data(case, port_of_entry="INMAA4"),
    )

    assert case.port_of_entry == "INMAA4"
    assert case.events.last().data["port_of_entry"] == "INMAA4"


def test_the_coordinator_changes_the_port_while_preparing_the_application(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)

    case = case_update_application(case=case, actor=coordinator, port_of_entry="INDEL4")

    assert ImportCase.objects.get(pk=case.pk).port_of_entry == "INDEL4"
    event = CaseEvent.objects.filter(case=case).last()
    assert event.transition == "update_application"
    assert event.from_state == event.to_state == S.FORMS_PREPARATION
    assert event.data == {"changed": {"port_of_entry": {"from": "INBLR4", "to": "INDEL4"}}}


def test_an_unchanged_port_appends_no_event(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    events = case.events.count()

    case_update_application(case=case, actor=coordinator, port_of_entry="INBLR4")

    assert case.events.count() == events


def test_only_a_coordinator_changes_the_application_and_only_its_fields(
    case_in, coordinator, physician
):
    case = case_in(S.FORMS_PREPARATION)
    events = case.events.count()
    with pytest.raises(PermissionDenied):
        case_update_application(case=case, actor=physician.user, port_of_entry="INDEL4")
    with pytest.raises(ValidationError):
        case_update_application(case=case, actor=coordinator, port_of_entry="Goa")
    with pytest.raises(DomainError, match="cannot be changed here"):
        case_update_application(case=case, actor=coordinator, justification="x")
    assert ImportCase.objects.get(pk=case.pk).port_of_entry == "INBLR4"
    assert case.events.count() == events


def test_the_application_is_not_changed_once_filed(case_in, coordinator):
    case = case_in(S.AWAITING_PERMIT)
    with pytest.raises(DomainError, match="can no longer be changed"):
        case_update_application(case=case, actor=coordinator, port_of_entry="INDEL4")
    assert ImportCase.objects.get(pk=case.pk).port_of_entry == "INBLR4"


# --- Source of supply and importer ------------------------------------------------------


def test_the_source_of_supply_is_the_products_until_a_shipment_names_another(case_in):
    case = case_in(S.SUPPLIER_ORDERING)
    assert case.source_of_supply == case.product.supplier
    assert form_fields.text_of(case, "supply_country") == "Canada"

    distributor = Supplier.objects.create(
        name="EuroPharma Distribution GmbH", country="DE", kind="authorised_distributor"
    )
    Shipment.objects.create(case=case, supplier=distributor)

    assert case.source_of_supply == distributor
    assert form_fields.text_of(case, "supply_country") == "Germany"
    assert form_fields.text_of(case, "supply_source") == "EuroPharma Distribution GmbH"


def test_one_importer_is_active_at_a_time(catalogue):
    current = Importer.current()
    assert current is not None and current.iec and current.gstin and current.drug_licence_number

    with pytest.raises(IntegrityError), transaction.atomic():
        Importer.objects.create(
            name="Another Importer Ltd", address="1 Road", city="Pune", postal_code="411001"
        )

    Importer.objects.update(is_active=False)
    other = Importer.objects.create(
        name="Another Importer Ltd", address="1 Road", city="Pune", postal_code="411001"
    )
    assert Importer.current() == other


def test_the_seeded_pathway_lists_ports_with_customs_stations(india: Pathway):
    codes = [code for code, _ in india.port_choices()]
    assert "INBLR4" in codes and "INBOM4" in codes and "INDEL4" in codes
    assert all(code.startswith("IN") for code in codes)
