"""Perceptual fingerprints of clips and images: the last resort when manifest and watermark are
both gone.

Each clip is cut into ``SEGMENTS`` equal stretches of time; the mean luma of each stretch is
area-resized to 64x64 and its 2-D DCT taken; the signs of the 8x8 lowest-frequency coefficients
(minus DC) relative to their median give 63 bits. Low DCT frequencies survive re-encoding,
rescaling and brightness changes; mean-of-stretch makes it insensitive to frame rate and
dropped frames. An image is one segment. The distance is the mean normalised Hamming distance
over segments (0 = identical, ~0.5 = unrelated); ``MATCH_THRESHOLD`` is set by the benchmark.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "MATCH_THRESHOLD",
    "Fingerprint",
    "fingerprint",
    "fingerprint_distance",
    "fingerprint_image",
    "fingerprint_luma",
    "fingerprint_video",
    "FrameFingerprinter",
]

SEGMENTS = 8
SIDE = 64
BAND = 8
MATCH_THRESHOLD = 0.27
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])  # BT.601


@dataclass(frozen=True)
class Fingerprint:
    bits: np.ndarray  # (segments, 63) uint8

    def to_hex(self) -> str:
        return ".".join(np.packbits(row).tobytes().hex() for row in self.bits)

    @classmethod
    def from_hex(cls, text: str) -> Fingerprint:
        rows = [np.unpackbits(np.frombuffer(bytes.fromhex(p), np.uint8)) for p in text.split(".")]
        return cls(np.stack([r[: BAND * BAND - 1] for r in rows]))


def _hash_plane(luma: np.ndarray) -> np.ndarray:
    small = cv2.resize(luma.astype(np.float32), (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    coeffs = cv2.dct(small)[:BAND, :BAND].flatten()[1:]
    return (coeffs > np.median(coeffs)).astype(np.uint8)


def fingerprint_luma(planes: list[np.ndarray] | np.ndarray) -> Fingerprint:
    """From a sequence of (H, W) luma planes."""
    n = len(planes)
    if n == 0:
        raise ValueError("no frames to fingerprint")
    edges = segment_edges(n)
    rows = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        mean = np.mean([np.asarray(p, np.float32) for p in planes[a:b]], axis=0)
        rows.append(_hash_plane(mean))
    return Fingerprint(np.stack(rows))


def fingerprint_image(rgb: np.ndarray) -> Fingerprint:
    luma = rgb[..., :3].astype(np.float32) @ LUMA_WEIGHTS.astype(np.float32)
    return Fingerprint(_hash_plane(luma)[None])


def fingerprint(path: str | os.PathLike[str]) -> Fingerprint:
    """Fingerprint of a video (MP4 etc.) or an image file (PNG/JPEG)."""
    from provenance.media import load_image_rgb

    if str(path).lower().endswith((".png", ".jpg", ".jpeg")):
        return fingerprint_image(load_image_rgb(path))
    return fingerprint_video(path)


def fingerprint_video(path: str | os.PathLike[str]) -> Fingerprint:
    """The same bits as ``fingerprint_luma`` over every decoded frame's half-size luma, in
    memory that stays flat whatever the frame count: the frames are counted first (demuxing
    only), then each stretch's mean is a running float32 sum of its frames, added in the same
    order as ``np.mean`` adds them, so the result is bit for bit the same. If fewer frames
    decode than were counted (damaged packets), the last stretches are shorter or dropped;
    frames beyond the count join the last stretch."""
    from provenance.media import MAX_FRAMES, count_video_frames, iter_video_luma

    expected = min(count_video_frames(path), MAX_FRAMES)
    edges = segment_edges(expected)
    segs = len(edges) - 1
    rows: list[np.ndarray] = []
    total: np.ndarray | None = None
    count = 0
    segment = 0
    for i, luma in enumerate(iter_video_luma(path, max_frames=MAX_FRAMES)):
        while segment < segs - 1 and i >= edges[segment + 1]:
            if total is not None:
                rows.append(_hash_plane(_mean_of_sum(total, count)))
            total, count, segment = None, 0, segment + 1
        plane = luma[::2, ::2].astype(np.float32)
        total = plane if total is None else np.add(total, plane, out=total)
        count += 1
    if total is not None:
        rows.append(_hash_plane(_mean_of_sum(total, count)))
    if not rows:
        raise ValueError("no frames to fingerprint")
    return Fingerprint(np.stack(rows))


def segment_edges(n: int) -> np.ndarray:
    """Frame numbers where each of a clip's stretches starts, plus the end: (segments + 1,)."""
    segs = max(1, min(SEGMENTS, n))
    return np.linspace(0, max(n, 1), segs + 1).round().astype(int)


class FrameFingerprinter:
    """The fingerprint of a clip from its frames as they are made, before encoding (no decode).

    ``add(frames)`` takes each chunk of (N, H, W, 3) uint8 RGB frames in order, as a numpy
    array or a torch tensor on any device; ``result()`` hashes each stretch's mean exactly as
    ``fingerprint_video`` does (half-size luma; luma is linear, so the luma of the stretch's
    mean RGB is the mean of its lumas). The encoder's loss moves the hash by a few bits at
    most, far inside ``MATCH_THRESHOLD``. Memory: one half-size sum per stretch.
    """

    def __init__(self, total_frames: int) -> None:
        if total_frames < 1:
            raise ValueError("no frames to fingerprint")
        self.total = total_frames
        self.edges = segment_edges(total_frames)
        self._sums: list[np.ndarray | None] = [None] * (len(self.edges) - 1)
        self._seen = 0

    def add(self, frames) -> None:
        start, stop = self._seen, self._seen + len(frames)
        if stop > self.total:
            raise ValueError(f"more than the {self.total} frames announced")
        for seg, (a, b) in enumerate(zip(self.edges[:-1], self.edges[1:], strict=True)):
            lo, hi = max(a, start), min(b, stop)
            if lo < hi:
                part = _half_size_sum(frames[lo - start : hi - start])
                total = self._sums[seg]
                self._sums[seg] = part if total is None else total + part
        self._seen = stop

    def result(self) -> Fingerprint:
        if self._seen != self.total:
            raise ValueError(f"{self._seen} of the {self.total} frames announced were added")
        rows = []
        for total, a, b in zip(self._sums, self.edges[:-1], self.edges[1:], strict=True):
            mean_rgb = total / float(b - a)
            rows.append(_hash_plane(mean_rgb @ LUMA_WEIGHTS))
        return Fingerprint(np.stack(rows))


def _half_size_sum(frames) -> np.ndarray:
    """(N, H, W, 3) uint8 (numpy or torch) -> (H/2, W/2, 3) float64 sum over the frames."""
    half = frames[:, ::2, ::2]
    if isinstance(half, np.ndarray):
        return half.sum(axis=0, dtype=np.float64)
    return half.float().sum(dim=0).cpu().numpy().astype(np.float64)


def _mean_of_sum(total: np.ndarray, count: int) -> np.ndarray:
    # np.mean divides its float32 sum by an intp count in place; do exactly that.
    return np.true_divide(total, np.intp(count), out=total, casting="unsafe")


def fingerprint_distance(a: Fingerprint, b: Fingerprint) -> float:
    """Mean normalised Hamming distance over segments, resampled to the shorter of the two."""
    n = min(len(a.bits), len(b.bits))
    ia = np.linspace(0, len(a.bits) - 1, n).round().astype(int)
    ib = np.linspace(0, len(b.bits) - 1, n).round().astype(int)
    return float(np.mean(a.bits[ia] != b.bits[ib]))
