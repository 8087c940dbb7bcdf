"""Which import cases each person may see: the one rule every page, download,
API endpoint and admin list goes through."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from orders.access import cases_visible_to, get_case_for_user
from orders.models import ImportCase
from orders.services import system_user
from orders.states import CaseStatus
from tests.conftest import make_patient, new_case

S = CaseStatus


def visible(user, queryset=None) -> set[ImportCase]:
    return set(cases_visible_to(user, queryset))


@pytest.fixture
def both(draft_case, other_case):
    """Dr Rao's case for Priya, and Dr Shah's case for Omar."""
    return draft_case, other_case


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


def test_another_patient_sees_none_of_someone_elses_cases(draft_case, other_patient):
    assert visible(other_patient.user) == set()


def test_a_physician_does_not_see_their_patients_case_prescribed_by_a_colleague(
    draft_case, physician, other_physician, patient, lupkynis
):
    colleagues = new_case(physician=other_physician, patient=patient, product=lupkynis)

    assert visible(physician.user) == {draft_case}
    assert visible(other_physician.user) == {colleagues}
    assert visible(patient.user) == {draft_case, colleagues}


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
    draft_case, coordinator, physician, patient
):
    for user in (coordinator, physician.user, patient.user):
        assert get_case_for_user(user, pk=draft_case.pk) == draft_case
        assert get_case_for_user(user, reference=draft_case.reference) == draft_case


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
