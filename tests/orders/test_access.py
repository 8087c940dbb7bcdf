"""Which import cases each person may see: the one rule every page, download,
API endpoint and admin list goes through."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from documents.models import DocumentKind
from orders.access import cases_visible_to, get_case_for_user
from orders.models import ImportCase
from orders.services import system_user
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD, make_patient, new_case

S = CaseStatus


def visible(user, queryset=None) -> set[ImportCase]:
    return set(cases_visible_to(user, queryset))


@pytest.fixture
def both(draft_case, other_case, coordinator):
    """Dr Rao's case for Priya, and Dr Shah's case for Omar, both sent (a patient does
    not see a draft)."""
    return tuple(sent(case, coordinator) for case in (draft_case, other_case))


def sent(case: ImportCase, coordinator) -> ImportCase:
    return demo.walk_to(case, S.SUBMITTED, coordinator=coordinator, signing_password=PASSWORD)


def test_a_coordinator_sees_every_case(both, coordinator, other_coordinator):
    assert visible(coordinator) == set(both)
    assert visible(other_coordinator) == set(both)


def test_a_physician_sees_only_the_cases_they_prescribed(both, physician, other_physician):
    mine, theirs = both

    assert visible(physician.user) == {mine}
    assert visible(other_physician.user) == {theirs}


def test_a_patient_sees_only_their_own_cases(both, patient, other_patient):
    mine, theirs = both

    assert visible(patient.user) == {mine}
    assert visible(other_patient.user) == {theirs}


def test_another_physician_sees_none_of_a_colleagues_cases(draft_case, other_physician):
    assert visible(other_physician.user) == set()


def test_another_patient_sees_none_of_someone_elses_cases(both, other_patient):
    mine, _theirs = both
    assert mine not in visible(other_patient.user)


def test_a_physician_does_not_see_their_patients_case_prescribed_by_a_colleague(
    draft_case, physician, other_physician, patient, lupkynis, coordinator
):
    colleagues = new_case(physician=other_physician, patient=patient, product=lupkynis)
    mine, colleagues = sent(draft_case, coordinator), sent(colleagues, coordinator)

    assert visible(physician.user) == {mine}
    assert visible(other_physician.user) == {colleagues}
    assert visible(patient.user) == {mine, colleagues}


def test_a_patient_does_not_see_their_draft_nor_its_documents_until_it_is_sent(
    draft_case, physician, patient, coordinator
):
    """The one rule for "patients never see drafts": the patient's list, order page,
    API and downloads all read it here."""
    from documents.access import documents_visible_to
    from tests.orders.helpers import upload

    # A paper she would see on a sent case, added to the draft by the import team.
    consent = upload(draft_case, DocumentKind.PATIENT_CONSENT, coordinator)

    assert visible(patient.user) == set()
    assert consent not in documents_visible_to(patient.user)
    with pytest.raises(Http404):
        get_case_for_user(patient.user, pk=draft_case.pk)
    assert visible(physician.user) == {draft_case}  # her physician's draft all the same

    submitted = sent(draft_case, coordinator)

    assert visible(patient.user) == {submitted}
    assert get_case_for_user(patient.user, pk=draft_case.pk) == submitted
    assert consent in documents_visible_to(patient.user)


def test_a_patient_without_a_login_is_seen_by_their_physician_only(
    physician, patient, lupkynis, coordinator
):
    offline = make_patient(None, "Lakshmi Iyer")
    case = new_case(physician=physician, patient=offline, product=lupkynis)

    assert case in visible(physician.user)
    assert case in visible(coordinator)
    assert case not in visible(patient.user)


@pytest.mark.parametrize("persona", ["coordinator", "physician", "patient"])
def test_an_inactive_user_sees_nothing(request, both, persona):
    person = request.getfixturevalue(persona)
    user = getattr(person, "user", person)
    user.is_active = False
    user.save()

    assert visible(user) == set()


def test_the_system_user_anonymous_visitors_and_nobody_see_nothing(both):
    assert visible(system_user()) == set()
    assert visible(AnonymousUser()) == set()
    assert visible(None) == set()


def test_visibility_narrows_a_given_queryset_and_never_widens_it(
    case_in, other_case, coordinator, physician
):
    submitted = case_in(S.SUBMITTED)
    drafts = ImportCase.objects.filter(status=S.DRAFT)

    assert visible(coordinator, drafts) == {other_case}
    assert visible(physician.user, drafts) == set()
    assert set(cases_visible_to(physician.user, ImportCase.objects.all())) == {submitted}


def test_get_case_for_user_returns_a_case_its_owners_and_coordinators_may_see(
    both, coordinator, physician, patient
):
    mine, _theirs = both
    for user in (coordinator, physician.user, patient.user):
        assert get_case_for_user(user, pk=mine.pk) == mine
        assert get_case_for_user(user, reference=mine.reference) == mine


@pytest.mark.parametrize("outsider", ["other_physician", "other_patient"])
def test_get_case_for_user_answers_404_to_an_outsider(request, draft_case, outsider):
    user = request.getfixturevalue(outsider).user

    with pytest.raises(Http404):
        get_case_for_user(user, pk=draft_case.pk)


def test_get_case_for_user_answers_404_to_an_inactive_owner(draft_case, physician):
    physician.user.is_active = False
    physician.user.save()

    with pytest.raises(Http404):
        get_case_for_user(physician.user, pk=draft_case.pk)


@pytest.mark.parametrize("lookup", [{"pk": 987654}, {"pk": "not-a-number"}, {"reference": "X"}])
def test_get_case_for_user_answers_the_same_404_for_a_case_that_does_not_exist(
    draft_case, coordinator, lookup
):
    with pytest.raises(Http404):
        get_case_for_user(coordinator, **lookup)
