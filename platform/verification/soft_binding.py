"""The C2PA Soft Binding Resolution API (C2PA 2.x): resolve our watermark to the manifest.

GET|POST /matches/byBinding   {alg, value (base64)} -> {"matches": [{"manifestId", ...}]}
POST     /matches/byContent   an asset in the body  -> matches by detecting the watermark
GET      /manifests/{id}      the stored C2PA manifest store (application/c2pa)
GET      /services/supportedAlgorithms
"""

from __future__ import annotations

import io
import json

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError
from jobs.models import Clip

from .services import verification_run

_MAX_RESULTS = 100


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": "invalid", "message": message}}, status=status)


def _watermark_alg() -> str:
    from provenance.watermark import ALG

    return ALG


def _matches(clips, *, score: int = 100) -> JsonResponse:
    return JsonResponse(
        {
            "matches": [
                {"manifestId": clip.manifest_label, "similarityScore": score}
                for clip in clips
                if clip.manifest_label
            ]
        }
    )


def _max_results(request) -> int:
    try:
        value = int(request.GET.get("maxResults", 10))
    except ValueError as exc:
        raise DomainError("maxResults must be a positive integer.") from exc
    if value < 1:
        raise DomainError("maxResults must be a positive integer.")
    return min(value, _MAX_RESULTS)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def matches_by_binding(request):
    from provenance.binding import content_id_from_binding

    if request.method == "POST":
        try:
            query = json.loads(request.body or b"{}")
        except ValueError:
            return _error(400, "The body must be a JSON object with alg and value.")
        if not isinstance(query, dict):
            return _error(400, "The body must be a JSON object with alg and value.")
    else:
        query = request.GET
    alg, value = query.get("alg"), query.get("value")
    if not alg or not value:
        return _error(400, "Both alg and value are required.")
    try:
        limit = _max_results(request)
    except DomainError as exc:
        return _error(400, exc.message)
    if alg != _watermark_alg():
        return _error(400, f"Unsupported soft binding algorithm {alg!r}.")
    content_id = content_id_from_binding(str(value))
    if content_id is None:
        return _error(400, "value must be the base64 encoding of an 8-byte watermark payload.")
    return _matches(Clip.objects.filter(content_id=content_id)[:limit])


@csrf_exempt
@require_http_methods(["POST"])
def matches_by_content(request):
    try:
        limit = _max_results(request)
        result = verification_run(stream=io.BytesIO(request.body), filename="")
    except DomainError as exc:
        return _error(exc.status, exc.message)
    if result.clip is None:
        return JsonResponse({"matches": []})
    return _matches([result.clip][:limit])


@require_GET
def manifest_by_id(request, manifest_id: str):
    clip = Clip.objects.filter(manifest_label=manifest_id).exclude(manifest_store="").first()
    if clip is None:
        return _error(404, "No C2PA manifest has this identifier here.")
    with clip.manifest_store.open("rb") as handle:
        store = handle.read()
    response = HttpResponse(store, content_type="application/c2pa")
    response["Content-Disposition"] = f'inline; filename="{clip.content_id}.c2pa"'
    return response


@require_GET
def supported_algorithms(request):
    return JsonResponse({"watermarks": [{"alg": _watermark_alg()}], "fingerprints": []})
