"""The long-lived Animator: built once, reused job after job, with nothing leaking between jobs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from animation import AnimationConfig, Animator, mouth_model
from animation.audio import ANALYSIS_RATE


def _frames_of(animator: Animator, portrait, audio, path, **kwargs):
    frames: list[np.ndarray] = []

    def keep(chunk: torch.Tensor, start: int) -> torch.Tensor:
        assert chunk.device == animator.device
        frames.append(chunk.cpu().numpy().copy())
        return chunk

    result = animator.animate(portrait, audio, path, frame_hook=keep, **kwargs)
    return result, np.concatenate(frames)


def test_warm_up_loads_once_and_jobs_reuse_it(portraits, short_speech, tmp_path, monkeypatch):
    loads = []
    real_load = mouth_model.load_checkpoint
    monkeypatch.setattr(mouth_model, "load_checkpoint",
                        lambda *a, **k: loads.append(a) or real_load(*a, **k))  # fmt: skip
    animator = Animator(AnimationConfig(device="cpu"))
    assert loads == []  # building costs nothing; warm_up loads
    assert animator.warm_up() is animator
    graphs = (animator.landmarker._detector, animator.landmarker._mesh)
    assert None not in graphs and len(loads) == 1
    for name in ("color", "sepia"):
        result = animator.animate(portraits[name], short_speech, tmp_path / f"{name}.mp4",
                                  size=256)  # fmt: skip
        assert result.model_versions["audio_to_motion"] == "learned-mouth_v2"
        assert result.timings["generate"] > 0
    assert (animator.landmarker._detector, animator.landmarker._mesh) == graphs
    assert len(loads) == 1  # weights loaded once, in warm_up
    animator.close()


def test_a_reused_animator_gives_what_a_fresh_one_gives(portraits, short_speech, tmp_path):
    """Two portraits through one Animator: the second clip is bit for bit a fresh Animator's."""
    shared = Animator(AnimationConfig(device="cpu"))
    first, first_frames = _frames_of(shared, portraits["color"], short_speech,
                                     tmp_path / "a.mp4", size=256, seed=3)  # fmt: skip
    second, second_frames = _frames_of(shared, portraits["painted"], short_speech,
                                       tmp_path / "b.mp4", size=256, seed=3)  # fmt: skip
    with Animator(AnimationConfig(device="cpu")) as fresh:
        alone, alone_frames = _frames_of(fresh, portraits["painted"], short_speech,
                                         tmp_path / "c.mp4", size=256, seed=3)  # fmt: skip
    assert not np.array_equal(first_frames[0], second_frames[0])  # another portrait
    np.testing.assert_array_equal(second.source_landmarks, alone.source_landmarks)
    np.testing.assert_array_equal(second.motion.mouth, alone.motion.mouth)
    np.testing.assert_array_equal(second_frames, alone_frames)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fps": 0}, "fps must be"),
        ({"chunk_frames": 0}, "chunk_frames"),
        ({"dtype": torch.float16}, "dtype"),
    ],
)
def test_config_is_checked(changes, message):
    with pytest.raises(ValueError, match=message):
        AnimationConfig(**changes)


def test_audio_rate_must_derive_the_analysis_rate():
    from animation.video import EncoderConfig

    with pytest.raises(ValueError, match=str(ANALYSIS_RATE)):
        AnimationConfig(encoder=EncoderConfig(audio_rate=44_100))


def test_double_precision_rig_gives_the_same_clip(portraits, tmp_path):
    """dtype is the rig's: float64 targets land within a hair of float32's."""
    results = []
    for dtype in (torch.float32, torch.float64):
        with Animator(AnimationConfig(device="cpu", dtype=dtype)) as animator:
            results.append(animator.animate(portraits["color"], None, tmp_path / "i.mp4",
                                            size=256, idle_seconds=1, seed=4))  # fmt: skip
    assert np.abs(results[0].target_landmarks - results[1].target_landmarks).max() < 1e-3
