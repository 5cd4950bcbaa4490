"""`AnimationConfig`: what an `Animator` is built with and keeps for its life, and the device
it runs on. Per-job choices (portrait, audio, seed, size, ...) are `Animator.animate`'s."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .audio import ANALYSIS_RATE
from .behaviour import BehaviourConfig
from .generator import GeneratorConfig
from .landmarks import LandmarkConfig
from .motion import DEFAULT_PREDICTOR, AudioToMotion
from .rig import RigConfig
from .video import EncoderConfig

RIG_DTYPES = (torch.float32, torch.float64)


@dataclass(frozen=True)
class AnimationConfig:
    """Everything an Animator keeps for its life (per-job choices are `animate`'s arguments)."""

    device: str | torch.device | None = None  # None: "cuda" when available, else "cpu"
    dtype: torch.dtype = torch.float32  # motion and rig targets (the generator samples in fp32)
    fps: float = 25.0  # frames per second of every clip
    chunk_frames: int = 25  # frames generated, hooked and encoded at a time
    predictor: str | AudioToMotion = DEFAULT_PREDICTOR  # "learned", "signal" or an instance
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    rig: RigConfig = field(default_factory=RigConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    landmarks: LandmarkConfig = field(default_factory=LandmarkConfig)

    def __post_init__(self) -> None:
        if not 0 < self.fps <= 60:
            raise ValueError(f"fps must be in (0, 60], not {self.fps}")
        if self.chunk_frames < 1:
            raise ValueError(f"chunk_frames must be at least 1, not {self.chunk_frames}")
        if self.dtype not in RIG_DTYPES:
            raise ValueError(f"dtype must be torch.float32 or torch.float64, not {self.dtype}")
        if self.encoder.audio_rate % ANALYSIS_RATE:
            raise ValueError(f"encoder.audio_rate must be a multiple of {ANALYSIS_RATE} Hz")


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
