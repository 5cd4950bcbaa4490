"""One JSON error shape for the whole API: {"error": {"code", "message", "fields"?}}.

Domain errors raised by services (``DomainError`` and its subclasses) become 4xx answers with
their own message, so a view never has to translate them one by one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.api_paths import json_error_path
from config.rate_limits import retry_phrase
from core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(int(retry_after))} if retry_after else None
        return Response(
            {"error": {"code": exc.code, "message": exc.message}},
            status=exc.status,
            headers=headers,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        first = _first_message(fields)
        response.data = {
            "error": {"code": "invalid", "message": first, "fields": fields},
        }
    else:
        detail = getattr(exc, "detail", None)
        if isinstance(exc, Http404):
            message, code = "Not found.", "not_found"
        elif isinstance(exc, PermissionDenied):
            message, code = "You do not have permission to do this.", "permission_denied"
        elif isinstance(exc, exceptions.Throttled):
            # DRF has set Retry-After from the throttle's wait; say the same in words.
            when = retry_phrase(exc.wait) if exc.wait else "later"
            message, code = (
                f"Too many requests from your connection. Please try again {when}.",
                "throttled",
            )
        else:
            message = str(detail) if detail is not None else str(exc)
            code = getattr(detail, "code", None) or _code_for(response.status_code)
        response.data = {"error": {"code": code, "message": message}}
    return response


def _first_message(fields: Any) -> str:
    if isinstance(fields, dict):
        for name, value in fields.items():
            inner = _first_message(value)
            return inner if name == "non_field_errors" else f"{name}: {inner}"
    if isinstance(fields, list) and fields:
        return _first_message(fields[0])
    return str(fields)


def _code_for(status_code: int) -> str:
    return {
        status.HTTP_401_UNAUTHORIZED: "not_authenticated",
        status.HTTP_403_FORBIDDEN: "permission_denied",
        status.HTTP_404_NOT_FOUND: "not_found",
        status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
        status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
    }.get(status_code, "error")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The site's 404 (``handler404``): JSON in the API's error shape under /api/, so a client
    that asks for a path no route matches gets the same answer as for a missing object (so
    do the Soft Binding Resolution API's paths)."""
    if json_error_path(request.path):
        return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
    return page_not_found(request, exception)
