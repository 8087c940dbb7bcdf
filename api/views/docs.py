"""The schema and its readers, served from this server alone (drf-spectacular-sidecar)
and under the site's strict Content-Security-Policy: the pages load only scripts
and styles from /static/, with no inline script or style (our own templates in
place of drf-spectacular's, which inline both)."""

from __future__ import annotations

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


# Redoc builds its search index in a web worker it starts from a blob: URL; only
# this page lets workers come from there (scripts stay 'self' only).
@method_decorator(csp_update({"worker-src": ["blob:"]}), name="dispatch")
class Redoc(SpectacularRedocView):
    permission_classes = [AllowAny]
    authentication_classes = []
    template_name = "api/redoc.html"
    url_name = "api:schema"
