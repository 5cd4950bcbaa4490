"""Composes the two libraries into one clip: animation yields frames, provenance watermarks them
through animation's frame hook, animation encodes, provenance signs video and poster.

No database here: the runner passes plain values in and stores what comes out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
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


ProgressFn = Callable[[str, float], None]


def clip_make(
    inputs: ClipInputs,
    *,
    workdir: Path,
    signing,
    trust,
    watermark_key: bytes,
    generator_name: str,
    device: str | None,
    progress: ProgressFn,
    should_stop: Callable[[], bool],
) -> MadeClip:
    """Animate, watermark every frame, encode, then sign the MP4 and a poster image."""
    from animation import __version__ as animation_version
    from animation import animate
    from provenance.binding import binding_value
    from provenance.manifest import (
        ClaimInfo,
        ConsentAssertion,
        Ingredient,
        WatermarkBinding,
        read_manifest,
        sign_media,
    )
    from provenance.watermark import ALG, Watermarker

    stage_seconds: dict[str, float] = {}
    watermarker = Watermarker(int(inputs.content_id, 16), key=watermark_key, device=device)

    def frame_hook(frames, start_index):  # animation times this stage as "hook"
        if should_stop():
            raise JobStopped()
        return watermarker(frames, start_index)

    raw = workdir / "raw.mp4"
    result = animate(
        inputs.portrait_path,
        inputs.audio_path,
        raw,
        seed=inputs.seed,
        size=inputs.size,
        device=device,
        idle_seconds=inputs.idle_seconds,
        progress=progress,
        frame_hook=frame_hook,
    )
    for stage, seconds in result.timings.items():
        stage_seconds["watermark" if stage == "hook" else stage] = seconds
    if should_stop():
        raise JobStopped()

    progress("sign", 0.0)
    started = time.perf_counter()
    poster_raw = workdir / "poster-raw.png"
    _first_frame(raw, poster_raw)
    ingredients = [Ingredient("portrait", inputs.portrait_sha256, inputs.portrait_mime)]
    if inputs.audio_path is not None:
        ingredients.append(Ingredient("audio", inputs.audio_sha256 or "", inputs.audio_mime or ""))
    claim = ClaimInfo(
        generator_name=generator_name,
        generator_version=animation_version,
        model_versions=dict(result.model_versions),
        ingredients=ingredients,
        consent=ConsentAssertion(**inputs.consent),
        watermark=WatermarkBinding(alg=ALG, value=binding_value(inputs.content_id)),
        title=f"AI-generated talking portrait {inputs.content_id}",
    )
    video = sign_media(raw, workdir / "clip.mp4", claim=claim, signing=signing)
    poster = sign_media(poster_raw, workdir / "poster.png", claim=claim, signing=signing)
    manifest = read_manifest(video.path, trust).as_dict()
    stage_seconds["sign"] = time.perf_counter() - started
    progress("sign", 1.0)

    started = time.perf_counter()
    fingerprint = _fingerprint(video.path)
    stage_seconds["fingerprint"] = time.perf_counter() - started
    return MadeClip(
        video_path=video.path,
        poster_path=poster.path,
        video_sha256=video.sha256,
        poster_sha256=poster.sha256,
        fingerprint=fingerprint,
        manifest_store=video.manifest_store,
        manifest=manifest,
        duration_seconds=result.duration_s,
        width=result.width,
        height=result.height,
        device=result.device,
        stage_seconds=stage_seconds,
    )


def _first_frame(video: Path, out: Path) -> None:
    with av.open(str(video)) as container:
        frame = next(container.decode(video=0))
        Image.fromarray(frame.to_ndarray(format="rgb24")).save(out, format="PNG")


def _fingerprint(video: Path) -> str:
    from provenance.fingerprint import fingerprint

    return fingerprint(video).to_hex()
