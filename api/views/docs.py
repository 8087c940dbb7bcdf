"""The schema and its readers, served from this server alone (drf-spectacular-sidecar)
and under the site's strict Content-Security-Policy: the pages load only scripts
from /static/, with no inline script (our own templates in place of
drf-spectacular's, which inline both scripts and styles). Swagger UI needs nothing
more; Redoc's generated styles are allowed by a per-response nonce on its page."""

from __future__ import annotations

from csp.constants import NONCE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny


class Schema(SpectacularAPIView):
    permission_classes = [AllowAny]
    authentication_classes = []


class SwaggerUI(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    authentication_classes = []
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"


# Redoc (styled-components) writes its styles into <style> elements: on this page
# alone the policy allows styles carrying this response's nonce, which Redoc is given
# (api/static/api/redoc-init.js reads it from the page), and the two style elements
# its bundle writes before it is given the nonce (an empty one and its base CSS, by
# their hashes: pinned with drf-spectacular-sidecar). Its search index runs in a web
# worker started from a blob: URL. Scripts stay 'self' only, with no exception; the
# Redocly logo it would fetch from its CDN stays blocked (img-src 'self' data:).
REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
]


@method_decorator(
    csp_update({"style-src": [NONCE, *REDOC_STYLE_HASHES], "worker-src": ["blob:"]}),
    name="dispatch",
)
class Redoc(SpectacularRedocView):
    permission_classes = [AllowAny]
    authentication_classes = []
    template_name = "api/redoc.html"
    url_name = "api:schema"
