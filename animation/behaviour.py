"""Seeded stochastic behaviour: head motion, blinks, glances and a faint smile.

Everything comes from one `numpy.random.Generator(PCG64(seed))`, so the same seed gives the
same video on any machine, and another seed gives different motion. Head motion is band-limited
noise, livelier while speaking and softly limited to what a seated speaker does (about +-6 deg
yaw, +-4 deg pitch, +-3 deg roll), with a small nod on each stressed syllable (the strongest
syllable peaks of the mouth's opening). Blinks follow a gamma renewal process at a natural rate
(about 15 a minute), the first within 2.5 s so that every clip of 3 s or more blinks; each
closes the lids fully on at least one frame, with a fast close and a slower open. The track
starts from the portrait's own pose, so the first frame is the still portrait.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BehaviourConfig:
    yaw_deg: float = 1.8  # standard deviation of head turn at rest, degrees
    pitch_deg: float = 1.1  # standard deviation of nodding at rest, degrees
    roll_deg: float = 0.8  # standard deviation of head tilt at rest, degrees
    limit_deg: tuple[float, float, float] = (6.0, 4.0, 3.0)  # soft bounds of yaw, pitch, roll
    sway_iod: float = 0.02  # standard deviation of head translation, inter-ocular units
    speech_gain: float = 0.6  # extra amplitude while speaking (0.6 = 60 % livelier)
    motion_hz: float = 0.35  # typical frequency of head motion
    nod_deg: float = 1.5  # extra downward pitch on a stressed syllable
    nod_s: float = 0.4  # duration of a nod, down and back up
    nod_gap_s: float = 0.6  # stressed syllables at least this far apart
    nod_share: float = 0.35  # share of syllable peaks taken as stressed (the strongest)
    blink_per_minute: float = 14.0  # blink rate before double blinks (people: 10-20 in speech)
    blink_first_s: tuple[float, float] = (0.8, 2.5)  # when the first blink comes
    blink_min_gap_s: float = 1.2  # never two blinks closer than this (double blinks aside)
    blink_close_s: float = 0.09  # time for the lids to close
    blink_hold_s: float = 0.05  # time fully closed (a frame at 25 fps always sees it)
    blink_open_s: float = 0.18  # time to open again
    double_blink_chance: float = 0.1  # share of blinks followed by a second one
    ramp_in_s: float = 0.6  # motion eases in from the still portrait over this time
    glance_every_s: float = 5.0  # idle mode: mean time between glances
    smile_idle: float = 0.35  # idle mode: strength of the faint smile (0..1)


@dataclass
class Behaviour:
    """Per-frame behaviour track (T frames)."""

    pose_deg: np.ndarray  # (T, 3) yaw, pitch, roll in degrees
    translation: np.ndarray  # (T, 2) head translation in inter-ocular units (x right, y down)
    blink: np.ndarray  # (T,) 0 open .. 1 closed
    gaze: np.ndarray  # (T, 2) iris offset, -1..1 (x right, y down)
    smile: np.ndarray  # (T,) 0 .. 1


def sample_behaviour(
    n_frames: int,
    fps: float,
    seed: int,
    *,
    speech_activity: np.ndarray | None = None,
    speech_level: np.ndarray | None = None,
    idle: bool = False,
    config: BehaviourConfig | None = None,
) -> Behaviour:
    """Sample head pose, blinks, gaze and smile for `n_frames` frames.

    speech_activity (T,) 0..1 makes the head livelier while speaking; speech_level (T,) 0..1
    (jaw opening) adds small nods on syllable onsets. `idle` adds glances and a faint smile.
    """
    c = config or BehaviourConfig()
    rng = np.random.Generator(np.random.PCG64(seed))
    t = np.arange(n_frames) / fps
    activity = np.zeros(n_frames) if speech_activity is None else np.asarray(speech_activity)
    gain = 1.0 + c.speech_gain * activity
    ramp = _ease(np.clip(t / c.ramp_in_s, 0.0, 1.0)) if c.ramp_in_s > 0 else np.ones(n_frames)

    pose = np.stack(
        [_band_noise(rng, n_frames, fps, c.motion_hz) * c.yaw_deg,
         _band_noise(rng, n_frames, fps, c.motion_hz * 1.3) * c.pitch_deg,
         _band_noise(rng, n_frames, fps, c.motion_hz * 0.8) * c.roll_deg],
        axis=1,
    )  # fmt: skip
    pose *= gain[:, None]
    if speech_level is not None and c.nod_deg > 0:
        pose[:, 1] += c.nod_deg * _nods(rng, np.asarray(speech_level, np.float64), fps, c)
    translation = np.stack(
        [_band_noise(rng, n_frames, fps, c.motion_hz * 0.7),
         _band_noise(rng, n_frames, fps, c.motion_hz * 0.9) * 0.6],
        axis=1,
    ) * c.sway_iod * gain[:, None]  # fmt: skip
    limit = np.asarray(c.limit_deg, dtype=np.float64)
    pose = limit * np.tanh(pose / limit)  # soft bounds: smooth, never a spin
    pose *= ramp[:, None]
    translation *= ramp[:, None]
    pose -= pose[:1]
    translation -= translation[:1]

    blink = _blinks(rng, n_frames, fps, c)
    gaze = np.zeros((n_frames, 2))
    smile = np.zeros(n_frames)
    if idle:
        gaze = _glances(rng, n_frames, fps, c)
        smile = c.smile_idle * _ease(np.clip(t / 1.5, 0.0, 1.0))
        smile = smile * (1.0 + 0.25 * _band_noise(rng, n_frames, fps, 0.15))
        pose *= 0.8
    return Behaviour(pose, translation, blink, gaze, np.clip(smile, 0.0, 1.0))


def _band_noise(rng: np.random.Generator, n: int, fps: float, hz: float) -> np.ndarray:
    """Unit-variance noise whose spectrum is a Gaussian bump around `hz` (smooth, no drift)."""
    size = max(8, n)
    white = rng.standard_normal(size)
    freqs = np.fft.rfftfreq(size, d=1.0 / fps)
    shaping = np.exp(-0.5 * ((freqs - hz) / (0.6 * hz)) ** 2) + 0.4 * np.exp(
        -0.5 * (freqs / (0.5 * hz)) ** 2
    )
    shaping[0] = 0.0
    signal = np.fft.irfft(np.fft.rfft(white) * shaping, n=size)[:n]
    std = signal.std()
    return signal / std if std > 1e-9 else signal


def _nods(
    rng: np.random.Generator, level: np.ndarray, fps: float, c: BehaviourConfig
) -> np.ndarray:
    """(T,) 0..1 nod track: a smooth dip on each stressed syllable of the mouth opening `level`."""
    n = level.size
    smooth = _gaussian_smooth(level, fps * 0.04)
    inner = smooth[1:-1]
    peaks = np.nonzero((inner > smooth[:-2]) & (inner >= smooth[2:]) & (inner > 0.15))[0] + 1
    out = np.zeros(n)
    if peaks.size == 0:
        return out
    # Stressed: the strongest syllables, kept apart by at least nod_gap_s (strongest first).
    cut = np.quantile(smooth[peaks], 1.0 - c.nod_share)
    chosen: list[int] = []
    for i in peaks[np.argsort(-smooth[peaks])]:
        if smooth[i] >= cut and all(abs(i - j) >= c.nod_gap_s * fps for j in chosen):
            chosen.append(int(i))
    t = np.arange(n) / fps
    for i in sorted(chosen):
        # Down just before the vowel's peak, back up over the next few hundred ms.
        start = i / fps - 0.3 * c.nod_s
        phase = np.clip((t - start) / c.nod_s, 0.0, 1.0)
        bump = np.sin(np.pi * phase) ** 2
        np.maximum(out, bump * rng.uniform(0.6, 1.0) * smooth[i] / smooth[chosen].max(), out=out)
    return out


def _blinks(rng: np.random.Generator, n: int, fps: float, c: BehaviourConfig) -> np.ndarray:
    out = np.zeros(n)
    mean_gap = 60.0 / c.blink_per_minute
    time = rng.uniform(*c.blink_first_s)  # the first blink comes early, not at 0
    duration = n / fps
    while time < duration:
        _add_blink(out, time, fps, c)
        if rng.random() < c.double_blink_chance:
            _add_blink(out, time + 0.32, fps, c)
            time += 0.32
        time += max(c.blink_min_gap_s, rng.gamma(4.0, mean_gap / 4.0))
    return np.clip(out, 0.0, 1.0)


def _add_blink(out: np.ndarray, closed_at: float, fps: float, c: BehaviourConfig) -> None:
    """A full blink whose lids are shut at the first frame from `closed_at` on."""
    closed_at = np.ceil(closed_at * fps - 1e-9) / fps  # on a frame: some frame sees it shut
    t = np.arange(out.size) / fps - (closed_at - c.blink_close_s)
    closing = _ease(np.clip(t / c.blink_close_s, 0.0, 1.0))
    opening = 1.0 - _ease(np.clip((t - c.blink_close_s - c.blink_hold_s) / c.blink_open_s, 0, 1))
    shape = np.where(t < c.blink_close_s, closing, opening) * (t >= 0)
    np.maximum(out, shape, out=out)


def _glances(rng: np.random.Generator, n: int, fps: float, c: BehaviourConfig) -> np.ndarray:
    gaze = np.zeros((n, 2))
    time = rng.uniform(1.0, c.glance_every_s)
    duration = n / fps
    t = np.arange(n) / fps
    while time < duration:
        hold = rng.uniform(0.7, 1.6)
        target = np.array([rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 0.9), rng.uniform(-0.3, 0.3)])
        rise = _ease(np.clip((t - time) / 0.18, 0.0, 1.0))
        fall = 1.0 - _ease(np.clip((t - time - hold) / 0.25, 0.0, 1.0))
        gaze += np.minimum(rise, fall)[:, None] * target[None, :]
        time += hold + rng.gamma(3.0, c.glance_every_s / 3.0)
    return np.clip(gaze, -1.0, 1.0)


def _ease(x: np.ndarray) -> np.ndarray:
    return x * x * (3.0 - 2.0 * x)


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    if sigma < 0.3:
        return x.copy()
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    return np.convolve(np.pad(x, radius, mode="edge"), taps, mode="valid")
