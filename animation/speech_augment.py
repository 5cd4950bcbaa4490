"""Make clean synthetic speech sound as uploads do: rooms, microphones, noise, codecs, levels.

`augment` draws every choice from the caller's numpy generator (deterministic from the
corpus seed) and returns what it did, the leading silence it added and the time scale it
applied, so the phoneme events can follow the audio:

- speed perturbation (resampling by 0.93-1.07: a slight time-stretch, pitch follows);
- microphone colouring: a random equaliser (low and high shelves, two peaking bands);
- band-limiting (telephone, cheap microphones) and down-and-up resampling;
- room reverberation (exponential-decay noise impulse, direct sound kept);
- background noise (white, pink or brown) at 5-30 dB SNR;
- level changes (peak -30..-1 dBFS, sometimes soft clipping);
- a lossy codec round trip (MP3, AAC or Opus through PyAV's FFmpeg), re-aligned to the input
  by cross-correlation, so the encoder's delay cannot shift the timing.

Only numpy, scipy and PyAV are used: CI has all three.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from math import gcd

import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    p_speed: float = 0.5  # chance of a speed perturbation (slight time-stretch)
    speed: tuple[float, float] = (0.93, 1.07)  # range of the speed factor
    p_eq: float = 0.6  # chance of microphone colouring (random shelves and peaks)
    eq_gain_db: float = 8.0  # largest boost or cut of any equaliser band
    p_resample: float = 0.2  # chance of a down-and-up resampling round trip
    resample_rates: tuple[int, ...] = (8_000, 11_025, 12_000)  # Hz of the round trip
    p_bandlimit: float = 0.3  # chance of a band-pass (telephone, cheap microphone)
    highpass_hz: tuple[float, float] = (60.0, 400.0)  # range of the high-pass corner
    lowpass_hz: tuple[float, float] = (2_800.0, 7_000.0)  # range of the low-pass corner
    p_reverb: float = 0.45  # chance of a synthetic room (exponential-decay noise impulse)
    rt60_s: tuple[float, float] = (0.12, 0.8)  # range of the reverberation time
    p_noise: float = 0.6  # chance of additive noise (white, pink or brown)
    snr_db: tuple[float, float] = (5.0, 30.0)  # range of the speech-to-noise ratio
    peak_dbfs: tuple[float, float] = (-30.0, -1.0)  # range of the final peak level
    p_clip: float = 0.05  # chance of driving a soft clipper (overloaded recording)
    p_codec: float = 0.5  # chance of a lossy codec round trip
    codecs: tuple[str, ...] = ("mp3", "aac", "opus")  # drawn uniformly
    bitrates_kbps: tuple[int, ...] = (24, 32, 48, 64, 96, 128)  # drawn uniformly
    pad_s: tuple[float, float] = (0.0, 0.5)  # leading / trailing silence added, each


# -- building blocks ---------------------------------------------------------------------------


def resample(x: np.ndarray, source: int, target: int) -> np.ndarray:
    """Polyphase resampling of a 1-D signal from `source` Hz to `target` Hz (float32)."""
    from scipy.signal import resample_poly

    if source == target:
        return np.asarray(x, np.float32)
    g = gcd(int(source), int(target))
    return resample_poly(x, int(target) // g, int(source) // g).astype(np.float32)


def speed_perturb(x: np.ndarray, factor: float) -> np.ndarray:
    """Play `x` `factor` times faster (length / factor): times scale by 1 / factor."""
    from scipy.signal import resample_poly

    up = 1000
    down = int(round(up * factor))
    return resample_poly(np.asarray(x, np.float64), up, down)


def _biquad(kind: str, f0: float, gain_db: float, q: float, rate: int) -> np.ndarray:
    """RBJ audio-EQ-cookbook biquad as one second-order section (b0 b1 b2 1 a1 a2)."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / rate
    alpha = np.sin(w0) / (2 * q)
    cos = np.cos(w0)
    if kind == "peak":
        b = [1 + alpha * a, -2 * cos, 1 - alpha * a]
        den = [1 + alpha / a, -2 * cos, 1 - alpha / a]
    else:  # shelves, slope 1
        sq = 2 * np.sqrt(a) * alpha
        if kind == "lowshelf":
            b = [a * ((a + 1) - (a - 1) * cos + sq), 2 * a * ((a - 1) - (a + 1) * cos),
                 a * ((a + 1) - (a - 1) * cos - sq)]  # fmt: skip
            den = [(a + 1) + (a - 1) * cos + sq, -2 * ((a - 1) + (a + 1) * cos),
                   (a + 1) + (a - 1) * cos - sq]  # fmt: skip
        else:
            b = [a * ((a + 1) + (a - 1) * cos + sq), -2 * a * ((a - 1) + (a + 1) * cos),
                 a * ((a + 1) + (a - 1) * cos - sq)]  # fmt: skip
            den = [(a + 1) - (a - 1) * cos + sq, 2 * ((a - 1) - (a + 1) * cos),
                   (a + 1) - (a - 1) * cos - sq]  # fmt: skip
    return np.array([*(np.array(b) / den[0]), 1.0, den[1] / den[0], den[2] / den[0]])


def microphone_eq(
    x: np.ndarray, rate: int, rng: np.random.Generator, max_gain_db: float
) -> tuple[np.ndarray, list]:
    """A random microphone response: low shelf, high shelf and two peaking bands."""
    from scipy.signal import sosfilt

    bands = [
        ("lowshelf", float(rng.uniform(100, 400)), 0.707),
        ("highshelf", float(rng.uniform(2_500, min(7_000, 0.45 * rate))), 0.707),
    ]
    for _ in range(2):
        bands.append(("peak", float(np.exp(rng.uniform(np.log(200), np.log(5_000)))),
                      float(rng.uniform(0.7, 3.0))))  # fmt: skip
    gains = rng.uniform(-max_gain_db, max_gain_db, len(bands))
    sos = np.stack([_biquad(kind, f0, g, q, rate)
                    for (kind, f0, q), g in zip(bands, gains, strict=True)])  # fmt: skip
    done = [
        [kind, round(f0), round(float(g), 1)] for (kind, f0, _), g in zip(bands, gains, strict=True)
    ]
    return sosfilt(sos, x), done


def colored_noise(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Unit-power noise with a 1 / f^exponent power spectrum (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1] if n > 1 else 1.0
    noise = np.fft.irfft(spectrum / freqs ** (exponent / 2), n)
    return noise / (np.sqrt(np.mean(noise**2)) + 1e-12)


def add_noise(x: np.ndarray, rng: np.random.Generator, snr_db: float, exponent: float):
    """`x` plus coloured noise `snr_db` under the power of its audible samples."""
    loud = np.abs(x) > 1e-4 * max(1e-9, float(np.abs(x).max()))
    speech_power = float(np.mean(x[loud] ** 2)) if loud.any() else 1e-6
    noise = colored_noise(rng, len(x), exponent) * np.sqrt(speech_power / 10 ** (snr_db / 10))
    return x + noise


_CODECS = {  # name -> (PyAV encoder, container format, encoder sample rate)
    "mp3": ("libmp3lame", "mp3", None),
    "aac": ("aac", "adts", None),
    "opus": ("libopus", "ogg", 48_000),
}


def codec_round_trip(x: np.ndarray, rate: int, codec: str, bitrate_kbps: int) -> np.ndarray:
    """Encode mono float `x` with a lossy codec in memory and decode it back at `rate`.

    The result is re-aligned to `x` by cross-correlation (encoders add delay and priming
    samples that containers do not always remove) and has `x`'s length.
    """
    import av

    encoder, container_format, codec_rate = _CODECS[codec]
    codec_rate = codec_rate or rate
    samples = np.clip(np.asarray(x, np.float32), -1.0, 1.0)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as out:
        stream = out.add_stream(encoder, rate=codec_rate, layout="mono")
        stream.bit_rate = int(bitrate_kbps) * 1000
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono",
                                      rate=codec_rate, frame_size=stream.codec_context.frame_size
                                      or None)  # fmt: skip
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    buffer.seek(0)
    chunks = []
    with av.open(buffer, mode="r") as container:
        back = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for decoded in container.decode(container.streams.audio[0]):
            chunks.extend(f.to_ndarray().reshape(-1) for f in back.resample(decoded))
        chunks.extend(f.to_ndarray().reshape(-1) for f in back.resample(None))
    y = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return align_to(y, samples, max_lag=int(0.1 * rate))


def align_to(y: np.ndarray, reference: np.ndarray, max_lag: int) -> np.ndarray:
    """`y` shifted by the lag (within ±max_lag) best matching `reference`, cut to its length."""
    from scipy.signal import correlate

    n = len(reference)
    padded = np.concatenate([np.zeros(max_lag), y, np.zeros(max_lag + n)])[: n + 2 * max_lag]
    scores = correlate(padded, reference, mode="valid")  # (2 max_lag + 1,) lag -max..max
    lag = int(np.argmax(scores)) - max_lag  # y is late by `lag` samples
    return padded[max_lag + lag : max_lag + lag + n].astype(np.float32)


# -- the chain ---------------------------------------------------------------------------------


def augment(
    wave: np.ndarray, rate: int, rng: np.random.Generator, config: AugmentConfig
) -> tuple[np.ndarray, dict, float, float]:
    """(augmented wave, what was done, s of leading silence, time scale of the speech).

    An event at `t` s in `wave` is at `t * scale + lead` s in the result.
    """
    from scipy.signal import butter, fftconvolve, sosfilt

    done: dict = {}
    x = np.asarray(wave, np.float64)
    scale = 1.0
    if rng.random() < config.p_speed:
        factor = float(rng.uniform(*config.speed))
        x = speed_perturb(x, factor)
        scale = len(x) / max(1, len(wave))
        done["speed"] = round(factor, 4)
    if rng.random() < config.p_eq:
        x, done["eq"] = microphone_eq(x, rate, rng, config.eq_gain_db)
    if rng.random() < config.p_resample:
        low = int(rng.choice(config.resample_rates))
        x = resample(resample(x, rate, low), low, rate).astype(np.float64)
        done["resample_hz"] = low
    if rng.random() < config.p_bandlimit:
        hp = float(rng.uniform(*config.highpass_hz))
        lp = float(min(rng.uniform(*config.lowpass_hz), 0.45 * rate))
        x = sosfilt(butter(4, [hp, lp], btype="bandpass", fs=rate, output="sos"), x)
        done["band_hz"] = [round(hp), round(lp)]
    lead = float(rng.uniform(*config.pad_s))
    tail = float(rng.uniform(*config.pad_s))
    x = np.concatenate([np.zeros(int(lead * rate)), x, np.zeros(int(tail * rate))])
    lead = int(lead * rate) / rate
    if rng.random() < config.p_reverb:
        rt60 = float(rng.uniform(*config.rt60_s))
        n = int(rt60 * rate)
        t = np.arange(n) / rate
        impulse = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)  # -60 dB at rt60
        impulse[0] = 0.0
        impulse *= float(rng.uniform(0.2, 0.8)) / (np.sqrt((impulse**2).sum()) + 1e-12)
        impulse[0] = 1.0  # the direct sound keeps the timing
        x = fftconvolve(x, impulse)[: len(x)]
        done["rt60_s"] = round(rt60, 3)
    if rng.random() < config.p_noise:
        snr = float(rng.uniform(*config.snr_db))
        exponent = float(rng.choice([0.0, 1.0, 2.0]))  # white, pink, brown
        x = add_noise(x, rng, snr, exponent)
        done["noise"] = {"snr_db": round(snr, 1), "exponent": exponent}
    peak = float(rng.uniform(*config.peak_dbfs))
    x = x / (np.abs(x).max() + 1e-9) * 10 ** (peak / 20)
    done["peak_dbfs"] = round(peak, 1)
    if rng.random() < config.p_clip:
        drive = float(rng.uniform(2.0, 6.0))
        x = np.tanh(x * drive / 10 ** (peak / 20)) * 10 ** (peak / 20) / np.tanh(drive)
        done["clip_drive"] = round(drive, 2)
    if rng.random() < config.p_codec:
        codec = str(rng.choice(config.codecs))
        kbps = int(rng.choice(config.bitrates_kbps))
        x = codec_round_trip(x, rate, codec, kbps)
        done["codec"] = [codec, kbps]
    return np.asarray(x, np.float32), done, lead, scale
