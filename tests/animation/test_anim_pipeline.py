"""End to end: animate() writes a playable MP4 whose mouth follows the speech."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from animation import PIPELINE_STAGES, AnimationInputError, EmptyAudioError, Stage, animate
from animation import topology as topo
from animation.audio import decode_audio
from animation.landmarks import FaceLandmarker


def _capture():
    frames: list[np.ndarray] = []

    def hook(chunk: torch.Tensor, start: int) -> torch.Tensor:
        assert isinstance(chunk, torch.Tensor) and chunk.dtype == torch.uint8
        assert start == sum(len(f) for f in frames)
        frames.append(chunk.cpu().numpy().copy())
        return chunk

    return frames, hook


@pytest.fixture(scope="module")
def spoken(portraits, short_speech, tmp_path_factory):
    """One clip at 256² with its frames captured through the frame hook."""
    out = tmp_path_factory.mktemp("clip") / "clip.mp4"
    frames, hook = _capture()
    stages = []
    result = animate(portraits["color"], short_speech, out, seed=7, size=256, frame_hook=hook,
                     progress=lambda stage, fraction: stages.append((stage, fraction)))  # fmt: skip
    return result, np.concatenate(frames), stages


def test_mp4_has_expected_frames_fps_and_audio(spoken, video_decoder):
    result, frames, stages = spoken
    decoded, fps, n_audio, audio_s = video_decoder(result.output_path)
    assert decoded.shape == (result.frame_count, 256, 256, 3) == frames.shape
    assert fps == 25.0 and n_audio == 1
    assert abs(audio_s - result.duration_s) < 0.05  # audio trimmed/padded to the video
    assert result.landmark_count == 478 and result.face_count == 1
    assert "landmarks=mediapipe-0.10.21" in result.model_versions_string
    assert stages[-1] == (Stage.ENCODE, 1.0) and any(s == Stage.GENERATE for s, _ in stages)
    assert set(result.timings) >= {"landmarks", "audio", "motion", "rig", "generate", "encode"}
    assert result.device == "cpu"
    # The encoded video is close to what was generated (H.264 at crf 18).
    assert np.abs(decoded.astype(int) - frames.astype(int)).mean() < 3.0


def test_first_frame_is_the_portrait_and_background_is_still(spoken, portraits):
    from animation.portrait import load_portrait, resize_rgb

    result, frames, _ = spoken
    source = resize_rgb(load_portrait(portraits["color"]), 256, 256)
    # The clip opens on the portrait with its mouth at the rig's rest (the astronaut's smile
    # relaxed, lips closed): beyond an inter-ocular distance from the lips it is the portrait.
    points = result.source_landmarks
    iod = np.linalg.norm(points[topo.LEFT_IRIS_CENTER, :2] - points[topo.RIGHT_IRIS_CENTER, :2])
    lips = points[list(topo.LIPS_ALL), :2]
    yy, xx = np.mgrid[:256, :256]
    to_lips = np.hypot(xx[..., None] - lips[:, 0], yy[..., None] - lips[:, 1]).min(-1)
    away = to_lips > iod
    assert np.abs(frames[0].astype(int) - source.astype(int))[away].mean() < 0.5
    # Far from the face (more than 1.5 face heights from the nose: beyond the hair, which moves
    # with the head, and the band of background that gives way around it) nothing changes.
    nose = result.source_landmarks[topo.NOSE_TIP, :2]
    yy, xx = np.mgrid[:256, :256]
    far = np.hypot(xx - nose[0], yy - nose[1]) > 1.5 * result.face_height_px
    assert far.mean() > 0.3
    assert np.array_equal(frames[:, far], np.broadcast_to(source[far], frames[:, far].shape))
    # ... while the face does move.
    assert np.abs(frames.astype(int) - source.astype(int)).max(axis=(1, 2, 3)).max() > 40


def test_progress_is_one_monotonic_fraction_over_the_stages(spoken):
    _, _, stages = spoken
    overall = [fraction for _, fraction in stages]
    assert overall[0] == 0.0 and overall[-1] == 1.0
    assert all(b >= a for a, b in zip(overall, overall[1:], strict=False))
    assert all(isinstance(stage, Stage) for stage, _ in stages)
    # Every stage reports, in the pipeline's order; generation moves the bar chunk by chunk.
    order = list(dict.fromkeys(stage for stage, _ in stages))
    assert order == [item.stage for item in PIPELINE_STAGES]
    during = [f for s, f in stages if s == Stage.GENERATE]
    assert len(set(during)) > 2 and during[-1] < 1.0


def test_pipeline_stages_are_typed_and_weigh_one():
    assert [item.stage for item in PIPELINE_STAGES] == list(Stage)
    assert all(item.weight > 0 for item in PIPELINE_STAGES)
    assert abs(sum(item.weight for item in PIPELINE_STAGES) - 1.0) < 1e-9
    assert Stage.GENERATE == "generate"  # a StrEnum: plain strings compare equal


def _frame_loudness_db(path, n_frames: int) -> np.ndarray:
    """Per video frame RMS level of an audio file, dB, floored 40 dB below its peak."""
    samples = decode_audio(path, 16_000)
    edges = np.linspace(0, len(samples), n_frames + 1).astype(int)
    spans = zip(edges[:-1], edges[1:], strict=True)
    rms = np.array([np.sqrt(np.mean(samples[a:b] ** 2) + 1e-12) for a, b in spans])
    level = 20 * np.log10(rms)
    return np.maximum(level, level.max() - 40)


def test_mouth_opening_follows_the_speech(spoken, short_speech):
    result, frames, _ = spoken
    upper, lower = list(topo.LIPS_INNER_UPPER[3:8]), list(topo.LIPS_INNER_LOWER[3:8])
    # Measure the inner-lip gap on the generated frames with the landmark detector ...
    with FaceLandmarker() as finder:
        points = np.stack([finder.find(frame).points for frame in frames])
    gaps = points[:, lower, 1].mean(1) - points[:, upper, 1].mean(1)
    # ... against the gap the rig asked for (jaw, rounding and closure together).
    targets = result.target_landmarks
    intended = targets[:, lower, 1].mean(1) - targets[:, upper, 1].mean(1)
    assert np.corrcoef(gaps, intended)[0, 1] > 0.85
    assert gaps.max() - gaps.min() > 0.15 * result.face_height_px * 0.45
    # The jaw opens with the voice: louder frames, wider jaw.
    loudness = _frame_loudness_db(short_speech, result.frame_count)
    assert np.corrcoef(result.motion.mouth[:, 0], loudness)[0, 1] > 0.5


def test_open_mouth_has_a_dark_interior_and_teeth(spoken):
    import cv2

    result, frames, _ = spoken
    widest = int(np.argmax(result.motion.mouth[:, 0]))
    target = result.target_landmarks[widest]
    # Inside the inner-lip contour of the widest frame: no stretched lip skin, but a dark
    # cavity (towards the corners, where the teeth end) and lit teeth.
    contour = np.concatenate([target[list(topo.LIPS_INNER_UPPER)],
                              target[list(topo.LIPS_INNER_LOWER[::-1])]])  # fmt: skip
    inside = np.zeros(frames.shape[1:3], np.uint8)
    cv2.fillPoly(inside, [np.round(contour).astype(np.int32)], 1)
    assert inside.sum() > 20
    luma = frames[widest][inside > 0].astype(float) @ [0.299, 0.587, 0.114]
    assert luma.min() < 70  # cavity
    assert luma.max() > 150  # teeth


def test_same_seed_same_frames_other_seed_other_motion(portraits, short_speech, tmp_path, spoken):
    result, frames, _ = spoken
    again, hook = _capture()
    animate(portraits["color"], short_speech, tmp_path / "a.mp4", seed=7, size=256, frame_hook=hook)
    assert np.array_equal(np.concatenate(again), frames)
    other, hook = _capture()
    r2 = animate(portraits["color"], short_speech, tmp_path / "b.mp4", seed=8, size=256,
                 frame_hook=hook)  # fmt: skip
    assert not np.array_equal(np.concatenate(other), frames)
    assert np.abs(r2.motion.pose_deg - result.motion.pose_deg).max() > 0.3
    np.testing.assert_array_equal(r2.motion.mouth, result.motion.mouth)  # same audio, same mouth


def test_frame_hook_output_is_what_gets_encoded(portraits, short_speech, tmp_path, video_decoder):
    def stamp(chunk: torch.Tensor, start: int) -> torch.Tensor:
        chunk = chunk.clone()
        chunk[:, :16, :16] = torch.tensor((255, 0, 255), dtype=torch.uint8, device=chunk.device)
        return chunk

    result = animate(portraits["color"], short_speech, tmp_path / "w.mp4", size=256,
                     frame_hook=stamp)  # fmt: skip
    decoded, *_ = video_decoder(result.output_path)
    corner = decoded[:, 2:14, 2:14].reshape(-1, 3).mean(0)
    assert corner[0] > 200 and corner[1] < 60 and corner[2] > 200


@pytest.mark.parametrize(
    ("bad_hook", "message"),
    [
        (lambda chunk, start: chunk.cpu().numpy(), "must return a torch.Tensor, not ndarray"),
        (lambda chunk, start: chunk.float(), "torch.float32"),
        (lambda chunk, start: chunk[:, :-2], "shape, dtype and device"),
        (lambda chunk, start: chunk.to("meta"), "on meta"),
    ],
)
def test_frame_hook_return_is_validated(portraits, short_speech, tmp_path, bad_hook, message):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TypeError, match=message):
        animate(portraits["color"], short_speech, out / "h.mp4", size=256, frame_hook=bad_hook)
    assert list(out.iterdir()) == []  # the partial MP4 is gone


def test_silence_keeps_the_mouth_still(portraits, silence_wav, tmp_path):
    result = animate(portraits["color"], silence_wav, tmp_path / "s.mp4", size=256)
    assert result.frame_count == 25
    assert np.abs(result.motion.mouth).max() == 0.0


def test_idle_mode_blinks_and_smiles(portraits, tmp_path, video_decoder):
    frames, hook = _capture()
    result = animate(portraits["sepia"], None, tmp_path / "idle.mp4", size=512, idle_seconds=6,
                     seed=2, frame_hook=hook)  # fmt: skip
    assert result.mode == "idle" and result.frame_count == 150
    assert result.motion.blink.max() > 0.9 and result.motion.smile.max() > 0.2
    assert np.abs(result.motion.gaze).max() > 0.3
    _, _, n_audio, _ = video_decoder(result.output_path)
    assert n_audio == 1  # a silent track keeps every clip's streams the same
    # The detector sees the lids shut at the deepest blink, and the brows stay where they were.
    frames = np.concatenate(frames)
    shut = int(np.argmax(result.motion.blink))
    with FaceLandmarker() as finder:
        seen = {i: finder.find(frames[i]).points[:, :2] for i in (0, shut)}
    iod = np.linalg.norm(seen[0][topo.LEFT_IRIS_CENTER] - seen[0][topo.RIGHT_IRIS_CENTER])

    eyes = (
        (topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER),
        (topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER),
    )

    def opening(points):
        return np.mean([points[lower[4], 1] - points[upper[4], 1] for upper, lower in eyes])

    assert abs(opening(seen[shut])) < 0.5 * abs(opening(seen[0]))
    brows = list(topo.RIGHT_EYEBROW + topo.LEFT_EYEBROW)
    brow_error = np.linalg.norm(seen[shut][brows] - result.target_landmarks[shut][brows], axis=1)
    assert brow_error.mean() < 0.05 * iod


def test_driving_video_transfers_the_mouth(spoken, portraits, tmp_path):
    driver, _, _ = spoken
    result = animate(portraits["gray"], None, tmp_path / "d.mp4", size=256,
                     driving=driver.output_path)  # fmt: skip
    assert result.mode == "driving" and result.frame_count == driver.frame_count
    gap_driver = driver.target_landmarks[:, 14, 1] - driver.target_landmarks[:, 13, 1]
    gap_result = result.target_landmarks[:, 14, 1] - result.target_landmarks[:, 13, 1]
    assert np.corrcoef(gap_driver, gap_result)[0, 1] > 0.8
    # The same (cached) Animator tracks the next clip from scratch: nothing carries over.
    again = animate(portraits["gray"], None, tmp_path / "d2.mp4", size=256,
                    driving=driver.output_path)  # fmt: skip
    np.testing.assert_array_equal(again.target_landmarks, result.target_landmarks)


def test_input_errors_leave_nothing_behind(portraits, empty_wav, short_speech, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(EmptyAudioError, match="empty"):
        animate(portraits["color"], empty_wav, out / "e.mp4", size=256)
    with pytest.raises(AnimationInputError, match="No face"):
        animate(portraits["no_face"], short_speech, out / "n.mp4", size=256)
    with pytest.raises(AnimationInputError, match="Give an audio file"):
        animate(portraits["color"], None, out / "x.mp4")
    assert list(out.iterdir()) == []


def test_cli_writes_a_clip_and_reports_errors(portraits, short_speech, tmp_path):
    out = tmp_path / "cli.mp4"
    done = subprocess.run(
        [sys.executable, "-m", "animation", str(portraits["small"]), str(short_speech), "-o",
         str(out), "--size", "256", "--seed", "3", "--predictor", "signal", "--quiet"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["frames"] > 0 and out.stat().st_size > 1000
    assert "audio_to_motion=signal-1" in summary["model_versions"]
    bad = subprocess.run(
        [sys.executable, "-m", "animation", str(portraits["no_face"]), str(short_speech), "-o",
         str(tmp_path / "bad.mp4"), "--quiet"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "No face was found" in bad.stderr


@pytest.mark.slow
def test_long_audio_streams_in_chunks(portraits, tmp_path, wav_writer):
    """Two minutes of speech-like audio: memory stays flat (chunks) and the clip is complete."""
    import resource

    rate = 16_000
    t = np.arange(120 * rate) / rate
    syllables = (np.sin(2 * np.pi * 4 * t) > 0) * (np.sin(2 * np.pi * 0.2 * t) > -0.6)
    wave = 0.3 * np.sin(2 * np.pi * 180 * t) * syllables
    path = tmp_path / "long.wav"
    wav_writer(path, wave, rate)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = animate(portraits["color"], path, tmp_path / "long.mp4", size=256)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.frame_count == 3000
    decoded_frames = 0
    import av

    with av.open(str(result.output_path)) as container:
        for _ in container.decode(video=0):
            decoded_frames += 1
    assert decoded_frames == 3000
    assert grown_mb < 600
