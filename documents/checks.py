"""System checks for the documents app's settings (`manage.py check`, and at start)."""

from __future__ import annotations

from itertools import pairwise

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

MIN_SIGNING_KEY_LENGTH = 32

RENDER_BOUNDS = (
    "NPP_RENDER_TIMEOUT",
    "NPP_RENDER_SOFT_TIME_LIMIT",
    "NPP_RENDER_TIME_LIMIT",
    "NPP_RENDER_LEASE_SECONDS",
)


@register()
def render_time_bounds(app_configs=None, **kwargs) -> list[Error]:
    """Each render bound must be shorter than the next: the render's own deadline
    stops WeasyPrint before Celery's soft limit interrupts the task, the soft limit
    before the hard limit kills it, and the kill before the job's lease runs out and
    another worker takes over a rendering that is still alive."""
    values = [getattr(settings, name) for name in RENDER_BOUNDS]
    errors = []
    for (inner, inner_value), (outer, outer_value) in pairwise(
        zip(RENDER_BOUNDS, values, strict=True)
    ):
        if not inner_value < outer_value:
            errors.append(
                Error(
                    f"{inner} ({inner_value} s) must be shorter than {outer} ({outer_value} s).",
                    hint="Keep NPP_RENDER_TIMEOUT < NPP_RENDER_SOFT_TIME_LIMIT < "
                    "NPP_RENDER_TIME_LIMIT < NPP_RENDER_LEASE_SECONDS.",
                    id="documents.E001",
                )
            )
    if settings.NPP_RENDER_SWEEP_SECONDS <= 0 or settings.NPP_RENDER_STALE_SECONDS <= 0:
        errors.append(
            Error(
                "NPP_RENDER_SWEEP_SECONDS and NPP_RENDER_STALE_SECONDS must be positive.",
                id="documents.E002",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def signing_keys(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Signatures sealed with the SECRET_KEY-derived key stop verifying when the
    database is restored under another SECRET_KEY, or the key is rotated."""
    messages: list[CheckMessage] = []
    if settings.NPP_SIGNING_KEY_ID == settings.LEGACY_SIGNING_KEY_ID:
        messages.append(
            Warning(
                "New signatures are sealed with the key derived from SECRET_KEY.",
                hint="Set NPP_SIGNING_KEYS=<id>=<50+ random characters> and keep it with "
                "the backups (README, Production).",
                id="documents.W001",
            )
        )
    for key_id, secret in settings.NPP_SIGNING_KEYS.items():
        if key_id != settings.LEGACY_SIGNING_KEY_ID and len(secret) < MIN_SIGNING_KEY_LENGTH:
            messages.append(
                Error(
                    f"The signing key {key_id!r} is shorter than {MIN_SIGNING_KEY_LENGTH} "
                    "characters.",
                    id="documents.E003",
                )
            )
    return messages
