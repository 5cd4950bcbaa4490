"""Audio-to-motion: per video frame mouth parameters from audio features.

Every predictor implements `AudioToMotion`: features in, a (T, 4) tensor of mouth parameters out
(columns in `MOUTH_PARAMETERS` order). `SignalMouthPredictor` reads the loudness envelope and
the spectral balance of speech; the learned predictor (`mouth_model.LearnedMouthPredictor`,
trained on a phoneme-aligned corpus, `python -m animation.train_mouth`) plugs into the same
interface and is the pipeline's default; `"signal"` selects the signal-based one.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Protocol, TypeGuard, runtime_checkable

import numpy as np
import torch

from .audio import AudioFeatures, mel_band_centers

# Column order of the mouth-parameter tensor and each column's range.
MOUTH_PARAMETERS = ("jaw_open", "lip_width", "lip_round", "lip_closure")
JAW_OPEN, LIP_WIDTH, LIP_ROUND, LIP_CLOSURE = range(4)
# jaw_open    0 = rest (the portrait's own mouth) .. 1 = wide open
# lip_width  -1 = narrowed .. 0 = rest .. 1 = spread (as in "ee")
# lip_round   0 = rest .. 1 = rounded and pushed forward (as in "oo")
# lip_closure 0 = rest .. 1 = lips pressed together (as in "m", "b", "p")


@runtime_checkable
class AudioToMotion(Protocol):
    """Predicts mouth motion from audio. Implementations must be deterministic."""

    name: str  # short identifier, recorded in the clip's provenance
    version: str  # bumped whenever outputs change for the same input

    def predict(self, features: AudioFeatures) -> torch.Tensor:
        """Mouth parameters (T, 4) for the T = features.n_frames video frames."""
        ...


@runtime_checkable
class ModelPredictor(AudioToMotion, Protocol):
    """A predictor that runs a model: its owner puts it on a device and loads it once."""

    def to(self, device: torch.device) -> ModelPredictor:
        """Run on `device` from now on (moving the model if it is loaded); returns self."""
        ...

    def load(self) -> None:
        """Load the weights now (onto the current device), if not done yet."""
        ...


@dataclass(frozen=True)
class SignalPredictorConfig:
    speech_band_hz: tuple[float, float] = (250.0, 4000.0)  # band whose energy drives the jaw
    dynamic_range_db: float = 38.0  # loudness range mapped onto jaw 0..1 below the speech peak
    silence_db: float = -52.0  # frames quieter than this (dB re full scale) count as silent
    jaw_gamma: float = 0.85  # <1 opens the mouth more readily on quieter syllables
    attack_s: float = 0.035  # time constant of an opening movement
    release_s: float = 0.075  # time constant of a closing movement
    lead_s: float = 0.04  # the mouth moves slightly before the sound it makes
    closure_gap_s: float = 0.25  # dips in speech shorter than this close the lips (stops, "m")
    centroid_gain: float = 0.9  # how strongly spectral tilt maps onto spread / rounding


class SignalMouthPredictor:
    """Signal-based predictor: loudness opens the jaw, spectral balance spreads or rounds.

    - jaw_open follows the speech-band loudness envelope (relative to the clip's own speech
      level, so quiet and loud recordings both animate), with asymmetric attack/release;
    - lip_width / lip_round follow the spectral centroid within the voiced band: bright vowels
      and fricatives ("ee", "s") spread the lips, dark vowels ("oo", "oh") round them;
    - lip_closure rises in short dips inside speech, where stops and nasals close the lips,
      and fades out in longer pauses (the mouth returns to rest).
    """

    name = "signal"
    version = "1"

    def __init__(self, config: SignalPredictorConfig | None = None) -> None:
        self.config = config or SignalPredictorConfig()

    def predict(self, features: AudioFeatures) -> torch.Tensor:
        c = self.config
        fps = features.fps
        log_mel = features.frame_log_mel.detach().double().cpu().numpy()  # (T, M)
        centers = mel_band_centers(features.mel_config)  # (M,)
        band = (centers >= c.speech_band_hz[0]) & (centers <= c.speech_band_hz[1])
        power = np.exp(log_mel[:, band])  # (T, Mb)
        # Band energy in dB, calibrated to the frame RMS so silence thresholds are absolute.
        band_db = 10 * np.log10(power.sum(1) + 1e-12)
        rms_db = features.frame_rms_db.detach().double().cpu().numpy()
        voiced = rms_db > c.silence_db
        if voiced.sum() < 2:
            return torch.zeros(features.n_frames, 4)
        peak = np.percentile(band_db[voiced], 95)
        floor = peak - c.dynamic_range_db
        level = np.clip((band_db - floor) / (peak - floor), 0.0, 1.0) * voiced  # (T,)
        jaw = level**c.jaw_gamma
        jaw = _attack_release(jaw, fps, c.attack_s, c.release_s)
        # Spectral centroid (Hz, log-weighted) inside the band, standardised over voiced frames.
        weights = power / power.sum(1, keepdims=True)
        centroid = np.log(weights @ centers[band])  # (T,)
        mu, sd = centroid[voiced].mean(), centroid[voiced].std() + 1e-6
        tilt = np.clip((centroid - mu) / sd * c.centroid_gain * 0.5, -1.0, 1.0) * level
        tilt = _smooth(tilt, fps, 0.05)
        width = np.clip(tilt, -0.4, 1.0)
        rounding = np.clip(-tilt, 0.0, 1.0)
        # Closure: speech that dips briefly. Activity = loudness smoothed over a closure gap.
        activity = _smooth((level > 0.15).astype(np.float64), fps, c.closure_gap_s / 2)
        closure = np.clip((1.0 - level / 0.35), 0.0, 1.0) * np.clip(activity * 2.0, 0.0, 1.0)
        closure = _smooth(closure, fps, 0.03)
        params = np.stack([jaw, width, rounding, closure], axis=1)  # (T, 4)
        lead = int(round(c.lead_s * fps))
        if lead > 0:
            params = np.concatenate([params[lead:], np.repeat(params[-1:], lead, 0)])
        return torch.from_numpy(params.astype(np.float32))


def runs_a_model(predictor: AudioToMotion) -> TypeGuard[ModelPredictor]:
    """Whether `predictor` is a ModelPredictor (checked without touching its attributes:
    isinstance would read `version`, which loads the weights)."""
    return all(callable(inspect.getattr_static(predictor, name, None)) for name in ("to", "load"))


PREDICTORS = ("learned", "signal")
DEFAULT_PREDICTOR = "learned"


def resolve_predictor(predictor: AudioToMotion | str | None = None) -> AudioToMotion:
    """An instance as given; None / "learned" -> a new shipped learned model (its weights load
    when first needed, see `ModelPredictor`); "signal" -> a new signal-based predictor.

    Nothing is cached here: whoever resolves a predictor keeps it (the `Animator` does, for
    the life of a worker). The learned model (`mouth_model.LearnedMouthPredictor`) is the
    default: it beats the signal predictor on every figure on held-out voices and languages
    (`python -m animation.evaluate_mouth`), and its coarticulated, graded mouth shapes look
    like speech where loudness alone gapes on every loud syllable.
    """
    if predictor is None or isinstance(predictor, str):
        name = predictor or DEFAULT_PREDICTOR
        if name not in PREDICTORS:
            choices = " or ".join(repr(p) for p in PREDICTORS)
            raise ValueError(f"Unknown mouth predictor {name!r} (use {choices}).")
        if name == "learned":
            from .mouth_model import LearnedMouthPredictor  # lazy: imports the model code

            return LearnedMouthPredictor()
        return SignalMouthPredictor()
    return predictor


def speech_activity(features: AudioFeatures, silence_db: float = -45.0) -> np.ndarray:
    """(T,) 0..1 how much each frame is inside speech (smoothed over ~0.4 s)."""
    loud = (features.frame_rms_db.detach().cpu().numpy() > silence_db).astype(np.float64)
    return np.clip(_smooth(loud, features.fps, 0.2) * 1.5, 0.0, 1.0)


VOWEL_BAND_HZ = (500.0, 3000.0)  # open vowels are loud here; shut lips (m's murmur, b's voice
# bar, p's silence) are not


def vowel_level(features: AudioFeatures, range_db: float = 30.0) -> np.ndarray:
    """(T,) 0..1: each frame's energy in `VOWEL_BAND_HZ`, from `range_db` below the clip's loud
    frames (95th percentile of its sounding frames) up to them."""
    log_mel = features.frame_log_mel.detach().double().cpu().numpy()  # (T, M)
    centers = mel_band_centers(features.mel_config)
    band = (centers >= VOWEL_BAND_HZ[0]) & (centers <= VOWEL_BAND_HZ[1])
    band_db = 10 * np.log10(np.exp(log_mel[:, band]).sum(1) + 1e-12)
    sounding = features.frame_rms_db.detach().cpu().numpy() > SignalPredictorConfig.silence_db
    if not sounding.any():
        return np.zeros(features.n_frames)
    peak = np.percentile(band_db[sounding], 95)
    return np.clip((band_db - (peak - range_db)) / range_db, 0.0, 1.0)


def open_for_vowels(mouth: np.ndarray, features: AudioFeatures, onset: float = 0.8) -> np.ndarray:
    """Mouth parameters (T, 4) whose lip closure lets go where a vowel sounds at full strength
    (`vowel_level` from `onset` to 1): lips cannot be shut while the mouth radiates a vowel,
    and a predictor's closure smeared over one (coarticulation) would swallow it."""
    level = vowel_level(features)
    t = np.clip((level - onset) / (1.0 - onset), 0.0, 1.0)
    out = mouth.copy()
    out[:, LIP_CLOSURE] *= (1.0 - t * t * (3 - 2 * t)).astype(out.dtype)
    return out


def _attack_release(x: np.ndarray, fps: float, attack_s: float, release_s: float) -> np.ndarray:
    a_up = 1.0 - np.exp(-1.0 / (attack_s * fps))
    a_down = 1.0 - np.exp(-1.0 / (release_s * fps))
    out = np.empty_like(x)
    state = 0.0
    for i, value in enumerate(x):
        state += (a_up if value > state else a_down) * (value - state)
        out[i] = state
    # At 25 fps the filter lags; blend with the raw envelope so syllables stay crisp.
    return 0.5 * out + 0.5 * x


def _smooth(x: np.ndarray, fps: float, sigma_s: float) -> np.ndarray:
    """Gaussian smoothing with edge replication (sigma in seconds)."""
    sigma = sigma_s * fps
    if sigma < 0.3:
        return x.copy()
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    padded = np.pad(x, radius, mode="edge")
    return np.convolve(padded, taps, mode="valid")
