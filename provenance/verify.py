"""``verify(path)``: everything a copy of a clip or image says about where it came from.

Returns the manifest classification, the watermark detection and the perceptual fingerprint as
data. Looking up records (content id -> clip, fingerprint -> nearest clip) is the caller's job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance import watermark as wm
from provenance.binding import content_id_from_binding
from provenance.fingerprint import Fingerprint, fingerprint_image, fingerprint_video
from provenance.manifest import (
    ManifestResult,
    TrustConfig,
    mime_for_path,
    read_manifest,
    sha256_file,
)

__all__ = ["VerifyResult", "verify"]


@dataclass(frozen=True)
class VerifyResult:
    path: Path
    mime: str
    sha256: str
    manifest: ManifestResult
    watermark: wm.WatermarkResult
    fingerprint: Fingerprint
    # The manifest's soft-binding value equals the detected watermark payload (None when either
    # is missing): a mismatch means a manifest was moved onto someone else's marked media.
    binding_consistent: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "mime": self.mime,
            "sha256": self.sha256,
            "manifest": self.manifest.as_dict(),
            "watermark": self.watermark.as_dict(),
            "fingerprint": self.fingerprint.to_hex(),
            "binding_consistent": self.binding_consistent,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VerifyResult:
        """The inverse of :meth:`as_dict` (a result that crossed a process boundary as JSON)."""
        return cls(
            path=Path(data["path"]),
            mime=data["mime"],
            sha256=data["sha256"],
            manifest=ManifestResult.from_dict(data["manifest"]),
            watermark=wm.WatermarkResult.from_dict(data["watermark"]),
            fingerprint=Fingerprint.from_hex(data["fingerprint"]),
            binding_consistent=data["binding_consistent"],
        )


def verify(
    path: str | os.PathLike[str],
    trust: TrustConfig,
    *,
    watermark_key: bytes = wm.DEFAULT_KEY,
    mime: str | None = None,
    soft_binding_alg: str = wm.ALG,
) -> VerifyResult:
    """``mime`` overrides the suffix of ``path`` (``/proc/self/fd/N`` in the sandbox has none);
    ``soft_binding_alg`` is the name our manifests give the watermark (the configured one)."""
    path = Path(path)
    mime = mime or mime_for_path(path)
    manifest = read_manifest(path, trust, mime=mime)
    if mime.startswith("image/"):
        from provenance.media import load_image_rgb

        rgb = load_image_rgb(path)  # decoded once for the mark and the fingerprint
        mark = wm.detect_image(rgb, key=watermark_key)
        print_ = fingerprint_image(rgb)
    else:
        mark = wm.detect_video(path, key=watermark_key)
        print_ = fingerprint_video(path)
    consistent = None
    if manifest.soft_binding and mark.detected:
        consistent = (
            manifest.soft_binding.get("alg") == soft_binding_alg
            and content_id_from_binding(str(manifest.soft_binding.get("value"))) == mark.payload_hex
        )
    return VerifyResult(
        path=path,
        mime=mime,
        sha256=sha256_file(path),
        manifest=manifest,
        watermark=mark,
        fingerprint=print_,
        binding_consistent=consistent,
    )
