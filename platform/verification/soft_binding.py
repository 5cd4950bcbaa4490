"""The C2PA Soft Binding Resolution API, at the paths and with the parameters, status codes and
shapes of its OpenAPI document (AdobeDocs/cai-soft-binding-api,
static/c2pa-original-soft-binding.json; C2PA 2.2 "Decoupled" chapter):

GET  /matches/byBinding?alg&value[&maxResults]    -> c2pa.softBindingQueryResult
POST /matches/byBinding[?maxResults]  {alg, value} -> c2pa.softBindingQueryResult
POST /matches/byContent[?alg&maxResults&hintAlg&hintValue]  the asset as the body
GET  /manifests/{manifestId}[?returnActiveManifest]        -> application/c2pa
GET  /services/supportedAlgorithms                         -> c2pa.softBindingAlgList

Public and anonymous: no session, so no CSRF; errors (a wrong method too) are JSON in the API's
error shape; any origin may call it (``config.cors``). The answers are ``resolution``'s.
"""

from __future__ import annotations

import io

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.rate_limits import ClientRateThrottle
from config.schema import ERROR_DESCRIPTIONS, ErrorSerializer
from core.errors import DomainError

from . import resolution
from .soft_binding_serializers import (
    ByBindingQuery,
    ByContentQuery,
    ManifestQuery,
    MaxResultsQuery,
    SoftBindingAlgList,
    SoftBindingQuery,
    SoftBindingQueryResult,
)

TAGS = ["C2PA Soft Binding Resolution"]
MAX_QUERY_STRING = 2048  # longer: 414, "consider using POST instead"
MAX_QUERY_BODY = 64 * 1024  # a JSON query of POST /matches/byBinding
# What POST /matches/byContent takes (the specification's media ranges); the file is
# recognised by its first bytes, and only MP4 video and PNG or JPEG images are read (else 415).
CONTENT_MEDIA_RANGES = ("image/*", "video/*", "audio/*", "application/*", "model/*", "text/*")


def _ok(response) -> OpenApiResponse:
    return OpenApiResponse(response=response, description="Successful operation")


class _AlwaysJson(BaseContentNegotiation):
    """Answer in JSON whatever the client's Accept says (a client asking for application/c2pa
    still gets the manifest, and a refusal in JSON rather than a 406)."""

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _SoftBindingView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AlwaysJson


class MatchesByBindingView(_SoftBindingView):
    parser_classes = [JSONParser]
    schema_error_statuses = (400,)

    @extend_schema(
        operation_id="queryByBinding",
        tags=TAGS,
        summary="Returns C2PA Manifest identifiers corresponding to a soft binding.",
        parameters=[ByBindingQuery],
        responses={
            200: _ok(SoftBindingQueryResult),
            414: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[414]),
        },
    )
    def get(self, request):
        if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
            raise DomainError(
                "The query is too long for a URL; POST it to /matches/byBinding instead.",
                code="query_too_long",
                status=414,
            )
        query = _valid(ByBindingQuery, request.query_params)
        # base64 has no spaces: a '+' sent unencoded in the URL arrives as one.
        value = query["value"].replace(" ", "+")
        return _matches(
            resolution.matches_by_binding(
                alg=query["alg"], value=value, max_results=query["maxResults"]
            )
        )

    @extend_schema(
        operation_id="queryByLargeBinding",
        tags=TAGS,
        summary="Returns C2PA Manifest identifiers corresponding to a large soft binding value.",
        parameters=[MaxResultsQuery],
        request=SoftBindingQuery,
        responses={200: _ok(SoftBindingQueryResult)},
    )
    def post(self, request):
        limit = _valid(MaxResultsQuery, request.query_params)["maxResults"]
        if _content_length(request) > MAX_QUERY_BODY:
            raise DomainError(
                f"A soft binding query is at most {MAX_QUERY_BODY // 1024} KB.",
                code="too_large",
                status=413,
            )
        query = _valid(SoftBindingQuery, request.data)
        return _matches(
            resolution.matches_by_binding(alg=query["alg"], value=query["value"], max_results=limit)
        )


class MatchesByContentView(_SoftBindingView):
    # An anonymous upload examined in a sandbox: the same budget as every other verification.
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "verify"
    schema_error_statuses = (422,)

    @extend_schema(
        operation_id="uploadFile",
        tags=TAGS,
        summary="Finds C2PA Manifest identifiers using a digital asset.",
        description="The asset is the request body (not a form). MP4 videos and PNG or JPEG "
        "images are read, recognised by their first bytes; anything else is refused with 415.",
        parameters=[ByContentQuery],
        request={media_range: OpenApiTypes.BINARY for media_range in CONTENT_MEDIA_RANGES},
        responses={200: _ok(SoftBindingQueryResult)},
    )
    def post(self, request):
        query = _valid(ByContentQuery, request.query_params)
        # The body is streamed to the verification's spool, never read whole into memory.
        stream = request.stream or io.BytesIO()
        return _matches(
            resolution.matches_by_content(
                stream=stream, alg=query.get("alg"), max_results=query["maxResults"]
            )
        )


class ManifestView(_SoftBindingView):
    schema_error_statuses = (400,)

    @extend_schema(
        operation_id="getManifestById",
        tags=TAGS,
        summary="Returns a full C2PA Manifest Store or an active C2PA Manifest.",
        parameters=[ManifestQuery],
        responses={(200, "application/c2pa"): _ok(OpenApiTypes.BINARY)},
    )
    def get(self, request, manifestId: str):
        query = _valid(ManifestQuery, request.query_params)
        store = resolution.manifest_store(
            manifest_id=manifestId, active_only=query["returnActiveManifest"]
        )
        response = HttpResponse(store.content, content_type="application/c2pa")
        response["Content-Disposition"] = f'inline; filename="{store.filename}"'
        return response


class SupportedAlgorithmsView(_SoftBindingView):
    @extend_schema(
        operation_id="getSupportedBindings",
        tags=TAGS,
        summary="Returns a list of the soft binding algorithms supported by the service.",
        responses={200: _ok(SoftBindingAlgList)},
    )
    def get(self, request):
        return Response(resolution.supported_algorithms())


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _matches(matches: list[resolution.Match]) -> Response:
    return Response({"matches": [match.as_dict() for match in matches]})


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
