"""The Content-Security-Policy header on every response (Django 5.2 has none built in).

Pages load scripts and styles only from our own origin (htmx and the stylesheet are static
files; no inline ``<script>``, ``<style>`` or ``style=``), may not be framed, and post forms
only to us. Swagger UI (/api/docs/) builds its page with inline styles and data: images, so
that one view gets a relaxed style/img policy through ``content_security_policy``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

DEFAULT_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI: still no inline or foreign script; React sets style attributes and the bundle
# draws its icons from data: URIs.
API_DOCS_POLICY = DEFAULT_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
API_DOCS_POLICY = API_DOCS_POLICY.replace("img-src 'self'", "img-src 'self' data:")

_ATTRIBUTE = "content_security_policy"


def content_security_policy(policy: str) -> Callable:
    """Decorate a view whose responses need a policy other than DEFAULT_POLICY."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            setattr(response, _ATTRIBUTE, policy)
            return response

        return wrapped

    return decorate


class ContentSecurityPolicyMiddleware:
    """Adds the view's policy, or DEFAULT_POLICY, unless the response already has one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = getattr(response, _ATTRIBUTE, DEFAULT_POLICY)
        return response
