"""Cross-origin access to the Soft Binding Resolution API, and to nothing else.

A verifier running in a browser on another site must be able to resolve a soft binding and
fetch a manifest, so those paths (``config.api_paths``) answer any origin and a preflight
``OPTIONS`` at once, before any other middleware. Never with credentials: the API is public
and anonymous, no cookie or session of ours may ride along, so ``*`` is safe. Every other
path sends no CORS header at all (same-origin only).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from .api_paths import soft_binding_path

ALLOWED_METHODS = "GET, POST, OPTIONS"
# Content-Type: JSON and media bodies; Authorization: clients that send the OAuth bearer token
# the specification describes (ignored here: the API is public).
ALLOWED_HEADERS = "Authorization, Content-Type"
EXPOSED_HEADERS = "Content-Disposition, Retry-After"
PREFLIGHT_MAX_AGE = 86400


class SoftBindingCorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not soft_binding_path(request.path_info):
            return self.get_response(request)
        if _preflight(request):
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        else:
            response = self.get_response(request)
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response["Access-Control-Allow-Origin"] = "*"
        return response


def _preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META
