"""Audio decoding, log-mel features, the signal predictor, behaviour and rig."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from animation.audio import (
    ANALYSIS_RATE,
    LogMelSpectrogram,
    MelConfig,
    compute_features,
    decode_audio,
    mel_filterbank,
    to_analysis_rate,
)
from animation.behaviour import sample_behaviour
from animation.errors import EmptyAudioError, UnreadableAudioError
from animation.motion import JAW_OPEN, LIP_CLOSURE, AudioToMotion, SignalMouthPredictor
from animation.rig import FaceRig


def test_decode_resamples_to_16k_mono(short_speech):
    samples = decode_audio(short_speech)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert 1.0 < len(samples) / ANALYSIS_RATE < 4.0
    assert np.abs(samples).max() > 0.05


def test_analysis_rate_is_derived_from_the_output_rate(short_speech):
    """Decoding once at 48 kHz and deriving 16 kHz gives what decoding at 16 kHz gives."""
    direct = decode_audio(short_speech, ANALYSIS_RATE)
    output = decode_audio(short_speech, 48_000)
    derived = to_analysis_rate(torch.from_numpy(output), 48_000).numpy()
    assert derived.dtype == np.float32 and len(derived) == len(direct)
    snr_db = 10 * np.log10((direct**2).sum() / ((direct - derived) ** 2).sum())
    assert snr_db > 40
    # Blocks join seamlessly: a small block size changes nothing.
    blocked = to_analysis_rate(torch.from_numpy(output), 48_000, block=1000).numpy()
    np.testing.assert_allclose(blocked, derived, atol=1e-6)
    # A tone above the analysis Nyquist (8 kHz) does not alias into the band.
    t = torch.arange(48_000, dtype=torch.float64) / 48_000  # float64: a clean tone
    high = to_analysis_rate(torch.sin(2 * torch.pi * 12_000 * t).float(), 48_000)
    assert float(high[100:-100].abs().max()) < 1e-3
    with pytest.raises(ValueError, match="multiple"):
        to_analysis_rate(torch.zeros(10), 44_100)


def test_bad_audio_errors(tmp_path, empty_wav, portraits):
    with pytest.raises(EmptyAudioError, match="empty"):
        decode_audio(empty_wav)
    with pytest.raises(UnreadableAudioError):
        decode_audio(portraits["garbage"])
    with pytest.raises(UnreadableAudioError, match="does not exist"):
        decode_audio(tmp_path / "nope.wav")


def test_log_mel_shape_and_tone_peak():
    config = MelConfig()
    t = torch.arange(ANALYSIS_RATE) / ANALYSIS_RATE
    tone = torch.sin(2 * torch.pi * 1000 * t)[None]  # (1, 16000)
    mel = LogMelSpectrogram(config)(tone)
    assert mel.shape == (1, 101, 80)
    centers = mel_filterbank(config).argmax(1)  # FFT bin each band peaks at
    peak_band = int(mel[0, 50].argmax())
    assert abs(centers[peak_band] * ANALYSIS_RATE / config.n_fft - 1000) < 120


def test_predictor_follows_speech_energy(short_speech):
    features = compute_features(decode_audio(short_speech), 25.0)
    predictor = SignalMouthPredictor()
    assert isinstance(predictor, AudioToMotion)
    mouth = predictor.predict(features).numpy()
    assert mouth.shape == (features.n_frames, 4)
    jaw = mouth[:, JAW_OPEN]
    loud = features.frame_rms_db.numpy()
    assert np.corrcoef(jaw[:-2], loud[1:-1])[0, 1] > 0.6  # the jaw leads by a frame
    assert jaw.max() > 0.6 and jaw.min() < 0.05
    assert mouth[:, LIP_CLOSURE].max() > 0.3  # lips close between syllables


def test_silence_keeps_the_mouth_at_rest(silence_wav):
    features = compute_features(decode_audio(silence_wav), 25.0)
    mouth = SignalMouthPredictor().predict(features)
    assert features.n_frames == 25
    assert float(mouth.abs().max()) == 0.0


def test_behaviour_is_seeded_and_natural():
    a = sample_behaviour(1500, 25.0, seed=3)
    b = sample_behaviour(1500, 25.0, seed=3)
    c = sample_behaviour(1500, 25.0, seed=4)
    np.testing.assert_array_equal(a.pose_deg, b.pose_deg)
    np.testing.assert_array_equal(a.blink, b.blink)
    assert np.abs(a.pose_deg - c.pose_deg).max() > 0.5
    assert np.all(a.pose_deg[0] == 0) and a.blink[0] == 0  # starts as the still portrait
    blinks = int(((a.blink[1:] >= 0.9) & (a.blink[:-1] < 0.9)).sum())
    assert 8 <= blinks <= 30  # per minute: people blink 12-20 times
    assert 0.5 < np.abs(a.pose_deg).max() < 12  # slight head motion, never a spin


def test_speech_makes_the_head_livelier():
    quiet = sample_behaviour(750, 25.0, seed=1)
    lively = sample_behaviour(750, 25.0, seed=1, speech_activity=np.ones(750))
    assert lively.pose_deg.std() > 1.3 * quiet.pose_deg.std()


@pytest.fixture(scope="module")
def rig(astronaut):
    from animation.landmarks import FaceLandmarker

    with FaceLandmarker() as finder:
        points = finder.find(astronaut).points
    return FaceRig(points), points


def _run(rig_module, mouth=None, pose=None, blink=None, n=1, rest=0.0):
    """The rig from the portrait's own mouth (rest=0), or from its rest mouth (rest=1)."""
    zeros = torch.zeros
    return rig_module(
        mouth if mouth is not None else zeros(n, 4), pose if pose is not None else zeros(n, 3),
        zeros(n, 2), blink if blink is not None else zeros(n), zeros(n, 2), zeros(n),
        rest=torch.full((n,), rest),
    )  # fmt: skip


def test_rig_neutral_is_the_source_and_jaw_opens_the_lips(rig):
    module, points = rig
    neutral = _run(module)[0].numpy()
    np.testing.assert_allclose(neutral[:, :2], points[:, :2], atol=0.05)
    open_mouth = _run(module, mouth=torch.tensor([[1.0, 0, 0, 0]]))[0].numpy()
    gap_before = points[14, 1] - points[13, 1]
    gap_after = open_mouth[14, 1] - open_mouth[13, 1]
    iod = module.iod
    assert gap_after - gap_before > 0.2 * iod
    assert abs(open_mouth[10, 1] - points[10, 1]) < 0.01 * iod  # forehead stays


def test_rig_blink_closes_and_pose_turns(rig):
    module, points = rig
    closed = _run(module, blink=torch.ones(1))[0].numpy()
    assert closed[159, 1] - closed[145, 1] > -0.08 * module.iod  # upper lid meets lower
    turned = _run(module, pose=torch.tensor([[6.0, 0, 0]]))[0].numpy()
    shift = turned[:, 0] - points[:, 0]
    assert abs(shift[1]) > 1.0  # the nose tip moves
    assert abs(shift[1]) > abs(shift[234]) or abs(shift[1]) > abs(shift[454])  # parallax
