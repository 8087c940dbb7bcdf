"""What every API view shares: idempotent POSTs, no caching of patient data."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from drf_spectacular.utils import OpenApiParameter
from rest_framework.views import APIView

from api import idempotency

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=idempotency.HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID). A retry with the same key within 24 hours "
    "returns the first response and changes nothing; the same key with another body is 422.",
)


class _Replay(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


class ApiView(APIView):
    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self._claimed = None
        if request.method == "POST":
            claimed = idempotency.claim(request)
            if isinstance(claimed, HttpResponse):
                raise _Replay(claimed)
            self._claimed = claimed

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claimed = getattr(self, "_claimed", None)
        if claimed is not None:
            self._claimed = None
            idempotency.record(claimed, response)
        # Patient data: no cache, shared or private, keeps a response.
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            # An error DRF did not turn into a response (a 500): free the key.
            claimed = getattr(self, "_claimed", None)
            if claimed is not None:
                idempotency.release(claimed)
            raise
