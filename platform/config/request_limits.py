"""Refuse a request body larger than any upload may be, before reading it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .api_paths import json_error_path

# Room for the multipart envelope and the other form fields.
_ENVELOPE = 1024 * 1024


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = max(settings.UPLOAD_PORTRAIT_MAX_BYTES, settings.UPLOAD_AUDIO_MAX_BYTES) + _ENVELOPE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            message = (
                f"The request is {length / 2**20:.1f} MB; "
                f"uploads are limited to {(limit - _ENVELOPE) / 2**20:.0f} MB."
            )
            if json_error_path(request.path):
                return JsonResponse(
                    {"error": {"code": "too_large", "message": message}}, status=413
                )
            html = render_to_string("413.html", {"message": message}, request=request)
            return HttpResponse(html, status=413)
        return self.get_response(request)
