"""Keyed quantization-index watermark carrying a 64-bit id in video frames and images (torch).

Design (why each part is there):

* **Payload.** 64-bit id -> CRC-32 -> K=7 rate-1/2 convolutional code = 204 coded bits
  (:mod:`provenance.ecc`), decoded with a CRC-aided list Viterbi decoder (32 candidates).
* **Blocks.** At the *canonical* scale (the frame's short side 512 px) the frame is cut into
  32 x 32 px blocks; a keyed layout of 16 x 16 blocks (512 x 512 px) repeats over wider frames.
  204 blocks of the layout carry one coded bit each (keyed interleaving), 52 a known pilot bit.
  Each block has a keyed direction ``v``: a mix of two smooth dipoles, sin(pi y) sin(2 pi x)
  and sin(2 pi y) sin(pi x) over the block, which vanish at its edges. The mark lives around
  1/64-1/32 cycle per pixel: H.264 keeps 99 % of these shapes' projections after a 50 %
  downscale at CRF 28 (it kept 44-94 % of the (2,2), (2,3), (3,2) and saddle shapes also tried),
  and no fine cross-hatch can appear (v2's 8 px checker put its energy at 1/8 cycle per pixel,
  which is what showed on skin, hair and white walls).
* **Quantization, not addition (why v3).** A spread-spectrum mark is read against the picture
  itself: at low frequencies the picture's own projection on a pattern is tens of times the
  mark's, so v2 had to live at high frequencies and spend 38.5 dB. Here each block's projection
  ``p = <block, v>`` is moved to the nearest point of the lattice ``2 D Z + (dither + bit) D``
  (dither keyed per block): the picture does not interfere, only what an attack changes does.
  The step ``D = g * R`` is proportional to ``R``, the mean luma of a fixed reference region
  (the layout's central 256 x 256 px), so a brightness change scales both. ``g`` is one of a
  ladder of levels 0.75 dB apart, chosen from ``R`` so that the expected energy (D^2 / 3 a
  block) meets the PSNR target, lower where saturated colours make moves dearer (below); the
  moves are then capped (largest first) to the exact budget. The embedder overshoots each move
  by ``overshoot`` (1.15): re-encoding shrinks a move by 10-30 %.
* **Groups of frames.** Frames are marked in groups of 25 (one second): the pattern is informed by
  the group's mean picture (every 6th frame) and added to each of its frames (a saturating uint8
  add). The level is chosen by the clip's first group and kept (``Watermarker`` holds it across
  calls, a clip's frames arriving in chunks). Each group's projections sit on the lattice; the
  mean of a whole clip's frames does only where the picture is still (a moving head changes its
  blocks' projections from group to group, and H.264 carries a changed pattern poorly in P
  frames), so the detector reads the groups one by one.
* **Saturated colours.** A move is the same on R, G and B (a pure luma change) except where a
  channel would pass 0 or 255: its share then goes to the channels with room (up to twice the
  step), so a vivid colour still takes the luma move. The PSNR counts all three channels, so
  such blocks' moves cost more, which the level choice and the cap account for.
* **Brightened copies.** Brightening clips the channels that pass 255, and where a colour ramps
  through that level (a lit cheek's red, a vivid colour) a block's projection then stops scaling
  with the gain: on a colour wheel the host's own projection moved by up to 2.7 steps, which made
  15 of the 18 blocks a brightened copy misread. The embedder computes that displacement for a
  20 % brightening (``BRIGHTENED``) and, where the brightened read would be off by more than
  ``BRIGHTENED_SLACK`` (0.35 step), puts the block half of it before its lattice point, so that
  the copy as made and the brightened one both fall within the half step a read tolerates.
  Blocks whose brightened luma clips white are left alone: the detector discounts them anyway,
  and the shift would cost the copy as made.
* **Detection.** Decode the luma of the frames, keep the mean picture of each of the first
  ``max_groups`` groups of 25 frames. For each candidate crop ratio, resize to the canonical
  scale and correlate with the two shapes (FFT); for every crop offset the ratio allows and
  every level from 6 below to 3 above the one the reference region predicts, score the pilots
  (``sum cos(pi e)``, ``e`` a block's distance to its lattice point in steps) on the first
  ``search_groups`` groups' pictures. The best seeds are refined on all the groups' pictures over
  +-2 px and +-1.5 levels in quarter levels (an attack shrinks the projections by a few per cent,
  the reference luma not, and a lattice read at the wrong scale drifts by the projection's size
  times the error), with the data blocks joining the score on the union lattice ``D Z``. The
  best positions are decoded: a block's soft value is its distance to the bit-1 lattice against
  the bit-0 lattice, summed over groups and copies. A block counts less the more of its pixels
  are clipped black or white (a brightened copy loses those blocks' projections) and the worse
  its 5 x 5 neighbourhood sits on the lattices (a region a damaged packet garbled, concealed to
  the next key frame), nothing when it is cropped away.
* **Decision and false detections.** ``detected`` iff the CRC-32 of a list-decoded candidate checks
  at one of the ``DECODE_TRIES`` = 4 best sync positions (and the sync score reaches
  ``Z_THRESHOLD``, a sanity check). Without a mark, the decoded bits are a function of the
  picture that no key shaped, so each of the 4 x 32 candidates passes the 32-bit CRC with
  probability 2^-32: the false-detection probability per clip or image is at most
  4 * 32 * 2^-32 = 3.0e-8, whatever the picture's statistics (no Gaussian model is needed). v2
  bounded its 4.0e-8 with a pilot z-score of 6 and a 16-bit CRC; v3's sync search covers far
  more candidates (offsets x fractional levels), so its score alone bounds nothing (unmarked
  pictures reach 5-6) and the CRC carries the bound. ``python -m provenance bench --full``
  counts false detections on 1,000 unmarked images and 40 unmarked clips.

The embedder is usable directly as the animation pipeline's frame hook:
``Watermarker(key, payload)(frames (N,H,W,3) uint8 RGB, start_index) -> frames``.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from provenance import ecc
from provenance.binding import DEFAULT_ALG
from provenance.fingerprint import LUMA_WEIGHTS

__all__ = [
    "ALG",
    "DEFAULT_KEY",
    "Z_THRESHOLD",
    "WatermarkConfig",
    "WatermarkResult",
    "Watermarker",
    "detect_frames",
    "detect_image",
    "detect_video",
    "false_detection_bound",
]

# The soft-binding algorithm name by default (unregistered); a platform configures its own
# domain (provenance.binding.soft_binding_alg, setting PROVENANCE_SOFT_BINDING_ALG_DOMAIN).
ALG = DEFAULT_ALG
DEFAULT_KEY = b"likeness-dev-watermark-key"  # production passes its own secret key
Z_THRESHOLD = 3.0  # sync score a detection must also reach (the CRC bounds false detections)
CANON = 512  # canonical short side
BLOCK = 32  # canonical pixels per block side
LAYOUT = 16  # blocks per layout side (the layout is 512 x 512 canonical pixels)
N_PILOT = LAYOUT * LAYOUT - ecc.CODED_BITS  # 52
CROP_RATIOS = (1.0, 0.95, 0.9, 0.85, 0.8)  # current short side / original short side
GROUP_FRAMES = 25  # frames per pattern (one second at 25 fps)
CLIPPED_BLACK, CLIPPED_WHITE = 2.0, 253.0  # luma at or past these counts as clipped
CLIPPED_SCALE = 0.03  # a block with this share of clipped pixels counts e^-1 as much
DECODE_TRIES = 4  # sync positions whose decode is tried against the CRC
REF = (4 * BLOCK, 12 * BLOCK)  # the reference region's rows and columns (canonical px)
REF_FLOOR = 16.0  # a black picture still gets a usable step
G0 = 0.01  # the lowest level's step per unit of reference luma
LEVEL_STEP = 10 ** (0.75 / 20)  # ratio between consecutive levels
# A block's direction mixes two smooth dipoles, sin(a pi y) sin(b pi x) for (a, b) = (1, 2) and
# (2, 1): measured on the benchmark's clips after CRF 28 + 50 % downscale, H.264 keeps 99 % of
# these shapes' projections where it kept 44-62 % of (2, 2) and of the saddle sin(pi y) sin(3 pi x)
# - sin(3 pi y) sin(pi x) on a colour wheel, and 82-94 % of (2, 3) and (3, 2).
_SHAPES = ((1, 2), (2, 1))


@dataclass(frozen=True)
class WatermarkConfig:
    """Embedding strength and detection search. Defaults are tuned by ``python -m provenance
    bench``."""

    target_psnr: float = 42.2  # every group's pattern is capped to this PSNR (dB); bar is 42
    overshoot: float = 1.15  # steps are this much longer than the lattice needs (codecs shrink)
    level_window: int = 3  # detector: levels tried above the predicted one (twice as many below)
    union_weight: float = 0.5  # detector: weight of data blocks in the refined sync score
    seeds: int = 16  # detector: sync positions refined on the groups' pictures
    refine_px: int = 2  # detector: +- pixels around a seed
    max_groups: int = 8  # detector: groups of frames read one by one (the first ones)
    search_groups: int = 2  # detector: groups whose pictures the coarse sync search reads


@dataclass(frozen=True)
class WatermarkResult:
    detected: bool  # CRC ok and sync score >= threshold
    payload: int | None  # the 64-bit id when detected
    confidence: float  # 1 - bound on P(this result under no watermark)
    z_score: float  # sync score of the decoded position
    crc_ok: bool
    bit_agreement: float  # share of soft values agreeing with the decoded codeword
    scale_ratio: float  # crop ratio candidate that won
    frames_used: int
    threshold: float = Z_THRESHOLD
    soft: np.ndarray | None = field(default=None, repr=False)  # 204 soft values

    @property
    def payload_hex(self) -> str | None:
        return None if self.payload is None else f"{self.payload:016x}"

    def as_dict(self) -> dict[str, object]:
        return {
            "alg": ALG,
            "detected": self.detected,
            "payload": self.payload_hex,
            "confidence": self.confidence,
            "z_score": self.z_score,
            "crc_ok": self.crc_ok,
            "bit_agreement": self.bit_agreement,
            "scale_ratio": self.scale_ratio,
            "frames_used": self.frames_used,
            "threshold": self.threshold,
            "false_detection_bound": false_detection_bound(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> WatermarkResult:
        """The inverse of :meth:`as_dict` (the soft values are not carried)."""
        payload = data["payload"]
        return cls(
            detected=bool(data["detected"]),
            payload=None if payload is None else int(str(payload), 16),
            confidence=float(data["confidence"]),
            z_score=float(data["z_score"]),
            crc_ok=bool(data["crc_ok"]),
            bit_agreement=float(data["bit_agreement"]),
            scale_ratio=float(data["scale_ratio"]),
            frames_used=int(data["frames_used"]),
            threshold=float(data["threshold"]),
        )


def false_detection_bound() -> float:
    """Upper bound on P(detected) for an unmarked clip or image (see module doc)."""
    return min(1.0, DECODE_TRIES * ecc.LIST_SIZE * 2.0**-ecc.CRC_BITS)


# ---------------------------------------------------------------------------------------------
# Keyed layout


@lru_cache(maxsize=1)
def _shapes() -> torch.Tensor:
    """(2, BLOCK, BLOCK) orthonormal smooth zero-mean shapes, vanishing at the block's edges."""
    t = (torch.arange(BLOCK, dtype=torch.float64) + 0.5) / BLOCK
    s = {k: torch.sin(math.pi * k * t) for k in (1, 2)}
    raw = [torch.outer(s[a], s[b]) for a, b in _SHAPES]
    out: list[torch.Tensor] = []
    for p in raw:
        p = p - p.mean()
        for q in out:
            p = p - (p * q).sum() * q
        out.append(p / p.norm())
    return torch.stack(out).float()


@dataclass(frozen=True)
class _Layout:
    mix: torch.Tensor  # (16, 16, 2) unit mixing weights: block direction = mix . shapes
    vectors: torch.Tensor  # (16, 16, BLOCK, BLOCK) unit directions
    dither: torch.Tensor  # (16, 16) lattice offset in steps, [0, 2)
    pilot: torch.Tensor  # (16, 16) bool
    bit_index: torch.Tensor  # (16, 16) coded bit of a data block, -1 for pilots
    pilot_bit: torch.Tensor  # (16, 16) 0/1, the known bit of a pilot block

    def bits(self, coded: np.ndarray) -> torch.Tensor:
        """(16, 16) bit of every block for ``coded`` (204 coded bits)."""
        data = torch.from_numpy(coded.astype(np.int64))[self.bit_index.clamp(min=0)]
        return torch.where(self.pilot, self.pilot_bit, data)


@lru_cache(maxsize=16)
def _layout(key: bytes) -> _Layout:
    seed = int.from_bytes(hashlib.sha256(b"ssw.v3/" + key).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    shapes = _shapes()
    mix = rng.normal(size=(LAYOUT, LAYOUT, shapes.shape[0]))
    mix /= np.linalg.norm(mix, axis=-1, keepdims=True)
    mix_t = torch.from_numpy(mix).float()
    vectors = torch.einsum("ijm,mab->ijab", mix_t, shapes)
    vectors = vectors / vectors.flatten(2).norm(dim=-1)[..., None, None]
    dither = torch.from_numpy(rng.uniform(0.0, 2.0, (LAYOUT, LAYOUT))).float()
    perm = rng.permutation(LAYOUT * LAYOUT)
    pilot = np.zeros(LAYOUT * LAYOUT, dtype=bool)
    pilot[perm[:N_PILOT]] = True
    bit_index = np.full(LAYOUT * LAYOUT, -1, dtype=np.int64)
    bit_index[perm[N_PILOT:]] = np.arange(ecc.CODED_BITS)
    pilot_bit = rng.integers(0, 2, LAYOUT * LAYOUT)
    return _Layout(
        mix=mix_t,
        vectors=vectors,
        dither=dither,
        pilot=torch.from_numpy(pilot.reshape(LAYOUT, LAYOUT)),
        bit_index=torch.from_numpy(bit_index.reshape(LAYOUT, LAYOUT)),
        pilot_bit=torch.from_numpy(pilot_bit.reshape(LAYOUT, LAYOUT)),
    )


def _step(level: float | torch.Tensor, ref: float | torch.Tensor) -> torch.Tensor | float:
    """The lattice step D of ``level`` for a reference luma ``ref``."""
    if isinstance(ref, torch.Tensor) or isinstance(level, torch.Tensor):
        ref_t = torch.as_tensor(ref).clamp(min=REF_FLOOR)
        return G0 * torch.pow(torch.tensor(LEVEL_STEP), torch.as_tensor(level).float()) * ref_t
    return G0 * LEVEL_STEP**level * max(float(ref), REF_FLOOR)


def _target_step(cfg: WatermarkConfig) -> float:
    """The step whose overshot quantization error (D^2/3 a block) fills the PSNR budget."""
    mse = 255.0**2 / 10 ** (cfg.target_psnr / 10)
    return math.sqrt(3.0 * mse * BLOCK * BLOCK) / cfg.overshoot


def _level_for(ref: float | torch.Tensor, cfg: WatermarkConfig) -> torch.Tensor:
    """The level a reference luma predicts (the one whose expected energy meets the budget)."""
    ref_t = torch.as_tensor(ref, dtype=torch.float32).clamp(min=REF_FLOOR)
    return torch.round(torch.log(_target_step(cfg) / (G0 * ref_t)) / math.log(LEVEL_STEP))


# ---------------------------------------------------------------------------------------------
# Geometry helpers


@contextmanager
def _one_cpu_thread(device: torch.device) -> Iterator[None]:
    """Run CPU work on one thread. Embedding and detection are many small memory-bound passes:
    split over threads they gain little on an idle machine and, when another process holds a
    core, each pass waits for it (measured on 2 busy cores: 23 ms a frame on 2 threads, 1.8 ms
    on one). The caller's thread count is restored."""
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _luma(rgb: torch.Tensor) -> torch.Tensor:
    """(..., 3) float -> (...) BT.601 luma."""
    return rgb @ _luma_weights(rgb)


def _luma_weights(like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(LUMA_WEIGHTS, dtype=like.dtype, device=like.device)


def _canonical_size(h: int, w: int, ratio: float = 1.0) -> tuple[int, int]:
    scale = CANON * ratio / min(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def _resize(y: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(H, W) -> size, bicubic (antialiased when shrinking): the lattice needs sub-pixel care."""
    if tuple(y.shape[-2:]) == tuple(size):
        return y
    shrink = size[0] < y.shape[-2]
    out = F.interpolate(y[None, None], size, mode="bicubic", antialias=shrink, align_corners=False)
    return out[0, 0]


def _blocks(y: torch.Tensor, nby: int, nbx: int) -> torch.Tensor:
    """(H, W) -> (nby, nbx, BLOCK, BLOCK) view of the whole blocks from the top-left."""
    return y[: nby * BLOCK, : nbx * BLOCK].reshape(nby, BLOCK, nbx, BLOCK).transpose(1, 2)


def _tiled(t: torch.Tensor, nby: int, nbx: int) -> torch.Tensor:
    """A (16, 16, ...) layout tensor repeated to (nby, nbx, ...)."""
    ii = torch.arange(nby) % LAYOUT
    jj = torch.arange(nbx) % LAYOUT
    return t[ii][:, jj]


# ---------------------------------------------------------------------------------------------
# Embedding


class Watermarker:
    """Embeds ``payload`` under ``key``; call it as the animation frame hook.

    ``wm(frames (N,H,W,3) uint8, start_index=0)`` takes a numpy array or a torch tensor and
    returns the same kind (a tensor stays on its device: on CUDA the frames never leave the
    GPU). Frames are marked in groups of ``group_frames`` consecutive frames: one pattern per
    group, informed by the group's mean picture, added to every frame of the group. A clip's
    first group fixes the step the detector will read (kept across calls: the hook's chunks are
    one clip); a call with ``start_index`` 0 starts a new clip. ``embed_tensor`` continues the
    current clip. The same frames as a new clip always get the same marks.
    """

    HOST_STRIDE = 6  # every sixth frame of a group informs its pattern

    def __init__(
        self,
        payload: int,
        key: bytes = DEFAULT_KEY,
        config: WatermarkConfig | None = None,
        device: str | torch.device | None = None,
        group_frames: int = GROUP_FRAMES,
    ) -> None:
        self.payload = int(payload)
        self.key = key
        self.config = config or WatermarkConfig()
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if group_frames < 1:
            raise ValueError("group_frames must be at least 1")
        self.group_frames = group_frames
        lay = _layout(key)
        self._offsets = lay.dither + lay.bits(ecc.encode(self.payload)).float()
        self._vectors = lay.vectors
        self._level: int | None = None  # the clip's level, fixed by its first group
        self._done = 0  # frames of the current clip marked so far
        self._steps_of_group: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def payload_hex(self) -> str:
        return f"{self.payload:016x}"

    def new_clip(self) -> None:
        """Forget the current clip: the next frames start a new one."""
        self._level, self._done, self._steps_of_group = None, 0, None

    def __call__(
        self, frames: np.ndarray | torch.Tensor, start_index: int = 0
    ) -> np.ndarray | torch.Tensor:
        if start_index == 0:
            self.new_clip()
        if isinstance(frames, torch.Tensor):
            return self.embed_tensor(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError("frames must be (N, H, W, 3) uint8 RGB")
        tensor = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device)
        return self.embed_tensor(tensor).cpu().numpy()

    def embed_image(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 -> watermarked copy (a clip of its own; the current clip is kept)."""
        single = Watermarker(self.payload, self.key, self.config, self.device)
        return single(rgb[None])[0]

    def embed_tensor(self, frames: torch.Tensor, *, in_place: bool = False) -> torch.Tensor:
        """(N, H, W, 3) uint8 tensor -> watermarked frames on the same device: a copy, or
        ``frames`` itself marked in place (the animation hook's frames are its own to change).
        Continues the current clip (its groups run on across calls)."""
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != torch.uint8:
            raise ValueError("frames must be (N, H, W, 3) uint8 RGB")
        out = frames if in_place else frames.clone()
        g = self.group_frames
        with torch.inference_mode(), _one_cpu_thread(out.device):
            s = 0
            while s < len(out):
                into = self._done % g
                n = min(g - into, len(out) - s)
                group = out[s : s + n]
                if into == 0 or self._steps_of_group is None:
                    self._steps_of_group = self._steps(group)
                rise, fall = self._steps_of_group
                # Saturating uint8 add of the signed steps, in place: min(a, 255 - rise) + rise,
                # then max(b, fall) - fall equals clamp(a + step, 0, 255) (rise and fall are
                # disjoint), at a quarter of an int16 round trip's memory traffic.
                torch.minimum(group, 255 - rise, out=group).add_(rise)
                torch.maximum(group, fall, out=group).sub_(fall)
                self._done += n
                s += n
        return out

    def _steps(self, group: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A group's frames -> its pattern as whole steps (rise, fall): (H, W, 3) uint8 each."""
        # The group's mean picture, from every HOST_STRIDE-th frame (motion within a second is
        # smooth: five frames of 25 give its mean to well under a grey level).
        mean_rgb = group[:: self.HOST_STRIDE].float().mean(dim=0)
        h, w = mean_rgb.shape[:2]
        ch, cw = _canonical_size(h, w)
        if (ch, cw) == (h, w):
            steps = self._pattern(_Colours(mean_rgb))
        else:
            chw = F.interpolate(mean_rgb.permute(2, 0, 1)[None], (ch, cw), mode="area")[0]
            steps = self._pattern(_Colours(chw.permute(1, 2, 0)))
            steps = F.interpolate(
                steps.permute(2, 0, 1)[None], (h, w), mode="bicubic", align_corners=False
            )[0].permute(1, 2, 0)
        steps = steps.round_().clamp_(-255, 255)
        rise = steps.clamp(min=0).to(torch.uint8).contiguous()
        fall = steps.neg().clamp_(min=0).to(torch.uint8).contiguous()
        return rise, fall

    def _moves(
        self,
        proj: torch.Tensor,
        offsets: torch.Tensor,
        level: int,
        ref: float,
        shift: torch.Tensor | float = 0.0,
    ) -> torch.Tensor:
        """Each block's move onto its lattice point at ``level`` (displaced by ``shift``),
        overshot."""
        step = _step(level, ref)
        offset = offsets * step + shift
        target = torch.round((proj - offset) / (2 * step)) * (2 * step) + offset
        return (target - proj) * self.config.overshoot

    def _pattern(self, colours: _Colours) -> torch.Tensor:
        """Canonical mean picture -> the pattern's steps (H, W, 3) on each channel."""
        cfg = self.config
        dev = colours.rgb.device
        y = _luma(colours.rgb)
        h, w = y.shape
        nby, nbx = h // BLOCK, w // BLOCK
        vec = _tiled(self._vectors.to(dev), nby, nbx)
        proj = (_blocks(y, nby, nbx) * vec).sum(dim=(-2, -1))
        ref = float(y[REF[0] : REF[1], REF[0] : REF[1]].mean())
        budget = 255.0**2 / 10 ** (cfg.target_psnr / 10) * h * w
        offsets = _tiled(self._offsets.to(dev), nby, nbx)
        if self._level is None:
            # The level the reference luma predicts; lower where saturated colours make the
            # moves cost more (the detector tries levels below its prediction too).
            level = int(_level_for(ref, cfg))
            _, spent = _channel_pattern(self._moves(proj, offsets, level, ref), vec, colours)
            excess = float(spent.sum()) / budget
            if excess > 1.1:  # (a small excess is capped)
                level -= min(2 * cfg.level_window, max(1, round(math.log(excess, LEVEL_STEP**2))))
            self._level = level
        moves = self._moves(proj, offsets, self._level, ref)
        if BRIGHTENED * float(colours.high.max()) > 255.0:
            shift = _brightening_shift(
                colours, _channel_pattern(moves, vec, colours)[0], vec, _step(self._level, ref)
            )
            moves = self._moves(proj, offsets, self._level, ref, shift)
        steps, spent = _channel_pattern(moves, vec, colours)
        if float(spent.sum()) > budget:
            # The PSNR counts the three channels: a block's energy per unit of squared move is
            # 1 for a pure luma change, more where a saturated colour made one channel carry
            # another's share. Cap the largest moves; scale their blocks' steps alike.
            cost = (spent / (moves * moves).clamp(min=1e-6)).clamp(min=1.0)
            capped = _cap_energy(moves, budget, cost)
            scale = torch.where(moves != 0, capped / moves, torch.zeros_like(moves))
            steps = steps * _synthesize(scale, torch.ones_like(vec))[..., None]
        full = torch.zeros(h, w, 3, device=dev)
        full[: nby * BLOCK, : nbx * BLOCK] = steps
        return full


BRIGHTENED = 1.2  # the brightening the mark is made to survive where channels clip
BRIGHTENED_SLACK = 0.35  # a block whose brightened read is off by less (in steps) is left as is


def _brightening_shift(
    colours: _Colours, steps: torch.Tensor, vec: torch.Tensor, step: float
) -> torch.Tensor:
    """Each block's lattice displacement that lets it read right both as made and brightened by
    ``BRIGHTENED``.

    A brightened copy clips the channels that pass 255, so a block's projection no longer
    scales with the gain: where a colour ramps through the clipping level (a lit cheek's red, a
    saturated colour) the host's own projection moves by ``delta`` (measured on a colour wheel:
    up to 2.7 steps, and the error of 15 of the 18 blocks a brightened copy misread). The
    embedder knows the picture, so it computes ``delta`` (in the unbrightened read's units) and
    puts the block half of it (``delta`` wrapped into [-D, D): the lattice repeats every 2 D)
    before its lattice point: the copy as made then reads ``-delta/2`` off the point and the
    brightened copy ``+delta/2``, both within the D/2 a read tolerates. Blocks the brightened
    copy reads within ``BRIGHTENED_SLACK`` of their point stay on it: a shift there would only
    cost the copy as made (and a clip cut across groups, whose reads mix two patterns).
    """
    nby, nbx = vec.shape[:2]
    h, w = nby * BLOCK, nbx * BLOCK
    marked = (colours.rgb[:h, :w] + steps).clamp(0.0, 255.0)
    bright = _luma((BRIGHTENED * marked).clamp(max=255.0))
    lost = bright / BRIGHTENED - _luma(marked)
    delta = (_blocks(lost, nby, nbx) * vec).sum(dim=(-2, -1))
    wrapped = torch.remainder(delta + step, 2.0 * step) - step
    # Where the brightened luma itself clips white, the detector discounts the block (as in
    # _gather): the shift would cost the read as made and buy nothing.
    white = _blocks((bright >= CLIPPED_WHITE).float(), nby, nbx).mean(dim=(-2, -1))
    needed = wrapped.abs() > BRIGHTENED_SLACK * step
    return torch.where(needed, -0.5 * wrapped, 0.0) * torch.exp(-white / CLIPPED_SCALE)


def _channel_pattern(
    moves: torch.Tensor, vec: torch.Tensor, colours: _Colours
) -> tuple[torch.Tensor, torch.Tensor]:
    """Moves along the blocks' directions -> per-channel steps (nby*B, nbx*B, 3) and each
    block's energy (the PSNR's, over the three channels)."""
    nby, nbx = moves.shape
    steps = colours.steps(_synthesize(moves, vec))
    spent = _blocks((steps * steps).mean(dim=-1), nby, nbx).sum(dim=(-2, -1))
    return steps, spent


def _synthesize(moves: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """(nby, nbx) moves along (nby, nbx, B, B) unit directions -> (nby*B, nbx*B) picture."""
    nby, nbx = moves.shape
    return (moves[..., None, None] * vec).transpose(1, 2).reshape(nby * BLOCK, nbx * BLOCK)


def _cap_energy(
    moves: torch.Tensor, budget: float, cost: torch.Tensor | float = 1.0
) -> torch.Tensor:
    """Cap the largest moves so that their total energy (``cost`` per unit of squared move, 1 for
    a pure luma change along a unit direction) fits ``budget``."""
    mag = moves.abs()
    if float((cost * mag * mag).sum()) <= budget:
        return moves
    lo, hi = 0.0, float(mag.max())
    for _ in range(30):
        cap = 0.5 * (lo + hi)
        if float((cost * mag.clamp(max=cap) ** 2).sum()) > budget:
            hi = cap
        else:
            lo = cap
    return moves.clamp(-lo, lo)


class _Colours:
    """A group's mean picture (H, W, 3) and each pixel's darkest and brightest channel: where a
    step can move the luma with the same change on the three channels, and where it cannot."""

    def __init__(self, rgb: torch.Tensor) -> None:
        self.rgb = rgb
        self.low = rgb.amin(dim=-1)
        self.high = rgb.amax(dim=-1)

    def steps(self, step: torch.Tensor) -> torch.Tensor:
        """Luma steps (h, w) (the picture's top-left) -> per-channel steps (h, w, 3): the same
        on the three channels (a pure luma change), except where a channel would pass 0 or 255
        (a saturated colour): its share then goes to the channels with room (up to twice the
        step), so that the luma still moves by the step where the colour allows it."""
        h, w = step.shape
        rgb, low, high = self.rgb[:h, :w], self.low[:h, :w], self.high[:h, :w]
        out = step[..., None].expand(h, w, 3).clone()
        size = step.abs()
        cut = (low < size) | (high > 255.0 - size)
        if not bool(cut.any()):
            return out
        where = cut.nonzero(as_tuple=True)
        colour, sub = rgb[where], step[where]  # (n, 3), (n,)
        weights = _luma_weights(rgb)
        up = (sub >= 0)[:, None]
        room = torch.where(up, 255.0 - colour, colour).clamp(min=0.0)
        first = torch.minimum(sub.abs()[:, None], room)
        short = (sub.abs() - first @ weights).clamp(min=0.0)
        left = room - first
        spread = (short / (left @ weights).clamp(min=1e-6)).clamp(max=1.0)
        # At most twice the step on a channel: a dark blue cannot darken on red and green, and
        # nine times the step on blue would cost more than the block's move is worth.
        moved = torch.minimum(first + left * spread[:, None], 2.0 * sub.abs()[:, None])
        out[where] = torch.where(up, moved, -moved)
        return out


# ---------------------------------------------------------------------------------------------
# Detection


@dataclass
class _Pictures:
    """What the detector reads: the mean luma of all frames and of each group's frames."""

    mean: torch.Tensor  # (H, W) float32
    groups: list[torch.Tensor]  # up to max_groups (H, W) means; [mean] for a single picture
    frames: int


@lru_cache(maxsize=8)
def _shape_spectra(h: int, w: int) -> torch.Tensor:
    """Conjugate spectra of the shapes zero-padded to (H, W) (correlation kernels)."""
    shapes = _shapes()
    kernel = torch.zeros(shapes.shape[0], h, w)
    kernel[:, :BLOCK, :BLOCK] = shapes
    return torch.fft.rfft2(kernel).conj()


def _block_maps(yc: torch.Tensor) -> torch.Tensor:
    """(H, W) -> (3, H-B+1, W-B+1): the block at (y, x)'s projection on each shape, and the
    share of its pixels clipped black or white (there a brightened or darkened copy lost the
    picture, and with it the projection)."""
    c = _integral((yc <= CLIPPED_BLACK) | (yc >= CLIPPED_WHITE))
    share = c[BLOCK:, BLOCK:] - c[:-BLOCK, BLOCK:] - c[BLOCK:, :-BLOCK] + c[:-BLOCK, :-BLOCK]
    share = (share / (BLOCK * BLOCK)).float()
    return torch.cat([_corr_maps(yc), share[None]])


def _corr_maps(yc: torch.Tensor) -> torch.Tensor:
    """(H, W) -> (2, H-B+1, W-B+1): projection on each shape of the block at (y, x)."""
    h, w = yc.shape
    spec = torch.fft.rfft2(yc)[None] * _shape_spectra(h, w)
    return torch.fft.irfft2(spec, s=(h, w))[:, : h - BLOCK + 1, : w - BLOCK + 1].contiguous()


def _integral(y: torch.Tensor) -> torch.Tensor:
    """(H, W) -> (H+1, W+1) summed-area table (float64)."""
    c = torch.zeros(y.shape[0] + 1, y.shape[1] + 1, dtype=torch.float64)
    c[1:, 1:] = y.double().cumsum(0).cumsum(1)
    return c


def _ref_map(c: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
    """R[i, j]: mean luma of the reference region when the crop removed (ys[i], xs[j]) px,
    from the picture's summed-area table ``c``."""
    h, w = c.shape[0] - 1, c.shape[1] - 1
    top = (REF[0] - ys).clamp(0, h)
    bottom = (REF[1] - ys).clamp(0, h)
    left = (REF[0] - xs).clamp(0, w)
    right = (REF[1] - xs).clamp(0, w)
    total = c[bottom][:, right] - c[top][:, right] - c[bottom][:, left] + c[top][:, left]
    area = ((bottom - top)[:, None] * (right - left)[None, :]).clamp(min=1)
    return (total / area).float()


@dataclass
class _Grid:
    """Every layout block of the original frame at a crop ratio: where each one is and what it
    is (its offset on the lattice and weight in the sync score)."""

    rows: torch.Tensor  # (n,) block row in the original canonical frame
    cols: torch.Tensor  # (n,)
    mix: torch.Tensor  # (n, 2)
    offset: torch.Tensor  # (n,) dither (+ pilot bit for pilots), in steps
    freq: torch.Tensor  # (n,) pi for pilots (known bit), 2 pi for data (either bit)
    weight: torch.Tensor  # (n,) sync weight
    bit_index: torch.Tensor  # (n,) coded bit of data blocks, -1 for pilots

    def pilots(self) -> _Grid:
        keep = self.bit_index < 0
        return _Grid(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


def _grid(lay: _Layout, nby: int, nbx: int, cfg: WatermarkConfig) -> _Grid:
    rows, cols = torch.meshgrid(torch.arange(nby), torch.arange(nbx), indexing="ij")
    rows, cols = rows.flatten(), cols.flatten()
    li, lj = rows % LAYOUT, cols % LAYOUT
    pilot = lay.pilot[li, lj]
    return _Grid(
        rows=rows,
        cols=cols,
        mix=lay.mix[li, lj],
        offset=lay.dither[li, lj] + torch.where(pilot, lay.pilot_bit[li, lj], 0).float(),
        freq=torch.where(pilot, math.pi, 2 * math.pi),
        weight=torch.where(pilot, 1.0, cfg.union_weight),
        bit_index=lay.bit_index[li, lj],
    )


def _gather(
    maps: torch.Tensor, grid: _Grid, ys: torch.Tensor, xs: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Projections of every grid block for crop offsets ys (a,) x xs (b,): (n, a, b), and how
    much each one counts: 0 outside the picture, less the more of its pixels are clipped (a
    share of CLIPPED_SCALE counts e^-1; the projection of a partly clipped block is lost)."""
    Y = grid.rows[:, None, None] * BLOCK - ys[None, :, None]
    X = grid.cols[:, None, None] * BLOCK - xs[None, None, :]
    inside = (Y >= 0) & (Y < maps.shape[1]) & (X >= 0) & (X < maps.shape[2])
    Yc = Y.clamp(0, maps.shape[1] - 1)
    Xc = X.clamp(0, maps.shape[2] - 1)
    flat = (Yc * maps.shape[2] + Xc).expand(-1, len(ys), len(xs))
    picked = maps.flatten(1)[:, flat]  # (3, n, a, b)
    proj = torch.einsum("mnab,nm->nab", picked[:-1], grid.mix)
    return proj, inside * torch.exp(-picked[-1] / CLIPPED_SCALE)


def _sync_scores(
    proj: torch.Tensor, counts: torch.Tensor, grid: _Grid, steps: torch.Tensor
) -> torch.Tensor:
    """Sync score of positions (proj, counts: (n, ...), from _gather) at steps (...) -> (...)."""
    e = proj / steps[None] - grid.offset.view(-1, *([1] * (proj.dim() - 1)))
    freq = grid.freq.view(-1, *([1] * (proj.dim() - 1)))
    weight = grid.weight.view(-1, *([1] * (proj.dim() - 1))) * counts
    total = (torch.cos(freq * e) * weight).sum(dim=0)
    norm = torch.sqrt((weight * weight).sum(dim=0) / 2).clamp(min=1e-6)
    return total / norm


def _max_offset(ratio: float) -> int:
    """Crop offsets searched at a ratio: all that the crop can have removed, plus a margin."""
    return max(3, round((1.0 / ratio - 1.0) * CANON) + 3)


def _search(pics: _Pictures, lay: _Layout, cfg: WatermarkConfig) -> list[tuple]:
    """Coarse sync -> seeds (score, ratio, y0, x0, level), best first, one per position. The
    score is the pilots' alone, averaged over the first ``search_groups`` groups' pictures: a
    group's picture sits on its lattice, the mean of a whole clip does not where the head
    moves."""
    pictures = pics.groups[: cfg.search_groups]
    h, w = pictures[0].shape
    seeds: list[tuple] = []
    for ratio in CROP_RATIOS:
        ch, cw = _canonical_size(h, w, ratio)
        if min(ch, cw) < REF[1]:
            continue
        span = _max_offset(ratio)
        offs = torch.arange(span)
        grid = _grid(lay, round(ch / ratio) // BLOCK, round(cw / ratio) // BLOCK, cfg).pilots()
        read = []
        for picture in pictures:
            yc = _resize(picture, (ch, cw))
            proj, counts = _gather(_block_maps(yc), grid, offs, offs)
            read.append((proj, counts, _ref_map(_integral(yc), offs, offs)))
        enough = read[0][1].sum(dim=0) >= LAYOUT / 2  # too little inside: not a candidate
        predicted = _level_for(read[0][2], cfg)
        for dk in range(-2 * cfg.level_window, cfg.level_window + 1):
            level = predicted + dk
            z = sum(_sync_scores(p, c, grid, _step(level, ref)) for p, c, ref in read) / len(read)
            z = torch.where(enough, z, torch.full_like(z, -math.inf)).flatten()
            vals, idx = torch.topk(z, min(cfg.seeds, z.numel()))
            for v, i in zip(vals.tolist(), idx.tolist(), strict=True):
                y0, x0 = divmod(i, span)
                seeds.append((v, ratio, y0, x0, int(level.flatten()[i])))
    seeds.sort(key=lambda s: -s[0])
    best: dict[tuple, tuple] = {}
    for seed in seeds:
        best.setdefault(seed[1:4], seed)
    return list(best.values())[: cfg.seeds]


class _Reader:
    """The groups' pictures at one crop ratio, with their shape correlation maps (cached)."""

    def __init__(self, pics: _Pictures, ratio: float, lay: _Layout, cfg: WatermarkConfig) -> None:
        h, w = pics.mean.shape
        self.size = _canonical_size(h, w, ratio)
        self.ratio = ratio
        self.grid = _grid(
            lay, round(self.size[0] / ratio) // BLOCK, round(self.size[1] / ratio) // BLOCK, cfg
        )
        self.pictures = [_resize(g, self.size) for g in pics.groups]
        self.maps = [_block_maps(p) for p in self.pictures]
        self.integrals = [_integral(p) for p in self.pictures]

    def refine(
        self, y0: int, x0: int, level: float, cfg: WatermarkConfig
    ) -> tuple[float, int, int, float]:
        """Best (score, y0, x0, level) within +-refine_px and +-1.5 levels in quarter levels,
        the score averaged over the groups' pictures. Fractional levels match what an attack
        did to the projections' scale: a downscale or a codec's smoothing shrinks them by a few
        per cent (the reference luma does not shrink), and a lattice read at the wrong scale
        drifts by the projection's size times the error."""
        r = cfg.refine_px
        ys = torch.arange(max(0, y0 - r), y0 + r + 1)
        xs = torch.arange(max(0, x0 - r), x0 + r + 1)
        levels = level + torch.arange(-6, 7) / 4.0
        total = torch.zeros(len(levels), len(ys), len(xs))
        for maps, integral in zip(self.maps, self.integrals, strict=True):
            proj, counts = _gather(maps, self.grid, ys, xs)
            ref = _ref_map(integral, ys, xs)
            for i, lv in enumerate(levels):
                total[i] += _sync_scores(proj, counts, self.grid, _step(lv, ref))
        total /= len(self.pictures)
        i = int(torch.argmax(total))
        k, rest = divmod(i, len(ys) * len(xs))
        iy, ix = divmod(rest, len(xs))
        return float(total.flatten()[i]), int(ys[iy]), int(xs[ix]), float(levels[k])

    def soft_values(self, y0: int, x0: int, level: float) -> np.ndarray:
        """Soft value of each coded bit (> 0: 1) at a position, summed over copies and groups.
        Each block's value is weighted by how well its neighbourhood (5 x 5 blocks) sits on the
        lattices: pilots on their points, data blocks on the union lattice. Where a region of
        the picture lost the mark (a damaged packet concealed to the next key frame, a clipped
        highlight) its blocks then count for little instead of reading as errors."""
        grid = self.grid
        data = grid.bit_index >= 0
        at = torch.tensor([y0]), torch.tensor([x0])
        rows, cols = int(grid.rows.max()) + 1, int(grid.cols.max()) + 1
        value = torch.zeros(len(data))
        for maps, integral in zip(self.maps, self.integrals, strict=True):
            proj, counts = _gather(maps, grid, *at)
            proj, counts = proj[:, 0, 0], counts[:, 0, 0]
            ref = float(_ref_map(integral, *at)[0, 0])
            e = torch.remainder(proj / _step(level, ref) - grid.offset, 2.0)
            fit = torch.zeros(2, rows, cols)  # on-lattice sum, weight, per block
            fit[0, grid.rows, grid.cols] = torch.cos(grid.freq * e) * counts
            fit[1, grid.rows, grid.cols] = counts
            fit = F.avg_pool2d(fit[:, None], 5, stride=1, padding=2)[:, 0]
            local = (fit[0] / fit[1].clamp(min=1e-6)).clamp(min=0.0)[grid.rows, grid.cols]
            to_zero = torch.minimum(e, 2.0 - e)  # distance to the bit-0 lattice, in steps
            value += (2.0 * to_zero - 1.0) * counts * local**2
        soft = torch.zeros(ecc.CODED_BITS)
        soft.index_add_(0, grid.bit_index[data], value[data])
        return soft.numpy()


def _detect(pics: _Pictures, key: bytes, cfg: WatermarkConfig) -> WatermarkResult:
    with torch.inference_mode(), _one_cpu_thread(torch.device("cpu")):
        return _detect_at(pics, _layout(key), cfg)


def _detect_at(pics: _Pictures, lay: _Layout, cfg: WatermarkConfig) -> WatermarkResult:
    readers: dict[float, _Reader] = {}
    refined = []
    for _, ratio, y0, x0, level in _search(pics, lay, cfg):
        if ratio not in readers:
            readers[ratio] = _Reader(pics, ratio, lay, cfg)
        score, ry, rx, rl = readers[ratio].refine(y0, x0, level, cfg)
        refined.append((score, ratio, ry, rx, rl))
    refined = sorted(set(refined), key=lambda r: -r[0])[:DECODE_TRIES]
    best = None
    for score, ratio, y0, x0, level in refined:
        soft = readers[ratio].soft_values(y0, x0, level)
        read = soft != 0
        soft = soft / (float(np.median(np.abs(soft[read]))) if read.any() else 1.0)
        payload, crc_ok, codeword = ecc.decode(soft)
        agreement = float(np.mean((soft[read] > 0) == (codeword[read] == 1))) if read.any() else 0.0
        if best is None or crc_ok:
            best = (crc_ok, score, ratio, payload, agreement, soft)
        if crc_ok:
            break
    if best is None:
        return WatermarkResult(False, None, 0.0, 0.0, False, 0.0, 0.0, pics.frames)
    crc_ok, score, ratio, payload, agreement, soft = best
    detected = bool(crc_ok and score >= Z_THRESHOLD)
    return WatermarkResult(
        detected=detected,
        payload=payload if detected else None,
        confidence=float(1.0 - false_detection_bound()) if crc_ok else 0.0,
        z_score=float(score),
        crc_ok=bool(crc_ok),
        bit_agreement=agreement,
        scale_ratio=ratio,
        frames_used=pics.frames,
        soft=soft,
    )


def _grouped(stack: torch.Tensor, max_groups: int) -> _Pictures:
    """(N, H, W) luma frames -> the mean and the first groups' means."""
    n = stack.shape[0]
    groups = [
        stack[s : s + GROUP_FRAMES].mean(dim=0)
        for s in range(0, min(n, max_groups * GROUP_FRAMES), GROUP_FRAMES)
    ]
    mean = stack.mean(dim=0)
    return _Pictures(mean=mean, groups=groups if len(groups) > 1 else [mean], frames=n)


def detect_frames(
    luma: np.ndarray | torch.Tensor,
    *,
    key: bytes = DEFAULT_KEY,
    config: WatermarkConfig | None = None,
    frames_used: int | None = None,
) -> WatermarkResult:
    """Detect in a luma plane (H, W) (a picture, or a clip's mean) or a clip's frames
    (N, H, W), read group by group."""
    cfg = config or WatermarkConfig()
    y = torch.as_tensor(luma, dtype=torch.float32)
    if y.ndim == 3:
        pics = _grouped(y, cfg.max_groups)
    else:
        pics = _Pictures(mean=y, groups=[y], frames=frames_used or 1)
    if frames_used:
        pics.frames = frames_used
    return _detect(pics, key, cfg)


def detect_image(
    rgb: np.ndarray, *, key: bytes = DEFAULT_KEY, config: WatermarkConfig | None = None
) -> WatermarkResult:
    """Detect in one (H, W, 3) uint8 RGB image."""
    y = _luma(torch.from_numpy(np.array(rgb[..., :3], dtype=np.float32)))
    return detect_frames(y, key=key, config=config, frames_used=1)


def _working(frame: np.ndarray) -> np.ndarray:
    """A decoded luma frame as float32, area-reduced by an integer factor when its short side is
    over 2,048 px: the detector reads it at 512 px anyway, and a clip's group pictures then stay
    within the examination's memory (eight 8K float frames would not)."""
    h, w = frame.shape
    f = min(h, w) // 1024
    if f < 2:
        return frame.astype(np.float32)
    cut = frame[: h // f * f, : w // f * f].reshape(h // f, f, w // f, f)
    return cut.mean(axis=(1, 3), dtype=np.float32)


def detect_video(
    path: str | os.PathLike[str],
    *,
    key: bytes = DEFAULT_KEY,
    config: WatermarkConfig | None = None,
    max_frames: int = 1500,
) -> WatermarkResult:
    """Decode the clip's luma with PyAV, average all frames and each group's, detect."""
    from provenance.media import MediaError, iter_video_luma

    cfg = config or WatermarkConfig()
    total: np.ndarray | None = None
    groups: list[np.ndarray] = []
    n = 0
    for frame in iter_video_luma(path, max_frames=max_frames):
        f = _working(frame)
        if total is None:
            total = f.copy()
        else:
            total += f
        if n < cfg.max_groups * GROUP_FRAMES:
            if n % GROUP_FRAMES == 0:
                groups.append(np.zeros_like(f))
            groups[-1] += f
        n += 1
    if total is None:
        raise MediaError("video has no frames")
    sizes = [min(GROUP_FRAMES, n - i * GROUP_FRAMES) for i in range(len(groups))]
    mean = torch.from_numpy(total / n)
    group_means = [torch.from_numpy(g / s) for g, s in zip(groups, sizes, strict=True)]
    pics = _Pictures(mean=mean, groups=group_means if len(group_means) > 1 else [mean], frames=n)
    return _detect(pics, key, cfg)
