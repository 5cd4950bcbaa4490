"""Verification of an untrusted file in a sandboxed child: the structural pre-scan first (no
decoder has run yet), then :func:`provenance.verify.verify`, under hard limits.

``verify_isolated`` is the caller's side (it returns a :class:`~provenance.verify.VerifyResult`
rebuilt from plain data); ``verify_task`` is what runs in the child. The heavy imports (c2pa,
PyAV, torch) happen in the child only after the pre-scan has passed.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

from provenance.sandbox import Limits, Outcome, run_task
from provenance.structure import StructureLimits, scan_media

__all__ = ["verify_isolated", "verify_task"]


def verify_isolated(
    fh: BinaryIO,
    *,
    mime: str,
    our_root_pem: str,
    extra_bundle_pem: str | None,
    watermark_key: bytes,
    limits: Limits,
    structure: StructureLimits | None = None,
) -> tuple[Any, Outcome]:
    """(VerifyResult, the child's figures) for the file open as ``fh``. Raises
    :class:`TaskRefused` for absurd structure and ``ExaminationFailed`` when a limit stopped
    the child or a reader failed on the file."""
    outcome = run_task(
        "provenance.examine:verify_task",
        files=(fh,),
        kwargs={
            "mime": mime,
            "our_root_pem": our_root_pem,
            "extra_bundle_pem": extra_bundle_pem,
            "watermark_key": watermark_key,
            "structure": _limits_dict(structure),
        },
        limits=limits,
    )
    from provenance.verify import VerifyResult

    return VerifyResult.from_dict(outcome.value), outcome


def verify_task(
    *,
    paths: list[str],
    mime: str,
    our_root_pem: str,
    extra_bundle_pem: str | None,
    watermark_key: bytes,
    structure: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Child side: pre-scan, then verify; plain data back."""
    (path,) = paths
    prescan(path, structure)
    from provenance.manifest import TrustConfig
    from provenance.verify import verify

    trust = TrustConfig(our_root_pem=our_root_pem, extra_bundle_pem=extra_bundle_pem)
    return verify(path, trust, watermark_key=watermark_key, mime=mime).as_dict()


def prescan(path: str | os.PathLike[str], structure: dict[str, int] | None = None) -> None:
    """The structural pre-scan; its refusal crosses back to the parent as it is."""
    with open(path, "rb") as fh:
        scan_media(fh, limits=StructureLimits(**(structure or {})))


def _limits_dict(structure: StructureLimits | None) -> dict[str, int] | None:
    if structure is None:
        return None
    from dataclasses import asdict

    return asdict(structure)
