"""`animate(portrait, audio, output_path, ...)`: one call, for scripts, tests and the CLI.

A thin convenience over `Animator` (animator.py), which a worker should build once and keep.
`animate` reuses one cached Animator per configuration, so repeated calls keep the landmark
graphs and the predictor's weights loaded; a predictor passed as an instance gets an Animator
of its own for that call.
"""

from __future__ import annotations

import os
from functools import lru_cache

import torch

from .animator import MIN_FACE_HEIGHT_PX, Animator
from .behaviour import BehaviourConfig
from .config import AnimationConfig
from .generator import GeneratorConfig
from .motion import DEFAULT_PREDICTOR, AudioToMotion
from .portrait import PortraitSource
from .result import AnimationResult, MotionTrack
from .rig import RigConfig
from .stages import ProgressCallback
from .streaming import FrameHook
from .versions import __version__
from .video import EncoderConfig


@lru_cache(maxsize=4)
def shared_animator(config: AnimationConfig) -> Animator:
    """The Animator `animate` uses for `config` (built on first use, then kept)."""
    return Animator(config)


def animate(
    portrait: PortraitSource,
    audio: str | os.PathLike | None,
    output_path: str | os.PathLike,
    *,
    seed: int = 0,
    size: int = 512,
    fps: float = 25.0,
    device: str | torch.device | None = None,
    driving: str | os.PathLike | None = None,
    idle_seconds: float | None = None,
    face_index: int | None = None,
    progress: ProgressCallback | None = None,
    frame_hook: FrameHook | None = None,
    predictor: AudioToMotion | str | None = None,
    chunk_frames: int = 25,
    encoder: EncoderConfig | None = None,
    generator_config: GeneratorConfig | None = None,
    rig_config: RigConfig | None = None,
    behaviour_config: BehaviourConfig | None = None,
) -> AnimationResult:
    """Animate `portrait` speaking `audio` (or following `driving`, or idle) into an MP4.

    The per-job arguments are `Animator.animate`'s (see there); the others configure the
    Animator (`AnimationConfig`). `predictor`: None or "learned" (the shipped learned model),
    "signal" (the signal-based one) or an AudioToMotion instance.
    """
    config = AnimationConfig(
        device=device, fps=fps, chunk_frames=chunk_frames,
        predictor=DEFAULT_PREDICTOR if predictor is None else predictor,
        encoder=encoder or EncoderConfig(), generator=generator_config or GeneratorConfig(),
        rig=rig_config or RigConfig(), behaviour=behaviour_config or BehaviourConfig(),
    )  # fmt: skip
    job = {
        "seed": seed, "size": size, "driving": driving, "idle_seconds": idle_seconds,
        "face_index": face_index, "progress": progress, "frame_hook": frame_hook,
    }  # fmt: skip
    if isinstance(config.predictor, str):
        return shared_animator(config).animate(portrait, audio, output_path, **job)
    with Animator(config) as animator:
        return animator.animate(portrait, audio, output_path, **job)


__all__ = [
    "MIN_FACE_HEIGHT_PX", "AnimationResult", "MotionTrack", "__version__", "animate",
    "shared_animator",
]  # fmt: skip
