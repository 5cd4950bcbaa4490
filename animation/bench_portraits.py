"""Per-portrait figures of the benchmark, scored from outside by re-detecting every frame.

For each portrait of `portrait_set` one speech clip is animated (espeak-ng sentences full of
p, b, m and open vowels, with pauses between them; libespeak-ng's phoneme events give the
truth of every frame) and the landmark detector is run again on every generated frame:

- closed-frame recall: share of the frames whose phoneme truth is closed (inside a bilabial,
  or inside a pause, its first and last 80 ms left to the articulators) on which the re-detected
  inner-lip gap is at most 3 % of the inter-ocular distance;
- open-frame recall: share of the frames inside an open vowel (a, A:, aa, 0, O: ..., lasting
  60 ms or more) on which that gap is at least 6 %;
- the warp's smallest Jacobian determinant over the clip (the sampling grid the generator
  actually uses, by finite differences) and under a stress set of large poses with an open mouth;
- blinks: the schedule's full closures and the blinks the detector sees (its eye opening
  below half the portrait's own), per minute;
- a mouth contact sheet at 2x: the portrait's own mouth, then closed, half, wide and rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import topology as topo
from .audio import write_wav
from .photo_finish import LUMA
from .visemes import CLOSED_GAP_IOD, OPEN_GAP_IOD

SENTENCES = (
    "Maybe my mother bought a bamboo broom.",
    "Please pass the pepper, Bob.",
    "Papa mopped the bathroom by the pump.",
    "My mom made apple pie and pumpkin bread.",
    "Hop on top of the car, Bob, and stop.",
)
PAUSE_S = 0.6  # silence between sentences
BLINK_OPENING = 0.5  # detected eye opening below this share of the portrait's own: a blink
BLINK_COVER = 0.6  # iris tone this far from its own towards the lid skin's: a blink
STRESS_POSES = ((10, 0, 0), (-10, 0, 0), (0, 7, 0), (0, -7, 0), (0, 0, 5), (8, -6, -4), (-8, 6, 4))
INNER_UPPER = topo.LIPS_INNER_UPPER[4:7]  # the three central pairs of the inner lips
INNER_LOWER = topo.LIPS_INNER_LOWER[4:7]


@dataclass
class BenchSpeech:
    path: Path  # WAV file (22,050 Hz mono)
    duration_s: float
    events: list[tuple[str, float]]  # (espeak-ng phoneme, onset s)


def bench_speech(path: Path, voice: str = "en-us", sentences: int | None = None) -> BenchSpeech:
    """The sentences (the first `sentences` of them) spoken by libespeak-ng with pauses between
    them, and their phonemes."""
    from .speech_corpus import EspeakSynthesizer

    synth = EspeakSynthesizer.shared()
    rate = synth.sample_rate
    pieces, events, time = [np.zeros(int(0.3 * rate), np.float32)], [], 0.3
    for sentence in SENTENCES[:sentences]:
        samples, onsets = synth.synthesize(sentence, voice)
        events += [(name, time + t) for name, t in onsets]
        pieces += [samples, np.zeros(int(PAUSE_S * rate), np.float32)]
        time += (len(samples) + int(PAUSE_S * rate)) / rate
    audio = np.concatenate(pieces)
    write_wav(path, audio, rate)
    return BenchSpeech(path, len(audio) / rate, events)


def frame_truth(speech: BenchSpeech, n_frames: int, fps: float) -> np.ndarray:
    """(T,) per frame: "closed", "open" or "" (no claim), at each frame's centre."""
    from .visemes import frame_claims, phoneme_segments

    return frame_claims(phoneme_segments(speech.events, speech.duration_s), n_frames, fps)


def detect(frames: np.ndarray, finder) -> np.ndarray:
    """(T, 478, 2) re-detected landmarks, NaN where no face was found."""
    out = np.full((len(frames), topo.N_LANDMARKS, 2), np.nan)
    for i, frame in enumerate(frames):
        try:
            out[i] = finder.find(frame).points[:, :2]
        except Exception:  # noqa: BLE001 - a miss is a figure, not a crash
            continue
    return out


def inter_ocular(points: np.ndarray) -> np.ndarray:
    return np.linalg.norm(
        points[..., topo.LEFT_IRIS_CENTER, :] - points[..., topo.RIGHT_IRIS_CENTER, :], axis=-1
    )


def lip_gap(points: np.ndarray) -> np.ndarray:
    """(...,) inner-lip gap of the three central pairs, in inter-ocular distances."""
    gap = points[..., list(INNER_LOWER), 1] - points[..., list(INNER_UPPER), 1]
    return gap.mean(-1) / inter_ocular(points)


def eye_opening(points: np.ndarray) -> np.ndarray:
    """(...,) mean lid distance over the middle of both eyes, in inter-ocular distances."""
    gaps = [
        points[..., list(lower[2:7]), 1] - points[..., list(upper[2:7]), 1]
        for upper, lower in ((topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER),
                             (topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER))
    ]  # fmt: skip
    return np.concatenate(gaps, -1).mean(-1) / inter_ocular(points)


def iris_cover(
    video: np.ndarray, source: np.ndarray, points: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """(T,) how far the lids hide the irises: 0 as in the portrait .. 1 the lid skin's tone.

    A detector-free view of blinks: each iris disc (carried along with its eye's corners) is
    compared with the portrait's own iris and with the lid skin just above the eye."""
    iod = float(inter_ocular(points[None, :, :2])[0])
    covers = []
    for upper, iris in ((topo.RIGHT_EYE_UPPER, topo.RIGHT_IRIS),
                        (topo.LEFT_EYE_UPPER, topo.LEFT_IRIS)):  # fmt: skip
        centre = points[iris[0], :2]
        radius = 0.8 * np.linalg.norm(points[list(iris[1:]), :2] - centre, axis=1).mean()
        corners = points[[upper[0], upper[-1]], :2]
        moved = targets[:, [upper[0], upper[-1]], :2]  # (T, 2, 2)
        # The iris centre in each frame: the similarity taking the corners along.
        a, b = corners[1] - corners[0], moved[:, 1] - moved[:, 0]
        rel = complex(*(centre - corners[0])) / complex(*a)
        spin = (b[:, 0] + 1j * b[:, 1]) * rel
        at = moved[:, 0] + np.stack([spin.real, spin.imag], 1)  # (T, 2)
        lid_y = points[upper[len(upper) // 2], 1]
        lid = source[int(lid_y - 0.12 * iod) : int(lid_y - 0.05 * iod) + 1,
                     int(centre[0] - radius) : int(centre[0] + radius) + 1]  # fmt: skip
        open_tone, lid_tone = _disc_tone(source, centre, radius), (lid @ LUMA).mean()
        tones = np.array([_disc_tone(f, c, radius) for f, c in zip(video, at, strict=True)])
        covers.append(np.clip((tones - open_tone) / max(lid_tone - open_tone, 1.0), 0.0, 1.0))
    return np.mean(covers, axis=0)


def _disc_tone(image: np.ndarray, centre: np.ndarray, radius: float) -> float:
    """Mean luma of `image` within a disc."""
    r = int(np.ceil(radius)) + 1
    x, y = int(round(centre[0])), int(round(centre[1]))
    x0, y0 = max(0, x - r), max(0, y - r)
    patch = image[y0 : y + r + 1, x0 : x + r + 1, :3].astype(np.float64) @ LUMA
    yy, xx = np.mgrid[y0 : y0 + patch.shape[0], x0 : x0 + patch.shape[1]]
    inside = np.hypot(xx - centre[0], yy - centre[1]) <= radius
    return float(patch[inside].mean()) if inside.any() else float("nan")


def count_blinks(shut: np.ndarray) -> int:
    """Runs of True in a (T,) boolean track."""
    shut = np.asarray(shut, dtype=bool)
    return int(shut[0]) + int((shut[1:] & ~shut[:-1]).sum()) if shut.size else 0


def sampling_min_jacobian(generator, targets: torch.Tensor, chunk: int = 25) -> float:
    """Smallest Jacobian determinant of the warp's sampling grid over (T, 478, 2|3) targets."""
    from .warp import jacobian_determinant

    lowest = [float("inf")]

    def record(_module, _inputs, coords):
        lowest[0] = min(lowest[0], float(jacobian_determinant(coords).min()))

    handle = generator.warp.register_forward_hook(record)
    try:
        with torch.inference_mode():
            for start in range(0, len(targets), chunk):
                generator(targets[start : start + chunk])
    finally:
        handle.remove()
    return lowest[0]


def stress_targets(rig) -> torch.Tensor:
    """Large head turns, nods and tilts with the mouth wide open (and closed), (2P, 478, 3)."""
    poses = torch.tensor(STRESS_POSES, dtype=torch.float32).repeat(2, 1)
    n = len(poses)
    mouth = torch.zeros(n, 4)
    mouth[: n // 2, 0] = 1.0  # jaw wide open
    mouth[n // 2 :, 3] = 1.0  # lips pressed
    zeros = torch.zeros
    with torch.inference_mode():
        return rig(mouth, poses, zeros(n, 2), zeros(n), zeros(n, 2), zeros(n))


def schedule_blink_check(n_clips: int = 200, fps: float = 25.0) -> dict:
    """Blink schedule over many clips of 3-7 s and a 5-minute speech clip."""
    from .behaviour import sample_behaviour

    rng = np.random.default_rng(0)
    without = 0
    for seed in range(n_clips):
        n = int(fps * rng.uniform(3.0, 7.0))
        blink = sample_behaviour(n, fps, seed, speech_activity=np.ones(n)).blink
        without += count_blinks(blink >= 0.999) == 0
    n = int(fps * 300)
    long = sample_behaviour(n, fps, 1, speech_activity=np.ones(n)).blink
    return {
        "clips_3_to_7s": n_clips,
        "clips_without_blink": int(without),
        "blinks_per_minute_5min": round(count_blinks(long >= 0.999) / 5.0, 1),
    }


def _mouth_box(points: np.ndarray, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    lips = points[list(topo.LIPS_ALL), :2]
    iod = float(inter_ocular(points[None, :, :2])[0])
    cx, cy = lips.mean(0)
    hw, hh = 0.6 * iod, 0.42 * iod
    x0, y0 = int(max(0, cx - hw)), int(max(0, cy - hh))
    return x0, y0, int(min(shape[1], cx + hw)), int(min(shape[0], cy + hh))


def mouth_sheet_row(source: np.ndarray, video: np.ndarray, result, truth: np.ndarray) -> tuple:
    """(row image, picked frames): source mouth, closed, half, wide, rounded, each at 2x."""
    import cv2

    mouth = result.motion.mouth
    jaw, rounding = mouth[:, 0], mouth[:, 2]
    closed = np.nonzero(truth == "closed")[0]
    picks = {
        "own": None,
        "closed": int(closed[np.argmax(mouth[closed, 3])]) if closed.size else int(np.argmin(jaw)),
        "half": int(np.argmin(np.abs(jaw - 0.5 * jaw.max()))),
        "wide": int(np.argmax(jaw)),
        "rounded": int(np.argmax(rounding)),
    }
    x0, y0, x1, y1 = _mouth_box(result.source_landmarks, source.shape[:2])
    tiles = []
    for label, index in picks.items():
        image = source if index is None else video[index]
        tile = cv2.resize(np.ascontiguousarray(image[y0:y1, x0:x1]), None, fx=2, fy=2,
                          interpolation=cv2.INTER_CUBIC)  # fmt: skip
        text = label if index is None else f"{label} #{index}"
        cv2.putText(tile, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1,
                    cv2.LINE_AA)  # fmt: skip
        tiles.append(tile)
    return np.concatenate(tiles, axis=1), {k: v for k, v in picks.items() if v is not None}


def save_sheet(rows: list[np.ndarray], names: list[str], path: Path) -> None:
    import cv2
    from PIL import Image

    width = max(r.shape[1] for r in rows)
    padded = []
    for row, name in zip(rows, names, strict=True):
        band = np.zeros((18, width, 3), np.uint8)
        cv2.putText(band, name, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1,
                    cv2.LINE_AA)  # fmt: skip
        padded += [band, np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)))]
    Image.fromarray(np.concatenate(padded)).save(path)


def evaluate_portrait(portrait, speech: BenchSpeech, out_dir: Path, size: int, finder) -> dict:
    """Figures of one portrait (and its contact-sheet row, under "sheet_row")."""
    from .generator import PortraitGenerator
    from .head_region import PersonSegmenter
    from .pipeline import animate
    from .portrait import load_portrait, output_size, resize_rgb
    from .rig import FaceRig

    frames: list[np.ndarray] = []

    def keep(chunk: torch.Tensor, start: int) -> torch.Tensor:
        frames.append(chunk.cpu().numpy().copy())
        return chunk

    result = animate(portrait.path, speech.path, out_dir / f"{portrait.name}.mp4", size=size,
                     seed=0, frame_hook=keep)  # fmt: skip
    video = np.concatenate(frames)
    image = load_portrait(portrait.path)
    source = resize_rgb(image, *output_size(image.shape[1], image.shape[0], size))
    truth = frame_truth(speech, len(video), result.fps)
    found = detect(video, finder)
    own = finder.find(source).points[:, :2]
    gap = lip_gap(found)
    closed, opened = truth == "closed", truth == "open"
    seen = ~np.isnan(gap)
    # Blinks the detector sees (eye opening below half the portrait's own) and, without the
    # detector, irises hidden by lids at least BLINK_COVER of the way to the lid skin's tone.
    shut = eye_opening(found) < BLINK_OPENING * eye_opening(own[None])[0]
    covered = iris_cover(video, source, result.source_landmarks, result.target_landmarks)
    minutes = len(video) / result.fps / 60.0
    # The warp's Jacobian on the clip and under stress, on the sampling grid the generator uses.
    with PersonSegmenter() as segmenter:
        mask = segmenter.mask(source)
    generator = PortraitGenerator(source, result.source_landmarks, person_mask=mask)
    targets = torch.zeros(len(video), topo.N_LANDMARKS, 3)
    targets[..., :2] = torch.from_numpy(result.target_landmarks)
    clip_jacobian = sampling_min_jacobian(generator, targets)
    stress_jacobian = sampling_min_jacobian(
        generator, stress_targets(FaceRig(result.source_landmarks))
    )
    row, picks = mouth_sheet_row(source, video, result, truth)
    return {
        "frames": len(video),
        "closed_frames": int(closed.sum()),
        "open_frames": int(opened.sum()),
        "closed_recall": _share(gap[closed & seen] <= CLOSED_GAP_IOD, closed.sum()),
        "open_recall": _share(gap[opened & seen] >= OPEN_GAP_IOD, opened.sum()),
        "own_lip_gap_pct_iod": round(float(lip_gap(own[None])[0]) * 100, 2),
        "frames_missed": int((~seen).sum()),
        "min_jacobian_clip": round(clip_jacobian, 3),
        "min_jacobian_stress": round(stress_jacobian, 3),
        "blinks_scheduled": count_blinks(result.motion.blink >= 0.999),
        "blinks_detected": count_blinks(shut),
        "blinks_per_minute_detected": round(count_blinks(shut) / minutes, 1),
        "blinks_iris_hidden": count_blinks(covered >= BLINK_COVER),
        "blinks_per_minute_iris_hidden": round(count_blinks(covered >= BLINK_COVER) / minutes, 1),
        "deepest_iris_cover": round(float(covered.max()), 2),
        "sheet_frames": picks,
        "sheet_row": row,
    }


def _share(hits: np.ndarray, total: int) -> float | None:
    """hits / total, with frames the detector missed counted as misses."""
    return round(float(np.sum(hits)) / total, 3) if total else None
