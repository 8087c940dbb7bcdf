"""System checks for how the project is deployed (`manage.py check`, and at start)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.caches, Tags.security)
def shared_cache(app_configs=None, **kwargs) -> list[Error]:
    """With several web processes, a per-process cache lets one authenticator code
    sign in once per process and multiplies the sign-in failures allowed."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        Error(
            f"The default cache ({backend}) is per process: every web process would keep "
            "its own sign-in rate limits and used one-time codes.",
            hint="Set NPP_CACHE_URL=redis://host:6379/1 (or db:// for the database cache).",
            id="npp.E001",
        )
    ]
