"""The pipeline's stages, their share of the work, and the one progress fraction they make.

`progress(stage, overall)` is called with the stage now running and `overall`, the fraction
(0..1) of the whole pipeline done: it never goes backwards and the last call is exactly 1.0.
Weights are each stage's typical share of a job's wall time (10 s of speech at 512² on CPU);
generation (chunks generated, hooked and encoded in turn) dominates, so the bar moves with it.
Pure Python: importing this module imports no torch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    LOAD = "load"  # decode the portrait, fit the output size
    LANDMARKS = "landmarks"  # find the face (and track a driving video)
    AUDIO = "audio"  # decode the audio once, log-mel features
    MOTION = "motion"  # audio-to-motion, behaviour or driving-clip motion
    RIG = "rig"  # per-frame target landmarks
    GENERATE = "generate"  # chunk by chunk: generate, frame hook, encode
    ENCODE = "encode"  # flush the encoder, finish the MP4


@dataclass(frozen=True)
class StageWeight:
    stage: Stage
    weight: float  # share of the whole pipeline, 0..1


PIPELINE_STAGES: tuple[StageWeight, ...] = (
    StageWeight(Stage.LOAD, 0.01),
    StageWeight(Stage.LANDMARKS, 0.04),
    StageWeight(Stage.AUDIO, 0.02),
    StageWeight(Stage.MOTION, 0.02),
    StageWeight(Stage.RIG, 0.01),
    StageWeight(Stage.GENERATE, 0.88),
    StageWeight(Stage.ENCODE, 0.02),
)

ProgressCallback = Callable[[Stage, float], None]


class StageProgress:
    """Turns "stage S is X% done" into calls of `progress(stage, overall)`, and times stages.

    `begin(stage)` reports the stage's start; `advance(fraction)` a fraction of the current
    stage; `finish()` reports 1.0. `timings` holds the wall seconds spent in each stage, plus
    any sub-steps timed with `lap(name)` inside a stage (e.g. the frame hook).
    """

    def __init__(
        self,
        progress: ProgressCallback | None,
        stages: tuple[StageWeight, ...] = PIPELINE_STAGES,
    ) -> None:
        self._progress = progress
        self._stages = stages
        self._starts: dict[Stage, float] = {}
        self._weights: dict[Stage, float] = {}
        total = 0.0
        for item in stages:
            self._starts[item.stage] = total
            self._weights[item.stage] = item.weight
            total += item.weight
        self._total = total
        self._stage: Stage | None = None
        self._overall = 0.0
        self._clock = time.perf_counter()
        self._lap_name: str | None = None
        self.timings: dict[str, float] = {}

    @property
    def overall(self) -> float:
        return self._overall

    def begin(self, stage: Stage) -> None:
        self.lap(stage.value)
        self._stage = stage
        self._report(self._starts[stage])

    def advance(self, fraction: float) -> None:
        """The current stage is `fraction` (0..1) done."""
        if self._stage is None:
            raise RuntimeError("advance() before begin()")
        fraction = min(1.0, max(0.0, fraction))
        self._report(self._starts[self._stage] + fraction * self._weights[self._stage])

    def finish(self) -> None:
        self.lap(None)
        self._overall = 1.0
        if self._progress is not None:
            self._progress(self._stage or self._stages[-1].stage, 1.0)

    def lap(self, name: str | None) -> None:
        """Charge the time since the last lap to the running lap, then start timing `name`."""
        now = time.perf_counter()
        if self._lap_name is not None:
            self.timings[self._lap_name] = self.timings.get(self._lap_name, 0.0)
            self.timings[self._lap_name] += now - self._clock
        self._lap_name, self._clock = name, now

    def _report(self, position: float) -> None:
        overall = min(1.0, position / self._total) if self._total > 0 else 0.0
        self._overall = max(self._overall, overall)
        if self._progress is not None:
            self._progress(self._stage, self._overall)
