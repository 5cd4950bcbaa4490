"""Verifying an uploaded copy: read its credentials, watermark and fingerprint, match our
records, and keep the findings (never the file) under a permalink."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from jobs.models import Clip

from config import credentials
from config.errors import DomainError

from .media import media_kind
from .models import Verification
from .records import clip_matching
from .verdicts import (
    EXPLANATIONS,
    HEADLINES,
    RECORD_STATUS_WORDS,
    Evidence,
    verdict_for,
)

log = logging.getLogger(__name__)
_CHUNK = 1024 * 1024


def verification_run(*, stream: BinaryIO, filename: str = "") -> Verification:
    """Verify one uploaded file. Refusals are 4xx with a message; the file is deleted after."""
    limit = settings.VERIFY_MAX_BYTES
    with tempfile.TemporaryDirectory(prefix="verify-") as folder:
        head = stream.read(16)
        suffix, media_type = media_kind(head)
        path = Path(folder) / f"upload{suffix}"
        size = _copy_capped(stream, head, path, limit)
        try:
            from provenance.verify import verify

            result = verify(
                path, credentials.trust_config(), watermark_key=credentials.watermark_key()
            )
        except Exception as exc:  # a file our readers cannot parse is the uploader's problem
            log.info("verification could not read %s: %s", media_type, exc)
            raise DomainError(
                "The file could not be read as a video or image (it may be damaged or truncated).",
                code="unreadable",
            ) from exc
        findings, clip, verdict = _assess(result, media_type)
    return Verification.objects.create(
        verdict=verdict,
        media_type=media_type,
        filename=_clean_name(filename),
        size=size,
        sha256=findings["sha256"],
        clip=clip,
        findings=findings,
    )


def _copy_capped(stream: BinaryIO, head: bytes, path: Path, limit: int) -> int:
    size = len(head)
    with open(path, "wb") as out:
        out.write(head)
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise DomainError(
                    f"The file is larger than {limit // _CHUNK} MB, the verification limit.",
                    code="too_large",
                    status=413,
                )
            out.write(chunk)
    return size


def _assess(result, media_type: str) -> tuple[dict, Clip | None, str]:
    manifest = result.manifest
    watermark = result.watermark
    clip, matched_by, distance = clip_matching(
        binding=(manifest.soft_binding or {}).get("value")
        if manifest.status != "no_manifest"
        else None,
        watermark_id=watermark.payload_hex if watermark.detected else None,
        sha256=result.sha256,
        fingerprint=result.fingerprint if media_type == "video/mp4" else None,
    )
    evidence = Evidence(
        manifest_status=str(manifest.status),
        record_found=clip is not None,
        matched_by=tuple(matched_by),
    )
    verdict = verdict_for(evidence)
    findings = {
        "headline": HEADLINES[verdict],
        "explanation": EXPLANATIONS[verdict],
        "sha256": result.sha256,
        "credentials": _credentials(manifest),
        "watermark": {
            "detected": bool(watermark.detected),
            "content_id": watermark.payload_hex if watermark.detected else None,
            "confidence": round(float(watermark.confidence or 0.0), 4),
        },
        "fingerprint": {"matched": "fingerprint" in matched_by, "distance": distance},
        "record": _record(clip, matched_by),
    }
    return findings, clip, verdict


def _credentials(manifest) -> dict:
    assertions = manifest.assertions or {}
    actions = (assertions.get("c2pa.actions.v2") or assertions.get("c2pa.actions") or {}).get(
        "actions"
    ) or []
    source_types = [a.get("digitalSourceType", "") for a in actions if isinstance(a, dict)]
    generator = (manifest.claim_generator or [{}])[0] if manifest.claim_generator else {}
    signer = manifest.signer or {}
    return {
        "status": str(manifest.status),
        "present": str(manifest.status) != "no_manifest",
        "trusted": bool(manifest.trusted),
        "signed_by": signer.get("issuer") or signer.get("common_name") or "",
        "signed_at": signer.get("time") or "",
        "generator": " ".join(
            str(generator.get(k, "")) for k in ("name", "version") if generator.get(k)
        ),
        "ai_generated": any(
            "trainedAlgorithmicMedia" in t or "compositeWithTrained" in t for t in source_types
        ),
        "source_types": [t for t in source_types if t],
        "consent": manifest.consent,
        "failure_codes": list(manifest.failure_codes),
    }


def _record(clip: Clip | None, matched_by: list[str]) -> dict | None:
    if clip is None:
        return None
    return {
        "content_id": clip.content_id,
        "status": clip.status,
        "status_words": RECORD_STATUS_WORDS.get(clip.status, ""),
        "made_at": clip.created_at.isoformat(timespec="seconds"),
        "matched_by": matched_by,
        "public": clip.status == Clip.Status.PUBLISHED,
    }


def _clean_name(name: str) -> str:
    name = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", name)[:255]
