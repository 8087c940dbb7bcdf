"""Personal access tokens: hashed at rest, shown once, scopes, expiry, revocation,
the second factor for coordinators, throttling."""

from __future__ import annotations

import hashlib

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from npp.accounts.models import ApiToken
from npp.accounts.tokens import token_authenticate
from orders.models import ImportCase
from tests.api.conftest import problem_of, token_for
from tests.conftest import PASSWORD, clear_cache

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_token_is_stored_only_as_its_hash_with_a_visible_prefix(physician):
    raw = token_for(physician.user)

    token = ApiToken.objects.get(user=physician.user)
    assert raw.startswith(f"npp_{token.prefix}_")
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(raw in value or raw.split("_")[-1] in value for value in stored)


def test_a_read_token_reads_and_may_not_write(physician, draft_case, lupkynis):
    client = bearer(token_for(physician.user, scopes=["read"]))
    count = ImportCase.objects.count()

    assert client.get(f"/api/v1/cases/{draft_case.reference}").status_code == 200
    refused = client.post(
        "/api/v1/cases",
        {"patient": draft_case.patient_id, "product": lupkynis.pk},
        format="json",
    )

    assert refused.status_code == 403
    assert "write" in problem_of(refused)["detail"]
    assert ImportCase.objects.count() == count


def test_a_write_only_token_may_also_read(physician, draft_case):
    client = bearer(token_for(physician.user, scopes=["write"]))

    assert client.get(f"/api/v1/cases/{draft_case.reference}").status_code == 200


def test_an_expired_token_is_refused(physician, draft_case):
    raw = token_for(physician.user, days=1)

    with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):
        refused = bearer(raw).get(f"/api/v1/cases/{draft_case.reference}")

    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert problem_of(refused)["type"] == "urn:npp:problem:unauthenticated"


def test_a_revoked_token_is_refused_from_the_next_request(physician, draft_case):
    raw = token_for(physician.user)
    client = Client()
    client.force_login(physician.user)
    token = ApiToken.objects.get(user=physician.user)
    assert bearer(raw).get("/api/v1/cases").status_code == 200

    response = client.post(f"/security/api-tokens/{token.pk}/revoke")

    assert response.status_code == 302
    assert bearer(raw).get("/api/v1/cases").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_nobody_revokes_someone_elses_token(physician, other_physician):
    token_for(other_physician.user)
    token = ApiToken.objects.get(user=other_physician.user)
    client = Client()
    client.force_login(physician.user)

    assert client.post(f"/security/api-tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_deactivated_accounts_token_is_refused(physician):
    raw = token_for(physician.user)
    physician.user.is_active = False
    physician.user.save()

    assert token_authenticate(raw) is None
    assert bearer(raw).get("/api/v1/cases").status_code == 401


def test_the_last_use_is_recorded(physician):
    raw = token_for(physician.user)

    bearer(raw).get("/api/v1/cases")

    assert ApiToken.objects.get(user=physician.user).last_used_at is not None


def test_a_physician_makes_a_token_on_the_security_page_and_sees_it_once(physician):
    client = Client()
    client.force_login(physician.user)

    made = client.post(
        "/security/api-tokens/",
        {"name": "Hospital EHR", "scopes": ["read", "write"], "expires_in_days": 30},
    )

    assert made.status_code == 200
    token = ApiToken.objects.get(user=physician.user)
    assert token.scopes == ["read", "write"] and token.name == "Hospital EHR"
    raw = made.context["issued"].secret
    assert raw.encode() in made.content
    again = client.get("/security/api-tokens/")
    assert raw.encode() not in again.content
    assert f"npp_{token.prefix}_".encode() in again.content
    assert bearer(raw).get("/api/v1/cases").status_code == 200


def test_the_security_page_links_to_the_api_tokens(physician):
    client = Client()
    client.force_login(physician.user)

    assert b'href="/security/api-tokens/"' in client.get("/accounts/2fa/").content


def test_a_patient_has_no_tokens_page(patient):
    client = Client()
    client.force_login(patient.user)

    assert client.get("/security/api-tokens/").status_code == 404


def test_a_coordinator_without_the_second_factor_in_this_session_makes_no_token(coordinator):
    client = Client()
    client.force_login(coordinator)  # signed in without the authenticator code

    refused = client.post(
        "/security/api-tokens/", {"name": "CRM", "scopes": ["read"], "expires_in_days": 30}
    )

    assert refused.status_code == 400
    assert b"authenticator app" in refused.content
    assert not ApiToken.objects.filter(user=coordinator).exists()


def test_a_coordinator_signed_in_with_the_authenticator_makes_a_token(coordinator):
    from tests.portals.conftest import totp_code

    client = Client()
    signed = client.post(
        "/accounts/login/", {"login": coordinator.email, "password": PASSWORD}, follow=True
    )
    assert signed.status_code == 200
    client.post("/accounts/2fa/authenticate/", {"code": totp_code()})

    made = client.post(
        "/security/api-tokens/", {"name": "CRM", "scopes": ["read"], "expires_in_days": 30}
    )

    assert made.status_code == 200, made.content
    assert ApiToken.objects.filter(user=coordinator, scopes=["read"]).count() == 1


@pytest.fixture
def rates(monkeypatch):
    """rates(token=..., user=...): the throttles' rates for this test, counts fresh."""
    from rest_framework.throttling import SimpleRateThrottle

    def set_rates(*, token: str, user: str) -> None:
        clear_cache()
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"token": token, "user": user})

    yield set_rates
    clear_cache()


def test_requests_beyond_a_tokens_rate_are_429_with_retry_after(physician, rates):
    rates(token="3/min", user="100/min")
    client = bearer(token_for(physician.user))

    codes = [client.get("/api/v1/cases").status_code for _ in range(4)]
    throttled = client.get("/api/v1/cases")
    other = bearer(token_for(physician.user)).get("/api/v1/cases")

    assert codes == [200, 200, 200, 429]
    assert int(throttled["Retry-After"]) > 0
    assert problem_of(throttled)["type"] == "urn:npp:problem:throttled"
    assert other.status_code == 200  # another token of the same user counts apart


def test_a_users_tokens_share_the_users_rate(physician, rates):
    rates(token="100/min", user="3/min")
    first, second = bearer(token_for(physician.user)), bearer(token_for(physician.user))

    codes = [client.get("/api/v1/cases").status_code for client in (first, second, first, second)]

    assert codes == [200, 200, 200, 429]
