"""Audio in: decode any file PyAV can read to mono, log-mel features in torch.

A clip's audio is decoded once, at the output rate (48 kHz, the MP4's track);
`to_analysis_rate` derives the 16 kHz signal the features are computed at, in torch on the
samples' device. `LogMelSpectrogram` is a plain nn.Module (STFT + a mel filterbank built
here, no torchaudio); `compute_features` pools the 100 Hz mel frames onto the video's frames.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .errors import AudioTooLongError, EmptyAudioError, UnreadableAudioError

ANALYSIS_RATE = 16_000  # Hz; the rate every audio feature is computed at
OUTPUT_AUDIO_RATE = 48_000  # Hz; the rate of the AAC track in the MP4
MAX_AUDIO_SECONDS = 15 * 60  # longer uploads are refused
MIN_AUDIO_SECONDS = 0.1  # shorter than this counts as empty


def decode_audio(
    source: str | os.PathLike, sample_rate: int = ANALYSIS_RATE, *, allow_missing: bool = False
) -> np.ndarray | None:
    """Decode the first audio stream of a file into mono float32 samples at `sample_rate`.

    Raises UnreadableAudioError / EmptyAudioError / AudioTooLongError for bad input. With
    `allow_missing`, a file without an audio stream returns None instead (driving videos).
    """
    import av

    path = Path(source)
    if not path.is_file():
        raise UnreadableAudioError(f"The audio file {path.name!r} does not exist.")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnreadableAudioError(
            "The audio could not be read (use a WAV, MP3, M4A, OGG or FLAC file)."
        ) from exc
    try:
        if not container.streams.audio:
            if allow_missing:
                return None
            raise UnreadableAudioError("The file has no audio track.")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks: list[np.ndarray] = []
        total = 0
        limit = MAX_AUDIO_SECONDS * sample_rate
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                chunks.append(chunk)
                total += chunk.size
            if total > limit:
                raise AudioTooLongError(
                    f"The audio is longer than {MAX_AUDIO_SECONDS // 60} minutes, the most one "
                    "clip may last."
                )
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except (av.error.FFmpegError, ValueError) as exc:
        raise UnreadableAudioError(
            "The audio could not be decoded (the file may be damaged or of an unsupported kind)."
        ) from exc
    finally:
        container.close()
    samples = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0)
    if samples.size < MIN_AUDIO_SECONDS * sample_rate:
        raise EmptyAudioError(
            f"The audio is empty or shorter than {MIN_AUDIO_SECONDS:g} s; record a few words."
        )
    if not np.isfinite(samples).all():
        raise UnreadableAudioError("The audio holds invalid (non-finite) samples.")
    return samples


def write_wav(path: str | os.PathLike, samples: np.ndarray, sample_rate: int) -> Path:
    """Mono float samples in [-1, 1] -> a 16-bit PCM WAV file (clipped)."""
    import wave

    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return Path(path)


def to_analysis_rate(
    samples: torch.Tensor, sample_rate: int, *, block: int = 1 << 15
) -> torch.Tensor:
    """(S,) samples at `sample_rate` (a whole multiple of ANALYSIS_RATE) -> (ceil(S / k),) at
    ANALYSIS_RATE, on the samples' device.

    A Kaiser-windowed sinc low-pass, as libswresample's defaults (32 taps at the low rate,
    cutoff at 0.97 of its Nyquist, beta 9), applied in blocks of `block` output samples so
    memory stays small for long audio.
    """
    factor, rest = divmod(sample_rate, ANALYSIS_RATE)
    if rest or factor < 1:
        raise ValueError(f"{sample_rate} Hz is not a whole multiple of {ANALYSIS_RATE} Hz")
    if factor == 1:
        return samples
    half = 16 * factor
    n = torch.arange(-half, half + 1, dtype=torch.float64)
    cutoff = 0.97 / (2 * factor)  # cycles per input sample
    window = torch.kaiser_window(2 * half + 1, periodic=False, beta=9.0, dtype=torch.float64)
    taps = 2 * cutoff * torch.sinc(2 * cutoff * n) * window
    taps = (taps / taps.sum()).to(samples.device, samples.dtype).view(1, 1, -1)
    total = samples.numel()
    out = samples.new_empty((total + factor - 1) // factor)
    for first in range(0, out.numel(), block):
        last = min(out.numel(), first + block)
        lo, hi = first * factor - half, (last - 1) * factor + half + 1  # input span needed
        segment = samples[max(lo, 0) : min(hi, total)]
        segment = torch.nn.functional.pad(segment[None, None], (max(0, -lo), max(0, hi - total)))
        out[first:last] = torch.nn.functional.conv1d(segment, taps, stride=factor)[0, 0]
    return out


@dataclass(frozen=True)
class MelConfig:
    sample_rate: int = ANALYSIS_RATE  # Hz of the input waveform
    n_fft: int = 512  # FFT size (32 ms)
    win_length: int = 400  # analysis window (25 ms)
    hop_length: int = 160  # 10 ms between mel frames
    n_mels: int = 80  # mel bands
    f_min: float = 60.0  # Hz, lowest band edge
    f_max: float = 7600.0  # Hz, highest band edge
    log_floor: float = 1e-6  # power floor before the log (about -60 dB re full scale)


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    # Slaney-style mel scale (linear below 1 kHz, logarithmic above), as librosa's default.
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    return np.where(hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, 1e-9) / min_log_hz)
                    / logstep, mels)  # fmt: skip


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)),
                    f_sp * mels)  # fmt: skip


def mel_filterbank(config: MelConfig) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) Slaney-normalised triangular filters."""
    n_freqs = config.n_fft // 2 + 1
    fft_freqs = np.linspace(0, config.sample_rate / 2, n_freqs)
    mel_points = np.linspace(_hz_to_mel(config.f_min), _hz_to_mel(config.f_max), config.n_mels + 2)
    hz_points = _mel_to_hz(mel_points)
    lower = (fft_freqs[None, :] - hz_points[:-2, None]) / np.diff(hz_points)[:-1, None]
    upper = (hz_points[2:, None] - fft_freqs[None, :]) / np.diff(hz_points)[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (hz_points[2:] - hz_points[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_band_centers(config: MelConfig) -> np.ndarray:
    """Centre frequency in Hz of each mel band (n_mels,)."""
    mel_points = np.linspace(_hz_to_mel(config.f_min), _hz_to_mel(config.f_max), config.n_mels + 2)
    return _mel_to_hz(mel_points)[1:-1]


class LogMelSpectrogram(nn.Module):
    """Waveform (B, S) -> natural-log mel power (B, T, n_mels), T = S // hop + 1."""

    def __init__(self, config: MelConfig | None = None) -> None:
        super().__init__()
        self.config = config or MelConfig()
        self.register_buffer("window", torch.hann_window(self.config.win_length), persistent=False)
        self.register_buffer(
            "filterbank", torch.from_numpy(mel_filterbank(self.config)), persistent=False
        )

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        c = self.config
        spec = torch.stft(
            waveform, n_fft=c.n_fft, hop_length=c.hop_length, win_length=c.win_length,
            window=self.window.to(waveform.dtype), center=True, return_complex=True,
        )  # (B, F, T)  # fmt: skip
        power = spec.real.square() + spec.imag.square()  # (B, F, T)
        mel = torch.matmul(self.filterbank.to(power.dtype), power)  # (B, n_mels, T)
        return torch.log(mel.clamp_min(c.log_floor)).transpose(1, 2)  # (B, T, n_mels)


@dataclass(frozen=True)
class AudioFeatures:
    """Everything an audio-to-motion predictor may look at, aligned to the video frames."""

    waveform: torch.Tensor  # (S,) mono float32 at `sample_rate`
    sample_rate: int  # Hz
    log_mel: torch.Tensor  # (T_mel, n_mels) natural-log mel power at 100 Hz
    mel_config: MelConfig  # how log_mel was computed
    frame_log_mel: torch.Tensor  # (T, n_mels) log mel pooled onto each video frame
    frame_rms_db: torch.Tensor  # (T,) loudness of each video frame, dB re full scale
    fps: float  # video frames per second
    n_frames: int  # video frames (T)


def frame_count(n_samples: int, sample_rate: int, fps: float) -> int:
    """Video frames covering the audio: ceil(duration * fps), at least one."""
    return max(1, math.ceil(n_samples * fps / sample_rate - 1e-9))


def compute_features(
    waveform: np.ndarray | torch.Tensor,
    fps: float,
    *,
    n_frames: int | None = None,
    mel: LogMelSpectrogram | None = None,
    sample_rate: int = ANALYSIS_RATE,
) -> AudioFeatures:
    """Log-mel and per-video-frame features of a mono waveform (on the waveform's device)."""
    wave = torch.as_tensor(waveform, dtype=torch.float32)
    mel = mel if mel is not None else LogMelSpectrogram().to(wave.device)
    n_frames = n_frames or frame_count(wave.numel(), sample_rate, fps)
    log_mel = mel(wave[None])[0]  # (T_mel, n_mels)
    hop_s = mel.config.hop_length / sample_rate
    # Pool the mel frames within one video frame of each frame's middle (cumulative sums keep
    # this O(T) for long audio).
    centers = (torch.arange(n_frames, device=wave.device, dtype=torch.float64) + 0.5) / fps
    half = 0.5 / fps + hop_s / 2
    lo = torch.ceil((centers - half) / hop_s).clamp(0, log_mel.shape[0] - 1).long()  # (T,)
    hi = (torch.floor((centers + half) / hop_s).long() + 1).clamp(1, log_mel.shape[0])  # (T,)
    hi = torch.maximum(hi, lo + 1)
    power = torch.exp(log_mel.double())  # pool in the power domain
    cumulative = torch.cat([power.new_zeros(1, power.shape[1]), power.cumsum(0)])  # (T_mel+1, M)
    pooled = (cumulative[hi] - cumulative[lo]) / (hi - lo)[:, None].double()
    frame_mel = torch.log(pooled.clamp_min(mel.config.log_floor)).float()  # (T, n_mels)
    # Frame loudness straight from the samples (RMS over the frame's span).
    spf = sample_rate / fps
    padded = torch.nn.functional.pad(wave, (0, max(0, math.ceil(n_frames * spf) - wave.numel())))
    starts = (torch.arange(n_frames, device=wave.device) * spf).long()
    span = max(1, int(round(spf)))
    idx = (starts[:, None] + torch.arange(span, device=wave.device)[None, :]).clamp_max(
        padded.numel() - 1
    )
    rms = padded[idx].square().mean(1).sqrt()  # (T,)
    rms_db = 20 * torch.log10(rms.clamp_min(1e-5))
    return AudioFeatures(
        waveform=wave, sample_rate=sample_rate, log_mel=log_mel, mel_config=mel.config,
        frame_log_mel=frame_mel, frame_rms_db=rms_db, fps=float(fps), n_frames=n_frames,
    )  # fmt: skip
