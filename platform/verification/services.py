"""Verifying an uploaded copy: read its credentials, watermark and fingerprint, match our
records, and keep the findings (never the file) under a permalink."""

from __future__ import annotations

import datetime
import logging
import re
import tempfile
from typing import BinaryIO

from django.conf import settings
from django.utils import timezone

from config import credentials, examination
from config.credentials import soft_binding_alg
from core.errors import DomainError
from jobs.models import Clip
from provenance.manifest_summary import ManifestSummary

from .findings_bounds import MAX_ITEMS, findings_bounded
from .media import media_kind
from .models import Verification
from .records import clip_matching
from .verdicts import (
    EXPLANATIONS,
    Evidence,
    Verdict,
    headline_for,
    verdict_for,
)

log = logging.getLogger(__name__)
_CHUNK = 1024 * 1024


def verification_run(*, stream: BinaryIO, filename: str = "") -> Verification:
    """Verify one uploaded file. Refusals are 4xx with a message; nothing of the file is kept.

    The upload is spooled to an anonymous temporary file (unlinked from the start, so nothing
    is left on disk even if this worker is killed) and examined by a sandboxed child with
    CPU, memory and time limits (see :mod:`config.examination`)."""
    limit = settings.VERIFY_MAX_BYTES
    with tempfile.TemporaryFile(prefix="verify-") as spool:
        head = stream.read(16)
        _suffix, media_type = media_kind(head)
        size = _copy_capped(stream, head, spool, limit)
        result = _examined(spool, media_type)
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


def _examined(spool: BinaryIO, media_type: str):
    """The provenance library's VerifyResult, from a sandboxed child."""
    from provenance.examine import verify_isolated
    from provenance.sandbox import REFUSED_STATUS, ExaminationFailed, TaskRefused

    trust = credentials.trust_config()
    try:
        result, outcome = verify_isolated(
            spool,
            mime=media_type,
            our_root_pem=trust.our_root_pem,
            extra_bundle_pem=trust.extra_bundle_pem,
            watermark_key=credentials.watermark_key(),
            limits=examination.examine_limits(),
        )
    except TaskRefused as exc:
        log.info("verification refused a %s: %s", media_type, exc.message)
        raise DomainError(exc.message, code=exc.code, status=exc.status) from exc
    except ExaminationFailed as exc:
        log.info("verification could not examine a %s: %s", media_type, exc)
        if exc.reason == "error":  # a file our readers cannot parse is the uploader's problem
            raise DomainError(
                "The file could not be read as a video or image (it may be damaged or truncated).",
                code="unreadable",
            ) from exc
        raise DomainError(exc.message("file"), code=exc.code, status=REFUSED_STATUS) from exc
    log.debug("verified a %s in %.2f s of CPU", media_type, outcome.cpu_seconds)
    return result


def _copy_capped(stream: BinaryIO, head: bytes, out: BinaryIO, limit: int) -> int:
    size = len(head)
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
    out.flush()
    return size


def _assess(result, media_type: str) -> tuple[dict, Clip | None, str]:
    """Findings, linked clip and verdict. Only our own evidence links a clip: see records."""
    from provenance.binding import content_id_from_binding
    from provenance.watermark import false_detection_bound

    manifest = ManifestSummary.from_dict(result.manifest.as_dict())
    watermark = result.watermark
    status = manifest.status
    signed_by_us = manifest.signed_by_us
    # A soft binding names one of our clips only under our algorithm's name.
    ours = manifest.present and (manifest.soft_binding or {}).get("alg") == soft_binding_alg()
    binding = manifest.soft_binding_value if ours else ""
    claimed_id = content_id_from_binding(binding) if binding else None
    mark_id = watermark.payload_hex if watermark.detected else None
    match = clip_matching(
        sha256=result.sha256,
        claimed_id=claimed_id,
        claim_signed_by_us=signed_by_us,
        claim_intact=status == "ours_trusted",
        watermark_id=mark_id,
        fingerprint=result.fingerprint,
        scan_fingerprints=media_type == "video/mp4",
    )
    clip, matched_by = match.clip, match.matched_by
    evidence = Evidence(
        manifest_status=status,
        record_found=clip is not None,
        matched_by=tuple(matched_by),
        signed_by_us=signed_by_us,
        signature_valid=manifest.signature_valid,
        mark_contradicted=match.mark_contradicted,
    )
    verdict = verdict_for(evidence)
    if verdict == Verdict.MARK_NOT_CLIP:
        clip, matched_by = None, []  # the mark's id is what the mark says, not a link
    credentials = _credentials(manifest)
    # What the manifest names: proof only under our own signature, a claim otherwise.
    credentials["claims_content_id"] = claimed_id
    credentials["claim_is_ours"] = signed_by_us and claimed_id is not None
    findings = {
        # As it stood when verified; the permalink reads the clip's status again (standing).
        "headline": headline_for(verdict, clip_status=clip.status if clip else None),
        "explanation": EXPLANATIONS[verdict],
        "sha256": result.sha256,
        "credentials": credentials,
        "watermark": {
            "detected": bool(watermark.detected),
            "content_id": mark_id,
            "confidence": round(float(watermark.confidence or 0.0), 4),
            # The chance that an unmarked file reads as marked (the CRC's bound): "1.0" above
            # rounds it away, and a journalist weighing the evidence needs the figure.
            "false_detection_bound": false_detection_bound() if watermark.detected else None,
            # False: the picture does not resemble the clip the mark names (edited or forged).
            "matches_picture": None if mark_id is None else not match.mark_contradicted,
        },
        "fingerprint": {"matched": "fingerprint" in matched_by, "distance": match.distance},
        "record": _record(clip, matched_by),
    }
    return findings_bounded(findings), clip, verdict


def _credentials(manifest: ManifestSummary) -> dict:
    """The manifest as its signer stated it (bounded later: every field may be hostile)."""
    return {
        "status": manifest.status,
        "present": manifest.present,
        "trusted": manifest.trusted,
        "signed_by_us": manifest.signed_by_us,
        "signed_by": manifest.signed_by,
        "signed_at": manifest.signed_at,
        "generator": manifest.generator,
        # What the manifest claims; None without one (its absence says nothing either way).
        "ai_generated": manifest.ai_generated if manifest.present else None,
        "source_types": list(manifest.source_types[:MAX_ITEMS]),
        "consent": manifest.consent,
        "failure_codes": list(manifest.failure_codes[:MAX_ITEMS]),
    }


def _record(clip: Clip | None, matched_by: list[str]) -> dict | None:
    if clip is None:
        return None
    # The clip as it stood when verified; the words for its status are read when shown
    # (see standing), since a status in present tense stops being true when it changes.
    return {
        "content_id": clip.content_id,
        "status": clip.status,
        "made_at": clip.created_at.isoformat(timespec="seconds"),
        "matched_by": matched_by,
        "public": clip.status == Clip.Status.PUBLISHED,
    }


def _clean_name(name: str) -> str:
    name = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", name)[:255]


def verifications_purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete results older than VERIFICATION_RETENTION_DAYS; their permalinks then say 410."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.VERIFICATION_RETENTION_DAYS)
    deleted, _ = Verification.objects.filter(created_at__lt=cutoff).delete()
    if deleted:
        log.info("deleted %d verification results older than %s", deleted, cutoff.isoformat())
    return deleted
