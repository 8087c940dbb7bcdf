"""The WSGI application gunicorn serves. gunicorn runs no system checks: the ones
that make a deployment unsafe to serve (a per-process cache) run here, at start."""

import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")
application = get_wsgi_application()

_refusals = [error for error in checks.run_checks(tags=[checks.Tags.caches]) if error.is_serious()]
if _refusals:
    raise ImproperlyConfigured("\n".join(str(error) for error in _refusals))
