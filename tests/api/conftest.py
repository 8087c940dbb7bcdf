"""Calling the API as each persona, with a token or a browser session."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from documents.pdf_minimal import minimal_pdf
from npp.accounts.models import Role, User
from npp.accounts.tokens import token_create


def token_for(user: User, scopes=("read", "write"), days: int = 30) -> str:
    return token_create(
        user=user,
        name="tests",
        scopes=list(scopes),
        expires_in_days=days,
        second_factor_passed=True,
    ).secret


def client_for(user: User | None, scopes=("read", "write")) -> APIClient:
    client = APIClient()
    if user is not None and user.role == Role.PATIENT:
        # Patients have no tokens: they reach the API from their browser session.
        client.force_login(user)
    elif user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scopes)}")
    return client


@pytest.fixture
def api():
    """api(user) -> a client calling with a fresh read+write token of `user`."""
    return client_for


def pdf_upload(name: str = "prescription.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, minimal_pdf("Prescription"), content_type="application/pdf")


def problem_of(response) -> dict:
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert body["status"] == response.status_code
    return body
