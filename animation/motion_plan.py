"""Motion planning: what drives each frame, from speech, from nothing (idle) or from a driving clip.

Each planner returns a `MotionPlan`: the per-frame drivers the rig reads (`MotionTrack`) and,
for a driving clip, the expression offsets it carries. Every clip opens on the still portrait
with its mouth at the rig's rest (lips meeting, no smile), and the mouth eases in over the
first frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import AudioFeatures
from .behaviour import Behaviour, BehaviourConfig, sample_behaviour
from .motion import JAW_OPEN, AudioToMotion, open_for_vowels, speech_activity
from .result import MotionTrack

EASE_IN_S = 0.12  # the mouth reaches its planned opening over this time


@dataclass
class MotionPlan:
    track: MotionTrack  # (T, ...) drivers of every frame
    expression: np.ndarray | None  # (T, 478, 3) landmark offsets in IOD units (driving only)


def plan_speech(
    features: AudioFeatures,
    predictor: AudioToMotion,
    seed: int,
    config: BehaviourConfig | None = None,
) -> MotionPlan:
    """Mouth from the audio (lips never shut on a full vowel), head motion and blinks livelier
    while speaking."""
    mouth = open_for_vowels(predictor.predict(features).float().cpu().numpy(), features)
    behaviour = sample_behaviour(
        features.n_frames, features.fps, seed, speech_activity=speech_activity(features),
        speech_level=mouth[:, JAW_OPEN], config=config,
    )  # fmt: skip
    return MotionPlan(_track(mouth, behaviour, features.fps), None)


def plan_idle(
    n_frames: int, fps: float, seed: int, config: BehaviourConfig | None = None
) -> MotionPlan:
    """No speech: blinks, a glance, gentle head motion, a faint smile."""
    behaviour = sample_behaviour(n_frames, fps, seed, idle=True, config=config)
    return MotionPlan(_track(np.zeros((n_frames, 4), np.float32), behaviour, fps), None)


def plan_driving(landmarks: list[np.ndarray | None], fps: float) -> MotionPlan:
    """Head pose, sway and expression of a tracked driving clip (its lids included)."""
    from .driving import retarget

    motion = retarget(landmarks)
    n = len(landmarks)
    behaviour = Behaviour(motion.pose_deg, motion.translation, np.zeros(n), np.zeros((n, 2)),
                          np.zeros(n))  # fmt: skip
    plan = _track(np.zeros((n, 4), np.float32), behaviour, fps)
    return MotionPlan(plan, motion.expression.astype(np.float32))


def _track(mouth: np.ndarray, behaviour: Behaviour, fps: float) -> MotionTrack:
    ease_n = min(len(mouth), max(2, int(round(EASE_IN_S * fps))))
    ramp = np.linspace(0.0, 1.0, ease_n) ** 2
    mouth = mouth.copy()
    mouth[:ease_n] *= ramp[:, None].astype(mouth.dtype)
    return MotionTrack(mouth, behaviour.pose_deg, behaviour.translation, behaviour.blink,
                       behaviour.gaze, behaviour.smile)  # fmt: skip
