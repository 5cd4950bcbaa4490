"""Real human recordings found in Debian packages, aligned to their transcripts.

Never trained on: the mouth model's evaluation uses them as its "real recordings" family.

- `pocketsphinx-testdata`: five LibriVox sentences (one reader of "Sense and Sensibility"),
  five playing-card phrases and "go forward ten meters", each with its transcript;
- `alsa-utils`: the channel names ("Front left", ...) spoken by one woman.

`align` runs pocketsphinx's forced alignment (en-US acoustic model inside the `pocketsphinx`
wheel, `pip install '.[train]'`): the transcript's words are aligned first, then their
phones, in 10 ms frames. Phones start where their sound starts (stop closures included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .phone_sets import arpabet_to_mnemonic

POCKETSPHINX_DATA = Path("/usr/share/pocketsphinx/test/data")
ALSA_SOUNDS = Path("/usr/share/sounds/alsa")
FRAME_S = 0.01  # pocketsphinx's frame


@dataclass(frozen=True)
class Recording:
    name: str
    path: Path
    transcript: str
    speaker: str  # who speaks (recordings of one speaker share it)
    raw_rate: int | None = None  # headerless 16-bit mono PCM at this rate; None: a WAV


def _transcriptions(path: Path) -> dict[str, str]:
    """'<s> words </s> (id)' lines -> {id: words}."""
    out = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            match = re.match(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\((\S+)\)\s*$", line)
            if match:
                out[match.group(2)] = " ".join(match.group(1).split())
    return out


def packaged_recordings() -> list[Recording]:
    """The recordings installed on this machine (none where the packages are absent)."""
    found: list[Recording] = []
    librivox = POCKETSPHINX_DATA / "librivox"
    for name, text in sorted(_transcriptions(librivox / "transcription").items()):
        found.append(Recording(name, librivox / f"{name}.wav", text, "librivox-reader"))
    cards = POCKETSPHINX_DATA / "cards"
    for name, text in sorted(_transcriptions(cards / "cards.transcription").items()):
        found.append(Recording(f"cards-{name}", cards / f"{name}.wav", text, "cards-speaker"))
    goforward = POCKETSPHINX_DATA / "goforward.raw"
    found.append(Recording("goforward", goforward, "go forward ten meters", "turtle-speaker",
                           raw_rate=16_000))  # fmt: skip
    for wav in sorted(ALSA_SOUNDS.glob("*_*.wav")):
        found.append(Recording(f"alsa-{wav.stem}", wav, wav.stem.replace("_", " ").lower(),
                               "alsa-speaker"))  # fmt: skip
    return [r for r in found if r.path.is_file()]


def load_recording(recording: Recording, sample_rate: int = 16_000) -> np.ndarray:
    """Mono float32 samples at `sample_rate`."""
    if recording.raw_rate is None:
        from .audio import decode_audio

        return decode_audio(recording.path, sample_rate)
    from .speech_augment import resample

    pcm = np.frombuffer(recording.path.read_bytes(), np.int16).astype(np.float32) / 32768.0
    return resample(pcm, recording.raw_rate, sample_rate)


def align(samples: np.ndarray, transcript: str, sample_rate: int = 16_000):
    """[(espeak-ng mnemonic, onset s), ...] of `transcript` in 16 kHz mono `samples`."""
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise RuntimeError("pocketsphinx is not installed (pip install '.[train]').") from exc
    if sample_rate != 16_000:
        raise ValueError("pocketsphinx's en-US model reads 16 kHz audio")
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
    decoder = Decoder(samprate=16_000, loglevel="FATAL")
    decoder.set_align_text(transcript)
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    decoder.set_alignment()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    events: list[tuple[str, float]] = []
    for word in decoder.get_alignment():
        for phone in word:
            name = arpabet_to_mnemonic(phone.name)
            if events and name == "_" and events[-1][0] == "_":
                continue
            events.append((name, round(phone.start * FRAME_S, 4)))
    if not any(name != "_" for name, _ in events):
        raise RuntimeError(f"pocketsphinx could not align {transcript!r}")
    return events
