"""Phonemes -> visemes -> per-frame mouth targets, with coarticulation and anticipation.

The learned mouth model is trained on speech whose phoneme timing is known exactly (espeak-ng's
phoneme events). This module turns such a phoneme sequence into the four mouth parameters the
rig consumes (`motion.MOUTH_PARAMETERS`) at any set of instants:

1. each espeak-ng phoneme name maps to one of a few viseme classes (a mouth shape prototype);
2. stops are marked by espeak-ng at their release, so their closure is moved back into the
   end of the previous segment (the silent gap before the burst);
3. every segment exerts a dominance on each parameter that is full inside the segment and
   decays exponentially outside it (Cohen & Massaro's coarticulation model): slowly before
   the segment (the mouth anticipates what comes) and faster after it (carry-over). The
   target at an instant is the dominance-weighted mean of the segment prototypes;
4. a short Gaussian smoothing models the finite speed of the articulators.

Classes and prototypes are the same for training targets and for the evaluation's viseme
accuracy (a frame's viseme is the nearest prototype of its four parameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

# name, (jaw_open, lip_width, lip_round, lip_closure), anticipation s, carry-over s
VISEMES: tuple[tuple[str, tuple[float, float, float, float], float, float], ...] = (
    ("rest", (0.0, 0.0, 0.0, 0.0), 0.05, 0.05),
    ("bilabial", (0.0, 0.0, 0.0, 1.0), 0.015, 0.012),  # p b m: lips pressed together
    ("labiodental", (0.1, 0.1, 0.0, 0.55), 0.02, 0.015),  # f v: lower lip to the teeth
    ("open", (1.0, 0.15, 0.0, 0.0), 0.07, 0.05),  # a, A:, aI
    ("mid", (0.65, 0.25, 0.0, 0.0), 0.07, 0.05),  # e, E, @, 3, V
    ("spread", (0.35, 0.75, 0.0, 0.0), 0.07, 0.05),  # i, I, j
    ("round", (0.35, -0.45, 0.9, 0.0), 0.08, 0.06),  # u, U, y, w: rounding anticipates
    ("round_open", (0.7, -0.25, 0.6, 0.0), 0.08, 0.06),  # o, O, 0, 9
    ("postalveolar", (0.2, -0.15, 0.55, 0.0), 0.08, 0.04),  # S Z tS dZ: protruded lips
    ("sibilant", (0.08, 0.45, 0.0, 0.0), 0.05, 0.03),  # s z ts: teeth together, lips spread
    ("consonant", (0.22, 0.1, 0.0, 0.0), 0.04, 0.03),  # t d n l r k g h x ...
)
VISEME_NAMES = tuple(v[0] for v in VISEMES)
VISEME_PROTOTYPES = np.array([v[1] for v in VISEMES], dtype=np.float64)  # (V, 4)
REST, BILABIAL = 0, 1
_INDEX = {name: i for i, name in enumerate(VISEME_NAMES)}

# How strongly a class holds each parameter against its neighbours (jaw, width, round, closure):
# a bilabial must close the lips even when short; vowels own the jaw; a pause is weak so that
# the mouth starts moving before the sound and lingers briefly after it.
_STRENGTH = {
    "rest": (1.0, 1.0, 1.0, 1.0),
    "bilabial": (2.5, 0.6, 0.4, 5.0),
    "labiodental": (1.0, 0.6, 0.4, 2.0),
    "round": (1.0, 1.5, 2.0, 1.0),
    "round_open": (1.0, 1.2, 1.5, 1.0),
    "postalveolar": (0.8, 1.0, 1.2, 1.0),
    "sibilant": (1.0, 1.0, 0.8, 1.0),
    "consonant": (0.5, 0.3, 0.3, 0.8),
}
VISEME_STRENGTH = np.array(
    [_STRENGTH.get(name, (1.0, 1.0, 1.0, 1.0)) for name in VISEME_NAMES], dtype=np.float64
)  # (V, 4)

_STOP_START = "pbtdkgcq"  # espeak-ng marks these at their release
_OPEN, _MID, _SPREAD, _ROUND, _ROUND_OPEN = "aA&{", "eE@3V", "iIj", "uUyYwW2", "oO09"
_VOWELS = frozenset(("open", "mid", "spread", "round", "round_open"))


def viseme_of(phoneme: str) -> int:
    """Viseme class index of an espeak-ng phoneme mnemonic (any language)."""
    name = phoneme.strip().lstrip("'\",%=")
    if not name or name[0] in "_|":
        return REST
    if name[:2] in ("tS", "dZ") or name[0] in "SZ":
        return _INDEX["postalveolar"]
    if name[:2] in ("ts", "dz") or name[0] in "sz":
        return _INDEX["sibilant"]
    first = name[0]
    if first in "pbmB":
        return BILABIAL
    if first in "fvF":
        return _INDEX["labiodental"]
    if name[:2] in ("I#", "a#"):  # reduced vowels (English "roses", "about")
        return _INDEX["mid"]
    for letters, cls in ((_OPEN, "open"), (_MID, "mid"), (_SPREAD, "spread"),
                         (_ROUND, "round"), (_ROUND_OPEN, "round_open")):  # fmt: skip
        if first in letters:
            return _INDEX[cls]
    return _INDEX["consonant"]


def is_stop(phoneme: str) -> bool:
    name = phoneme.strip().lstrip("'\",%=")
    return bool(name) and name[0] in _STOP_START


def _vowel_parts(phoneme: str) -> list[int]:
    """Diphthongs (aI, aU, oU, eI, OI ...) glide: the viseme of each vowel letter in turn."""
    name = phoneme.strip().lstrip("'\",%=")
    first = viseme_of(name)
    if VISEME_NAMES[first] not in _VOWELS or name[0] in "jwW" or len(name) < 2:
        return [first]
    second = name[1]
    if second in _SPREAD + _ROUND + _ROUND_OPEN + "@" and second not in "j":
        return [first, viseme_of(second)]
    return [first]


@dataclass(frozen=True)
class VisemeConfig:
    closure_s: float = 0.07  # longest stop closure moved back before the release event
    closure_fraction: float = 0.5  # ... and at most this fraction of the previous segment
    anticipation_scale: float = 1.0  # scales every class's anticipation time constant
    carryover_scale: float = 1.0  # scales every class's carry-over time constant
    smoothing_s: float = 0.015  # Gaussian smoothing of the result (articulator inertia)
    grid_s: float = 0.005  # resolution the targets are computed at before interpolation


@dataclass(frozen=True)
class Segment:
    viseme: int  # class index into VISEMES
    start: float  # s
    end: float  # s
    phoneme: str  # espeak-ng mnemonic it came from


def phoneme_segments(
    events: Sequence[tuple[str, float]], duration: float, config: VisemeConfig | None = None,
    *, stops_at_release: bool = True,
) -> list[Segment]:  # fmt: skip
    """Segments (viseme, start, end) from (phoneme, onset s) events of one utterance.

    Where stops are marked at their release (espeak-ng), their closure is moved back before
    it; aligners and other synthesizers (`stops_at_release=False`) time a stop from its
    closure already. Diphthongs are split into two halves; the stretch before the first
    event and after the last is rest.
    """
    c = config or VisemeConfig()
    onsets = [(name, float(t)) for name, t in events]
    onsets.sort(key=lambda e: e[1])
    raw: list[list] = []  # [phoneme, start, end]
    for i, (name, t) in enumerate(onsets):
        end = onsets[i + 1][1] if i + 1 < len(onsets) else duration
        raw.append([name, t, max(t, min(end, duration))])
    # Closures: the silent stretch at the end of the previous segment belongs to the stop.
    for i in range(1, len(raw) if stops_at_release else 0):
        if is_stop(raw[i][0]):
            prev = raw[i - 1]
            closure = min(c.closure_s, c.closure_fraction * (prev[2] - prev[1]))
            prev[2] -= closure
            raw[i][1] -= closure
    segments: list[Segment] = []
    start0 = raw[0][1] if raw else duration
    if start0 > 0:
        segments.append(Segment(REST, 0.0, start0, "_"))
    for name, start, end in raw:
        if end - start <= 1e-4:
            continue
        parts = _vowel_parts(name)
        step = (end - start) / len(parts)
        for k, viseme in enumerate(parts):
            segments.append(Segment(viseme, start + k * step, start + (k + 1) * step, name))
    if raw and raw[-1][2] < duration:
        segments.append(Segment(REST, raw[-1][2], duration, "_"))
    if not segments:
        segments.append(Segment(REST, 0.0, duration, "_"))
    return segments


def mouth_targets(
    segments: Sequence[Segment], times: np.ndarray, config: VisemeConfig | None = None
) -> np.ndarray:
    """(T, 4) mouth parameters at `times` (s) from viseme segments, with coarticulation."""
    c = config or VisemeConfig()
    times = np.asarray(times, dtype=np.float64)
    duration = max([s.end for s in segments] + [float(times.max(initial=0.0))]) + c.grid_s
    grid = np.arange(0.0, duration + c.grid_s, c.grid_s)  # (G,)
    vis = np.array([s.viseme for s in segments])  # (N,)
    start = np.array([s.start for s in segments])[None, :]  # (1, N)
    end = np.array([s.end for s in segments])[None, :]  # (1, N)
    ant = np.array([VISEMES[v][2] for v in vis]) * c.anticipation_scale  # (N,)
    car = np.array([VISEMES[v][3] for v in vis]) * c.carryover_scale  # (N,)
    g = grid[:, None]  # (G, 1)
    before = np.clip(start - g, 0.0, None)  # (G, N) time until the segment starts
    after = np.clip(g - end, 0.0, None)  # (G, N) time since it ended
    # Per-parameter dominance: strength x temporal decay (rounding reaches further ahead).
    reach = np.exp(-before / ant[None, :] - after / car[None, :])  # (G, N)
    dominance = reach[:, :, None] * VISEME_STRENGTH[vis][None, :, :]  # (G, N, 4)
    dominance = dominance + 1e-12
    params = (dominance * VISEME_PROTOTYPES[vis][None, :, :]).sum(1) / dominance.sum(1)  # (G, 4)
    params = _gaussian_smooth(params, c.smoothing_s / c.grid_s)
    out = np.stack([np.interp(times, grid, params[:, k]) for k in range(4)], axis=1)
    return out.astype(np.float32)  # (T, 4)


# What the lips must do, frame by frame, where the phonemes leave no doubt (the figures of
# `animation.bench`, measured on re-detected lips, and of `evaluate_mouth`, on the rig's gap):
CLOSED_GAP_IOD = 0.03  # inner-lip gap of closed lips, at most
OPEN_GAP_IOD = 0.06  # inner-lip gap on an open vowel, at least
PAUSE_EDGE_S = 0.08  # pause frames this close to speech are left out of the closed claims
OPEN_MIN_S = 0.06  # open vowels shorter than this are left out of the open claims
OPEN_VISEMES = ("open", "round_open")


def frame_claims(segments: Sequence[Segment], n_frames: int, fps: float) -> np.ndarray:
    """(T,) per frame, at its centre: "closed" (inside a bilabial, or inside a pause but its
    first and last PAUSE_EDGE_S), "open" (inside an open vowel of OPEN_MIN_S or more) or ""."""
    claims = np.full(n_frames, "", dtype=object)
    centres = (np.arange(n_frames) + 0.5) / fps
    for seg in segments:
        if seg.viseme == BILABIAL:
            claims[(centres >= seg.start) & (centres < seg.end)] = "closed"
        elif seg.viseme == REST:
            edge = PAUSE_EDGE_S
            claims[(centres >= seg.start + edge) & (centres < seg.end - edge)] = "closed"
        elif VISEME_NAMES[seg.viseme] in OPEN_VISEMES and seg.end - seg.start >= OPEN_MIN_S:
            claims[(centres >= seg.start) & (centres < seg.end)] = "open"
    return claims


def viseme_settings() -> dict:
    """Everything that defines the targets, for the checkpoint's JSON."""
    return {
        "classes": [
            {"name": name, "prototype": list(proto), "anticipation_s": ant, "carryover_s": car,
             "strength": list(VISEME_STRENGTH[i])}
            for i, (name, proto, ant, car) in enumerate(VISEMES)
        ],
        "config": asdict(VisemeConfig()),
    }  # fmt: skip


def nearest_viseme(params: np.ndarray) -> np.ndarray:
    """(T,) viseme class of each row of (T, 4) mouth parameters (nearest prototype)."""
    params = np.asarray(params, dtype=np.float64)
    distance = ((params[:, None, :] - VISEME_PROTOTYPES[None, :, :]) ** 2).sum(-1)  # (T, V)
    return distance.argmin(1)


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth (G, D) along axis 0 with edge replication (sigma in samples)."""
    if sigma < 0.3:
        return x
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    padded = np.pad(x, ((radius, radius), (0, 0)), mode="edge")
    return np.stack(
        [np.convolve(padded[:, k], taps, mode="valid") for k in range(x.shape[1])], axis=1
    )
