"""What the C2PA Soft Binding Resolution API answers (C2PA 2.2, "Decoupled" chapter; OpenAPI
document: AdobeDocs/cai-soft-binding-api, static/c2pa-original-soft-binding.json).

Our one soft binding is our watermark; its value is the clip's 64-bit content id, base64 of
8 bytes (``provenance.binding``). The video and its poster both carry it, each signed apart
with a manifest of its own, so a binding resolves to both manifests. Content resolves through
the verification of the uploaded file (the sandboxed examination and size limits of
``verification_run``), and only on the evidence that links a record there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

from django.db.models import Q

from core.errors import DomainError
from jobs.models import Clip

from .services import verification_run

MAX_RESULTS = 100  # a larger maxResults is served this many
# Evidence of our own that names the clip exactly (see records.clip_matching).
_EXACT_EVIDENCE = frozenset({"sha256", "signature", "watermark"})
_UNRELATED_DISTANCE = 0.5  # fingerprint distance of unrelated content (provenance.fingerprint)
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# C2PA unique identifiers: urn:c2pa:UUID[:claim generator id (<= 32 printable ASCII, no ':' or
# '_')[:vN_R]] (C2PA 2.x, the IANA "c2pa" URN namespace); C2PA 1.x: [vendor:]urn:uuid:UUID.
MANIFEST_ID = re.compile(
    rf"urn:c2pa:{_UUID}(?::[\x21-\x39\x3b-\x5e\x60-\x7e]{{0,32}}(?::v\d{{1,9}}_\d{{1,9}})?)?"
    rf"|(?:[A-Za-z0-9.-]{{1,64}}:)?urn:uuid:{_UUID}"
)


class UnsupportedAlgorithm(DomainError):
    code = "unsupported_algorithm"


class InvalidManifestId(DomainError):
    code = "invalid_manifest_id"


class ManifestNotFound(DomainError):
    code = "not_found"
    status = 404


@dataclass(frozen=True)
class Match:
    manifest_id: str
    similarity_score: int  # 0 (weakest) .. 100 (exact)

    def as_dict(self) -> dict:
        return {"manifestId": self.manifest_id, "similarityScore": self.similarity_score}


@dataclass(frozen=True)
class ManifestStoreFile:
    content: bytes  # application/c2pa
    filename: str


def watermark_alg() -> str:
    """The soft-binding algorithm name our manifests state for our watermark (configured:
    PROVENANCE_SOFT_BINDING_ALG_DOMAIN, see docs/soft-binding.md)."""
    from config.credentials import soft_binding_alg

    return soft_binding_alg()


def supported_algorithms() -> dict[str, list[dict[str, str]]]:
    """``c2pa.softBindingAlgList``: our watermark; no fingerprint is queryable by value."""
    return {"watermarks": [{"alg": watermark_alg()}], "fingerprints": []}


def algorithm_check(alg: str) -> None:
    if alg != watermark_alg():
        raise UnsupportedAlgorithm(
            f"Unsupported soft binding algorithm {alg[:100]!r}; "
            "GET /services/supportedAlgorithms lists those this service resolves."
        )


def matches_by_binding(*, alg: str, value: str, max_results: int) -> list[Match]:
    """The manifests that state this soft binding (exact: score 100)."""
    from provenance.binding import content_id_from_binding

    algorithm_check(alg)
    content_id = content_id_from_binding(value)
    if content_id is None:
        raise DomainError(
            "value must be the base64 encoding of the watermark's 8-byte content id.",
            code="invalid_value",
        )
    clip = Clip.objects.filter(content_id=content_id).first()
    return _clip_matches(clip, score=100, image_first=False)[: _bounded(max_results)]


def matches_by_content(*, stream: BinaryIO, alg: str | None, max_results: int) -> list[Match]:
    """The manifests of the clip the uploaded asset is linked to: with ``alg``, only when that
    algorithm (our watermark) found it in the asset; without, on any evidence of ours. An
    image lists the poster's manifest first, a video the video's."""
    if alg is not None:
        algorithm_check(alg)  # before reading a byte of the upload
    result = verification_run(stream=stream, filename="")
    if result.clip is None:
        return []
    matched_by = set((result.findings.get("record") or {}).get("matched_by") or ())
    if alg is not None and "watermark" not in matched_by:
        return []
    if matched_by & _EXACT_EVIDENCE:
        score = 100
    else:  # our fingerprint alone: as strong as the picture is close
        distance = (result.findings.get("fingerprint") or {}).get("distance") or 0.0
        score = max(0, min(100, round(100 * (1 - distance / _UNRELATED_DISTANCE))))
    image = result.media_type.startswith("image/")
    return _clip_matches(result.clip, score=score, image_first=image)[: _bounded(max_results)]


def manifest_store(*, manifest_id: str, active_only: bool) -> ManifestStoreFile:
    """The signed store a manifest id names (the video's or the poster's); with
    ``active_only``, a store holding that active manifest alone."""
    from provenance.jumbf import store_with_manifest

    if not MANIFEST_ID.fullmatch(manifest_id):
        raise InvalidManifestId(
            "Not a C2PA manifest identifier (urn:c2pa:<uuid>[:<generator>[:v<n>_<r>]])."
        )
    query = Q(manifest_label=manifest_id) | Q(poster_manifest_label=manifest_id)
    clip = Clip.objects.filter(query).first()
    if clip is None:
        raise ManifestNotFound("No C2PA manifest has this identifier here.")
    if clip.manifest_label == manifest_id:
        field, filename = clip.manifest_store, f"{clip.content_id}.c2pa"
    else:
        field, filename = clip.poster_manifest_store, f"{clip.content_id}-poster.c2pa"
    if not field:
        raise ManifestNotFound("No C2PA manifest has this identifier here.")
    with field.open("rb") as handle:
        content = handle.read()
    if active_only:
        content = store_with_manifest(content, manifest_id)
    return ManifestStoreFile(content=content, filename=filename)


def _clip_matches(clip: Clip | None, *, score: int, image_first: bool) -> list[Match]:
    """The clip's manifests that GET /manifests/{manifestId} can serve (a store whose files
    were deleted is not offered)."""
    if clip is None:
        return []
    served = [
        (clip.manifest_label, clip.manifest_store),
        (clip.poster_manifest_label, clip.poster_manifest_store),
    ]
    if image_first:
        served.reverse()
    return [Match(label, score) for label, store in served if label and store]


def _bounded(max_results: int) -> int:
    return max(1, min(max_results, MAX_RESULTS))
