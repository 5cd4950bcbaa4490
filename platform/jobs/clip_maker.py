"""Composes the two libraries into one clip: animation yields frames, provenance watermarks them
through animation's frame hook, animation encodes, provenance signs video and poster.

No database here: the runner passes plain values in and stores what comes out.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image


class JobStopped(Exception):
    """Raised between frame batches when the job was cancelled (e.g. consent revoked)."""


@dataclass(frozen=True)
class ClipInputs:
    portrait_path: Path
    portrait_sha256: str
    portrait_mime: str
    audio_path: Path | None
    audio_sha256: str | None
    audio_mime: str | None
    idle_seconds: float | None
    seed: int
    size: int
    content_id: str  # 16 hex digits: the watermark payload
    consent: dict[str, str]  # consent_id, scope, assurance, content_hash


def benchmark_inputs(
    *, portrait_path: Path, portrait_mime: str, audio_path: Path, audio_mime: str, size: int
) -> ClipInputs:
    """What `bench_job` and `scripts/bench_clip_device.py` animate: placeholder hashes and
    consent (nothing they make is stored)."""
    return ClipInputs(
        portrait_path=portrait_path,
        portrait_sha256="0" * 64,
        portrait_mime=portrait_mime,
        audio_path=audio_path,
        audio_sha256="0" * 64,
        audio_mime=audio_mime,
        idle_seconds=None,
        seed=0,
        size=size,
        content_id="0123456789abcdef",
        consent={
            "consent_id": "benchmark",
            "scope": "animate",
            "assurance": "rights_holder_attestation",
            "content_hash": "0" * 64,
        },
    )


class GenerationClock:
    """A progress callback that notes when generation began (``started_at``, perf_counter)."""

    def __init__(self) -> None:
        self.started_at: float | None = None

    def __call__(self, stage, fraction: float) -> None:
        if self.started_at is None and str(stage) == "generate":
            self.started_at = time.perf_counter()


@dataclass
class MadeClip:
    video_path: Path
    poster_path: Path
    video_sha256: str
    poster_sha256: str
    fingerprint: str  # perceptual fingerprint, hex (provenance.fingerprint)
    manifest_store: bytes  # the video's signed C2PA manifest store, for the resolution API
    manifest: dict[str, Any]
    duration_seconds: float
    width: int
    height: int
    device: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # The poster's own signed store and its active manifest's identifier (the poster is signed
    # apart from the video), so the resolution API serves the poster's credentials too.
    poster_manifest_store: bytes = field(default=b"", repr=False)
    poster_manifest_label: str = ""


ProgressFn = Callable[[str, float], None]


def clip_make(
    inputs: ClipInputs,
    *,
    workdir: Path,
    signing,
    trust,
    watermark_key: bytes,
    generator_name: str,
    soft_binding_alg: str | None = None,
    device: str | None = None,
    progress: ProgressFn,
    should_stop: Callable[[], bool],
    animator=None,
) -> MadeClip:
    """Animate, watermark every frame, encode, then sign the MP4 and a poster image.

    The frames are watermarked on the generator's device as they are made, and the poster and
    the fingerprint are taken from those same frames, so the encoded clip is read only by the
    signer (which hashes it) and once for the manifest read-back. ``animator`` is this worker
    process's long-lived Animator (``worker_animator()`` by default). ``soft_binding_alg`` is
    the configured soft-binding algorithm name (``credentials.soft_binding_alg()``; the
    library's default when None).
    """
    from animation import __version__ as animation_version
    from provenance.binding import binding_value
    from provenance.jumbf import active_manifest_label
    from provenance.manifest import (
        ClaimInfo,
        ConsentAssertion,
        Ingredient,
        WatermarkBinding,
        read_manifest,
        sign_media,
    )
    from provenance.watermark import ALG

    animator = animator or worker_animator(device)
    hook = ProvenanceHook(
        int(inputs.content_id, 16), key=watermark_key, device=animator.device,
        should_stop=should_stop,
    )  # fmt: skip
    raw = workdir / "raw.mp4"
    result = animator.animate(
        inputs.portrait_path,
        inputs.audio_path,
        raw,
        seed=inputs.seed,
        size=inputs.size,
        idle_seconds=inputs.idle_seconds,
        progress=progress,
        frame_hook=hook,
    )
    stage_seconds = {s: v for s, v in result.timings.items() if s != "hook"}
    stage_seconds.update(hook.seconds)
    if should_stop():
        raise JobStopped()

    progress("sign", 0.0)
    started = time.perf_counter()
    poster_raw = workdir / "poster-raw.png"
    Image.fromarray(hook.poster).save(poster_raw, format="PNG", compress_level=1)
    ingredients = [Ingredient("portrait", inputs.portrait_sha256, inputs.portrait_mime)]
    if inputs.audio_path is not None:
        ingredients.append(Ingredient("audio", inputs.audio_sha256 or "", inputs.audio_mime or ""))
    claim = ClaimInfo(
        generator_name=generator_name,
        generator_version=animation_version,
        model_versions=dict(result.model_versions),
        ingredients=ingredients,
        consent=ConsentAssertion(**inputs.consent),
        watermark=WatermarkBinding(
            alg=soft_binding_alg or ALG, value=binding_value(inputs.content_id)
        ),
        title=f"AI-generated talking portrait {inputs.content_id}",
    )
    video = sign_media(raw, workdir / "clip.mp4", claim=claim, signing=signing)
    poster = sign_media(poster_raw, workdir / "poster.png", claim=claim, signing=signing)
    manifest = read_manifest(video.path, trust).as_dict()
    stage_seconds["sign"] = time.perf_counter() - started
    progress("sign", 1.0)
    return MadeClip(
        video_path=video.path,
        poster_path=poster.path,
        video_sha256=video.sha256,
        poster_sha256=poster.sha256,
        fingerprint=hook.fingerprint().to_hex(),
        manifest_store=video.manifest_store,
        manifest=manifest,
        duration_seconds=result.duration_s,
        width=result.width,
        height=result.height,
        device=result.device,
        stage_seconds=stage_seconds,
        poster_manifest_store=poster.manifest_store,
        poster_manifest_label=active_manifest_label(poster.manifest_store) or "",
    )


class ProvenanceHook:
    """The pipeline's frame hook: per chunk of frames (a tensor on the generator's device),
    stop if the job was cancelled, watermark, keep the first frame as the poster, and add the
    chunk to the clip's fingerprint. ``seconds`` holds the time spent watermarking and
    fingerprinting."""

    def __init__(self, payload: int, *, key: bytes, device, should_stop: Callable[[], bool]):
        from provenance.watermark import Watermarker

        self.watermarker = Watermarker(payload, key=key, device=device)
        self.should_stop = should_stop
        self.poster = None  # (H, W, 3) uint8, the first marked frame
        self.seconds = {"watermark": 0.0, "fingerprint": 0.0}
        self._fingerprinter = None

    def begin(self, total_frames: int) -> None:
        """Called by the Animator before the first chunk."""
        from provenance.fingerprint import FrameFingerprinter

        self._fingerprinter = FrameFingerprinter(total_frames)

    def __call__(self, frames, start_index: int):
        if self.should_stop():
            raise JobStopped()
        started = time.perf_counter()
        marked = self.watermarker.embed_tensor(frames, in_place=True)
        marked_at = time.perf_counter()
        if start_index == 0:
            self.poster = marked[0].cpu().numpy()
        self._fingerprinter.add(marked)
        self.seconds["watermark"] += marked_at - started
        self.seconds["fingerprint"] += time.perf_counter() - marked_at
        return marked

    def fingerprint(self):
        started = time.perf_counter()
        result = self._fingerprinter.result()
        self.seconds["fingerprint"] += time.perf_counter() - started
        return result


@functools.cache
def worker_animator(device: str | None = None):
    """This process's Animator: built once, then every job reuses its models (warm)."""
    from animation import AnimationConfig, Animator

    return Animator(AnimationConfig(device=device))
