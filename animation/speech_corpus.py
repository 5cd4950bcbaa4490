"""A phoneme-aligned speech corpus the project makes itself, for the learned mouth model.

    python -m animation.speech_corpus [--seed 0] [--root var/mouth-corpus]

Speech comes from libespeak-ng's C API (Debian's espeak-ng, through ctypes) in synchronous
mode with phoneme events, so every phoneme's audio position is known exactly. Utterances vary
voice variant, language, speaking rate, pitch and pitch range, then pass through augmentation
(resampling, band-limiting, reverberation, noise, gain, leading/trailing silence). Each
utterance is stored as the 16 kHz log-mel the model reads (`audio.LogMelSpectrogram`) and the
mouth targets of `visemes` at 50 Hz; the held-out split (voices and languages never used in
training) also keeps its waveform and phoneme events for the evaluation.

Everything is deterministic from the seed: one `numpy` generator per utterance, seeded with
(seed, split, index), and espeak-ng runs in fresh processes (see `build_corpus`). The cache
folder is named after a hash of the settings.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

SYNTH_RATE = 22_050  # Hz, espeak-ng's output rate
TARGET_HOP_S = 0.02  # s between training targets (2 mel frames at 100 Hz)
DEFAULT_ROOT = Path("var/mouth-corpus")

# -- libespeak-ng through ctypes --------------------------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_EVENT_LIST_TERMINATED, _EVENT_PHONEME = 0, 7
_CHARS_UTF8 = 1
_RATE, _PITCH, _RANGE = 1, 3, 4  # espeak_PARAMETER


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int), ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", _EventId),
    ]  # fmt: skip


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class EspeakUnavailableError(RuntimeError):
    """libespeak-ng.so.1 is not installed (apt-get install espeak-ng)."""


class EspeakSynthesizer:
    """Speech with phoneme timing from libespeak-ng (one per process: the library is global)."""

    _instance: EspeakSynthesizer | None = None

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self._lib = ctypes.CDLL(name)
        except OSError as exc:
            raise EspeakUnavailableError(
                "libespeak-ng is not installed (apt-get install espeak-ng)."
            ) from exc
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_PHONEME_EVENTS
        )
        if rate <= 0:
            raise EspeakUnavailableError("libespeak-ng failed to initialise.")
        self.sample_rate = int(rate)
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[str, float]] = []
        self._callback = _CALLBACK(self._on_audio)  # kept alive: the library holds a pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]

    @classmethod
    def shared(cls) -> EspeakSynthesizer:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def _on_audio(self, wav, n_samples, events) -> int:
        if n_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                name = event.id.string.decode("utf-8", "replace")
                self._events.append((name, event.audio_position / 1000.0))
            i += 1
        return 0

    def synthesize(
        self,
        text: str,
        voice: str = "en-us",
        *,
        rate: int = 175,
        pitch: int = 50,
        pitch_range: int = 50,
    ) -> tuple[np.ndarray, list[tuple[str, float]]]:
        """(samples float32 at `sample_rate`, [(phoneme, onset s), ...]) for `text`."""  # fmt: skip
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        for parameter, value in ((_RATE, rate), (_PITCH, pitch), (_RANGE, pitch_range)):
            self._lib.espeak_SetParameter(parameter, int(value), 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        status = self._lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status}")
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return samples.astype(np.float32) / 32768.0, list(self._events)


# -- what is spoken --------------------------------------------------------------------------

SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "Good evening, my dears. I wanted to tell you about the summer by the sea.",
        "Please bring the blue box of photographs when you come home on Sunday.",
        "We thought the weather would be fine, but it rained all through the morning.",
        "Your grandmother made apple pie and we ate it by the open window.",
        "Who would have guessed that a small boat could carry all of us?",
        "Maybe the music was too loud, yet everyone kept on dancing until midnight.",
    ),
    "fr": (
        "Bonjour, je suis très heureux de vous voir aujourd'hui.",
        "Nous avons passé tout l'été au bord de la mer avec les enfants.",
        "Peux-tu m'apporter le livre bleu qui est sur la table?",
        "Le petit bateau a navigué chaque matin jusqu'au phare.",
    ),
    "de": (
        "Guten Tag, schöne Grüße aus München und viel Glück.",
        "Wir haben den ganzen Sommer am Meer verbracht und viel gelacht.",
        "Bitte bring mir das blaue Buch, das auf dem Tisch liegt.",
        "Mein Großvater baute ein kleines Boot aus altem Holz.",
    ),
    "es": (
        "Buenos días, mucho gusto en conocerte por fin.",
        "Pasamos todo el verano junto al mar con los abuelos.",
        "Por favor, tráeme el libro azul que está sobre la mesa.",
        "Mi abuelo construyó un pequeño barco de madera.",
    ),
    "it": (
        "Buongiorno, sono molto felice di vederti oggi.",
        "Abbiamo passato tutta l'estate al mare con i bambini.",
        "Per favore, portami il libro blu che è sul tavolo.",
        "Il nonno ha costruito una piccola barca di legno.",
    ),
    "pt": (
        "Bom dia, estou muito feliz em ver você hoje.",
        "Passamos o verão inteiro na praia com as crianças.",
        "Por favor, traga o livro azul que está na mesa.",
        "O meu avô construiu um pequeno barco de madeira.",
    ),
    "nl": (
        "Goedemorgen, ik ben heel blij je vandaag te zien.",
        "We hebben de hele zomer aan zee doorgebracht met de kinderen.",
        "Wil je het blauwe boek meenemen dat op de tafel ligt?",
        "Mijn opa bouwde een klein bootje van oud hout.",
    ),
    "pl": (
        "Dzień dobry, bardzo się cieszę, że cię widzę.",
        "Spędziliśmy całe lato nad morzem z dziećmi.",
        "Proszę, przynieś mi niebieską książkę ze stołu.",
    ),
    "sv": (
        "God morgon, jag är så glad att se dig i dag.",
        "Vi tillbringade hela sommaren vid havet med barnen.",
        "Kan du ta med den blå boken som ligger på bordet?",
    ),
}
_ONSETS = ("p b t d k g m n f v s z l r h w j ch sh th pl br tr gr st sp fl kl "
           "bl pr dr kr fr sm sn").split()  # fmt: skip
_NUCLEI = "a e i o u a e i o u ai au ou ee oo ie ea oa y".split()
_CODAS = ("", "", "", "", "n", "m", "s", "t", "l", "r", "k", "p", "nd", "st", "ng", "ft", "x")


def _pseudo_words(rng: np.random.Generator, n_words: int) -> str:
    """Random Latin-letter words: each language reads them with its own phonology."""
    words = []
    for _ in range(n_words):
        syllables = []
        for _ in range(int(rng.integers(1, 4))):
            onset = _ONSETS[rng.integers(len(_ONSETS))] if rng.random() < 0.85 else ""
            syllables.append(onset + _NUCLEI[rng.integers(len(_NUCLEI))]
                             + _CODAS[rng.integers(len(_CODAS))])  # fmt: skip
        words.append("".join(syllables))
    text = " ".join(words)
    # Punctuation makes espeak-ng pause (a comma, a full stop) inside an utterance.
    if n_words > 4 and rng.random() < 0.6:
        cut = int(rng.integers(2, n_words - 1))
        parts = text.split(" ")
        mark = str(rng.choice([",", ".", "?", "!"]))
        text = " ".join(parts[:cut]) + mark + " " + " ".join(parts[cut:])
    return text + "."


def _sentence_family(language: str) -> str:
    return language.split("-")[0]


# -- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AugmentConfig:
    p_resample: float = 0.25  # chance of a down-and-up resampling round trip
    resample_rates: tuple[int, ...] = (8_000, 11_025, 12_000)  # Hz of the round trip
    p_bandlimit: float = 0.4  # chance of a band-pass (telephone, cheap microphone)
    highpass_hz: tuple[float, float] = (60.0, 400.0)  # range of the high-pass corner
    lowpass_hz: tuple[float, float] = (2_800.0, 7_000.0)  # range of the low-pass corner
    p_reverb: float = 0.4  # chance of a synthetic room (exponential-decay noise impulse)
    rt60_s: tuple[float, float] = (0.12, 0.7)  # range of the reverberation time
    p_noise: float = 0.6  # chance of additive noise (white, pink or brown)
    snr_db: tuple[float, float] = (5.0, 35.0)  # range of the speech-to-noise ratio
    peak_dbfs: tuple[float, float] = (-30.0, -1.0)  # range of the final peak level
    pad_s: tuple[float, float] = (0.0, 0.5)  # leading / trailing silence added, each


@dataclass(frozen=True)
class CorpusConfig:
    seed: int = 0  # everything below is drawn from generators seeded with this
    n_train: int = 2400  # training utterances
    n_heldout: int = 96  # evaluation utterances (held-out voices x held-out languages)
    train_languages: tuple[str, ...] = (
        "en-us", "en", "fr", "de", "es", "pl", "sv", "fi", "cs", "ro", "hu", "tr", "id", "sw",
        "eo", "hr", "da", "sk",
    )  # fmt: skip
    heldout_languages: tuple[str, ...] = ("it", "pt", "nl")  # never used in training
    train_variants: tuple[str, ...] = (
        "", "m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f5", "klatt", "klatt2",
        "adam", "Alicia", "benjamin", "linda", "max", "michel", "quincy",
    )  # fmt: skip
    heldout_variants: tuple[str, ...] = ("f4", "m6", "klatt3", "Andrea", "john", "steph")
    rate_wpm: tuple[int, int] = (120, 260)  # espeak-ng speaking rate range (words/minute)
    pitch: tuple[int, int] = (15, 85)  # espeak-ng base pitch range (0..100)
    pitch_range: tuple[int, int] = (20, 90)  # espeak-ng intonation range (0..100)
    words: tuple[int, int] = (3, 12)  # pseudo-words per utterance
    p_sentence: float = 0.35  # chance of a real sentence (where the language has some)
    max_seconds: float = 6.0  # longer utterances are cut (with their events)
    chunk_size: int = 100  # utterances synthesised per fresh worker process (see build_corpus)
    augment: AugmentConfig = field(default_factory=AugmentConfig)  # train and held-out alike

    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


# -- augmentation -----------------------------------------------------------------------------


def _resample(x: np.ndarray, source: int, target: int) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(source, target)
    return resample_poly(x, target // g, source // g).astype(np.float32)


def _colored_noise(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1] if n > 1 else 1.0
    noise = np.fft.irfft(spectrum / freqs ** (exponent / 2), n)
    return noise / (noise.std() + 1e-12)


def augment(
    wave: np.ndarray, rate: int, rng: np.random.Generator, config: AugmentConfig
) -> tuple[np.ndarray, dict, float]:
    """(augmented wave, what was done, seconds of leading silence added)."""
    from scipy.signal import butter, fftconvolve, sosfilt

    done: dict = {}
    x = wave.astype(np.float64)
    if rng.random() < config.p_resample:
        low = int(rng.choice(config.resample_rates))
        x = _resample(_resample(x, rate, low), low, rate).astype(np.float64)[: len(wave)]
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
        speech_power = np.mean(x[np.abs(x) > 1e-4] ** 2) if np.any(np.abs(x) > 1e-4) else 1e-6
        noise = _colored_noise(rng, len(x), exponent) * np.sqrt(speech_power / 10 ** (snr / 10))
        x = x + noise
        done["noise"] = {"snr_db": round(snr, 1), "exponent": exponent}
    peak = float(rng.uniform(*config.peak_dbfs))
    x = x / (np.abs(x).max() + 1e-9) * 10 ** (peak / 20)
    done["peak_dbfs"] = round(peak, 1)
    return x.astype(np.float32), done, lead


# -- building ---------------------------------------------------------------------------------


@dataclass
class Utterance:
    """One stored utterance (what the trainer and the evaluation read)."""

    log_mel: np.ndarray  # (T_mel, 80) float16, 100 Hz
    targets: np.ndarray  # (T_mel // 2, 4) float16, mouth parameters at 50 Hz
    meta: dict  # voice, language, text, settings, augmentation, events (phoneme, onset s)
    waveform: np.ndarray | None = None  # (S,) float32 16 kHz, held-out split only


def target_times(n_mel_frames: int) -> np.ndarray:
    """Instants (s) of the 50 Hz targets: the middle of each pair of 10 ms mel frames."""
    return (2 * np.arange(n_mel_frames // 2) + 0.5) * 0.01


def make_utterance(
    config: CorpusConfig, split: str, index: int, *, keep_waveform: bool = False, mel=None
) -> Utterance:
    """Synthesise, align, augment and featurise utterance `index` of `split`."""
    import torch

    from .audio import ANALYSIS_RATE, LogMelSpectrogram
    from .visemes import mouth_targets, phoneme_segments

    split_id = {"train": 0, "heldout": 1}[split]
    rng = np.random.default_rng([config.seed, split_id, index])
    languages = config.train_languages if split == "train" else config.heldout_languages
    variants = config.train_variants if split == "train" else config.heldout_variants
    language = str(languages[rng.integers(len(languages))])
    variant = str(variants[rng.integers(len(variants))])
    voice = language + (f"+{variant}" if variant else "")
    family = _sentence_family(language)
    if family in SENTENCES and rng.random() < config.p_sentence:
        choices = SENTENCES[family]
        text = choices[rng.integers(len(choices))]
    else:
        text = _pseudo_words(rng, int(rng.integers(config.words[0], config.words[1] + 1)))
    rate = int(rng.integers(config.rate_wpm[0], config.rate_wpm[1] + 1))
    pitch = int(rng.integers(config.pitch[0], config.pitch[1] + 1))
    pitch_range = int(rng.integers(config.pitch_range[0], config.pitch_range[1] + 1))
    synth = EspeakSynthesizer.shared()
    raw, events = synth.synthesize(text, voice, rate=rate, pitch=pitch, pitch_range=pitch_range)
    clean = _resample(raw, synth.sample_rate, ANALYSIS_RATE)
    limit = int(config.max_seconds * ANALYSIS_RATE)
    if len(clean) > limit:
        clean = clean[:limit]
        events = [(p, t) for p, t in events if t < config.max_seconds - 0.01]
    wave, augmentation, lead = augment(clean, ANALYSIS_RATE, rng, config.augment)
    events = [(p, round(t + lead, 5)) for p, t in events]
    duration = len(wave) / ANALYSIS_RATE
    mel = mel or LogMelSpectrogram()
    with torch.inference_mode():
        log_mel = mel(torch.from_numpy(wave)[None])[0].numpy()  # (T_mel, 80)
    segments = phoneme_segments(events, duration)
    targets = mouth_targets(segments, target_times(len(log_mel)))  # (T_mel // 2, 4)
    meta = {
        "split": split, "index": index, "voice": voice, "language": language,
        "variant": variant, "text": text, "rate_wpm": rate, "pitch": pitch,
        "pitch_range": pitch_range, "augmentation": augmentation, "lead_s": round(lead, 5),
        "duration_s": round(duration, 4), "events": events,
    }  # fmt: skip
    return Utterance(
        log_mel=log_mel.astype(np.float16), targets=targets.astype(np.float16), meta=meta,
        waveform=wave if keep_waveform else None,
    )  # fmt: skip


def corpus_dir(config: CorpusConfig, root: str | Path = DEFAULT_ROOT) -> Path:
    return Path(root) / f"seed{config.seed}-{config.digest()}"


def _save_split(path: Path, utterances: list[Utterance]) -> None:
    mel_lengths = np.array([len(u.log_mel) for u in utterances], np.int64)
    # Targets are not stored: they are recomputed from the phoneme events on loading, so the
    # viseme model can change without re-synthesising the corpus.
    empty = [np.zeros((0, 80), np.float16)]
    arrays = {
        "log_mel": np.concatenate([u.log_mel for u in utterances] + empty),
        "mel_lengths": mel_lengths,
    }
    if utterances and all(u.waveform is not None for u in utterances):
        arrays["waveform"] = np.concatenate([u.waveform for u in utterances])
        arrays["wave_lengths"] = np.array([len(u.waveform) for u in utterances], np.int64)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path.with_suffix(".npz"))
    path.with_suffix(".json").write_text(json.dumps([u.meta for u in utterances]))


def load_split(directory: str | Path, split: str) -> list[Utterance]:
    """The utterances of one split, with targets computed from their phoneme events."""
    from .visemes import mouth_targets, phoneme_segments

    directory = Path(directory)
    data = np.load(directory / f"{split}.npz")
    metas = json.loads((directory / f"{split}.json").read_text())
    mel_ends = np.cumsum(data["mel_lengths"])
    wave_ends = np.cumsum(data["wave_lengths"]) if "waveform" in data else None
    log_mel = data["log_mel"]
    waves = data["waveform"] if wave_ends is not None else None
    out = []
    for i, meta in enumerate(metas):
        m0 = mel_ends[i - 1] if i else 0
        mel = log_mel[m0 : mel_ends[i]]
        segments = phoneme_segments([tuple(e) for e in meta["events"]], meta["duration_s"])
        targets = mouth_targets(segments, target_times(len(mel))).astype(np.float16)
        wave = None
        if waves is not None:
            w0 = wave_ends[i - 1] if i else 0
            wave = waves[w0 : wave_ends[i]]
        out.append(Utterance(mel, targets, meta, wave))
    return out


def _make_chunk(config: CorpusConfig, split: str, start: int, stop: int) -> list[Utterance]:
    import torch

    torch.set_num_threads(1)  # two workers share two cores
    return [make_utterance(config, split, i, keep_waveform=split == "heldout")
            for i in range(start, stop)]  # fmt: skip


def build_corpus(
    config: CorpusConfig,
    root: str | Path = DEFAULT_ROOT,
    *,
    workers: int = 2,
    progress: bool = False,
) -> Path:
    """Build (or find in the cache) the corpus of `config`; returns its folder.

    libespeak-ng keeps state between calls (its pitch flutter runs on), so the same text
    synthesised twice in one process differs slightly. Each chunk of `config.chunk_size`
    utterances is therefore made in a fresh process: the corpus depends on the seed alone,
    not on what the calling process synthesised before, nor on `workers`.
    """  # fmt: skip
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    directory = corpus_dir(config, root)
    if (directory / "settings.json").is_file():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             max_tasks_per_child=1) as pool:  # fmt: skip
        for split, count in (("train", config.n_train), ("heldout", config.n_heldout)):
            bounds = [(a, min(count, a + config.chunk_size))
                      for a in range(0, count, config.chunk_size)]  # fmt: skip
            futures = [pool.submit(_make_chunk, config, split, a, b) for a, b in bounds]
            utterances: list[Utterance] = []
            for future, (_, b) in zip(futures, bounds, strict=True):
                utterances.extend(future.result())
                if progress:
                    print(f"{split}: {b}/{count} ({time.perf_counter() - start:.0f} s)",
                          file=sys.stderr, flush=True)  # fmt: skip
            _save_split(directory / split, utterances)
    seconds = {
        split: round(float(sum(u["duration_s"] for u in json.loads(
            (directory / f"{split}.json").read_text()))), 1)
        for split in ("train", "heldout")
    }  # fmt: skip
    settings = {"config": asdict(config), "digest": config.digest(), "audio_seconds": seconds,
                "build_seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
    (directory / "settings.json").write_text(json.dumps(settings, indent=2))
    return directory


def config_from_dict(data: dict) -> CorpusConfig:
    data = dict(data)
    augment_config = AugmentConfig(**{k: tuple(v) if isinstance(v, list) else v
                                      for k, v in data.pop("augment", {}).items()})  # fmt: skip
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return CorpusConfig(**fields, augment=augment_config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m animation.speech_corpus",
        description="Build the phoneme-aligned speech corpus of the learned mouth model.",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, default=CorpusConfig.n_train)
    parser.add_argument("--n-heldout", type=int, default=CorpusConfig.n_heldout)
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="cache folder")
    parser.add_argument("--workers", type=int, default=2, help="processes synthesising")
    args = parser.parse_args(argv)
    config = CorpusConfig(seed=args.seed, n_train=args.n_train, n_heldout=args.n_heldout)
    directory = build_corpus(config, args.root, workers=args.workers, progress=True)
    settings = json.loads((directory / "settings.json").read_text())
    print(json.dumps({"corpus": str(directory), **settings}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
