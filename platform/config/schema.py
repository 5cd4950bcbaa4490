"""The OpenAPI schema's view of the API: drf-spectacular's, plus the errors each operation can
really answer, in the one error shape of ``config.api_errors`` (the contract schemathesis
checks in tests/security/test_schema_fuzz.py).

Which errors an operation documents follows from the machinery every view shares rather than
from a list kept by hand: authentication (401), permissions (403), a path parameter (404),
input of any kind (400), a request body (too large 413, wrong media type 415, a service's
refusal 403/404/409, a quota 429), a throttle (429). A view adds its own with
``schema_error_statuses`` (e.g. a record that is gone: 410).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ERROR_DESCRIPTIONS = {
    400: "The request is invalid; the message names the problem (and `fields` each field's).",
    401: "No valid credentials: a missing, malformed or revoked API token.",
    403: "Not allowed for this member, or a session request without its CSRF token.",
    404: "No such object among those visible to the caller.",
    409: "The object's state does not allow this now.",
    410: "The object existed but is gone.",
    413: "The request or its file is larger than allowed.",
    414: "The query is too long for a URL; send it in a POST body instead.",
    415: "The request's or the file's type is not accepted.",
    422: "The file was refused for its structure or stopped by an examination limit.",
    429: "Too many requests or over a quota; `Retry-After` says when to try again.",
}

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(required=False),
            },
        )
    },
)

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, documenting each operation's error answers too."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self._error_statuses()):
            if str(code) not in responses:
                response = self._get_response_for_code(ErrorSerializer, str(code))
                response["description"] = ERROR_DESCRIPTIONS.get(code, "Error.")
                responses[str(code)] = response
        return responses

    def _error_statuses(self) -> set[int]:
        view = self.view
        codes: set[int] = set(getattr(view, "schema_error_statuses", ()))
        if view.get_authenticators():
            codes.add(401)
        if any(not isinstance(p, AllowAny) for p in view.get_permissions()):
            codes |= {401, 403}
        if "{" in self.path:
            codes.add(404)
        if self._is_list_view() and self._get_paginator() is not None:
            codes.add(400)
        if self.method in _WRITES:
            codes |= {400, 403, 404, 409, 413, 415, 429}
        if getattr(view, "throttle_scope", None):
            codes.add(429)
        return codes
