"""`Idempotency-Key` on POST: a retry returns the first response and changes nothing.

The key is claimed before the request runs, by inserting its row in a transaction
of its own: on PostgreSQL a second request with the same key, even at the same
instant, meets the unique constraint and is answered without running (409 while
the first still runs, its stored response once it is done). A key used again with
another body is 422. A response of 5xx is not kept (the key may be retried); a
claim older than the lease belongs to a request that died and may be taken over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from api.models import IdempotencyKey
from api.problems import Problem

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# Headers a replay gives back as the first response had them.
KEPT_HEADERS = ("Location",)


def fingerprint(request) -> str:
    """The method, path and body as parsed: a multipart body counts by its fields and
    each file's content, not by its boundary, which a client draws anew each time."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):
        fields = {key: [str(v) for v in values] for key, values in data.lists()}
    else:
        fields = data
    files = {}
    for name, upload in getattr(request, "FILES", {}).items():
        content = upload.read()
        upload.seek(0)
        files[name] = [upload.name, hashlib.sha256(content).hexdigest()]
        if isinstance(fields, dict):
            fields = {key: value for key, value in fields.items() if key != name}
    digest.update(json.dumps([fields, files], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def claim(request) -> IdempotencyKey | HttpResponse | None:
    """Claim the request's key: the new row (run the request), or the response to
    give instead (a replay), or None when the request carries no key."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return None
    if len(key) > 255:
        raise Problem(
            400, "invalid-idempotency-key", "Idempotency-Key too long", "At most 255 characters."
        )
    user = request.user
    print_ = fingerprint(request)
    now = timezone.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(user=user, key=key, fingerprint=print_)
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None:
            continue  # removed between our insert and our read: try again
        expired = existing.created_at < now - dt.timedelta(hours=settings.NPP_IDEMPOTENCY_HOURS)
        died = existing.state == IdempotencyKey.State.RUNNING and existing.created_at < now - (
            dt.timedelta(seconds=settings.NPP_IDEMPOTENCY_LEASE_SECONDS)
        )
        if expired or died:
            # Only the request that removes the stale row takes the key over; another
            # finds the new claim on its next try.
            IdempotencyKey.objects.filter(pk=existing.pk).delete()
            continue
        if existing.fingerprint != print_:
            raise Problem(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused with another request",
                "This Idempotency-Key was used for a different request; use a new key.",
            )
        if existing.state == IdempotencyKey.State.RUNNING:
            raise Problem(
                409,
                "idempotency-key-in-use",
                "The first request with this key is still running",
                "A request with this Idempotency-Key is still being processed; retry later.",
            )
        return replay(existing)
    raise Problem(409, "idempotency-key-in-use", "Try again", "The key changed hands; retry.")


def replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body),
        status=record.response_status,
        content_type=record.response_content_type or None,
    )
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response


def record(claimed: IdempotencyKey, response) -> None:
    """Keep the response for retries; a server error frees the key instead."""
    if response.status_code >= 500:
        IdempotencyKey.objects.filter(pk=claimed.pk).delete()
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    headers: dict[str, Any] = {name: response[name] for name in KEPT_HEADERS if name in response}
    IdempotencyKey.objects.filter(pk=claimed.pk).update(
        state=IdempotencyKey.State.DONE,
        response_status=response.status_code,
        response_body=bytes(response.content),
        response_content_type=response.get("Content-Type", ""),
        response_headers=headers,
    )


def release(claimed: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=claimed.pk).delete()
