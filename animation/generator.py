"""Generator: target landmarks -> whole video frames, batched over frames, on any device.

One `grid_sample` warps the head region of the portrait (backward TPS from `warp.py`, with the
lips remapped by `lip_layer.py`, which also draws the seam of closed lips), the mouth interior
(`mouth.py`) is composited where the lips part, and the head region is pasted back into the
untouched portrait wherever the warp may move it (the head, its hair and the band of background
that gives way around it; `head_region.py`). Sampling straight from the full-resolution portrait
(instead of warping a resampled face crop and resampling it back) keeps a single, bicubic
interpolation, so a neutral frame is the portrait bit for bit and the framing is the portrait's
own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .eyelids import EyelidLayer
from .lip_layer import LipConfig, LipLayer
from .mouth import MouthConfig, MouthInterior
from .rest_mouth import MouthState, estimate_mouth_state
from .rig import FaceRig
from .warp import ThinPlateWarp, WarpConfig


@dataclass(frozen=True)
class GeneratorConfig:
    warp: WarpConfig = field(default_factory=WarpConfig)  # dense warp settings
    mouth: MouthConfig = field(default_factory=MouthConfig)  # mouth interior settings
    # Bicubic keeps the portrait's sharpness under sub-pixel motion (bilinear halves the fine
    # detail at half-pixel offsets); bilinear costs about a quarter as much.
    sampling: str = "bicubic"
    lips: LipConfig = field(default_factory=LipConfig)  # lip remap and seam settings


class PortraitGenerator(nn.Module):
    """forward(target landmarks (B, 478, 3) px) -> frames (B, H, W, 3) uint8 RGB."""

    def __init__(
        self,
        portrait: np.ndarray,  # (H, W, 3) uint8 RGB at output size
        source_points: np.ndarray,  # (478, 3) px in that image
        config: GeneratorConfig | None = None,
        person_mask: np.ndarray | None = None,  # (H', W') 0..1 person vs background, any size
        mouth_state: MouthState | None = None,  # None: estimated from the portrait
        rest_points: np.ndarray | None = None,  # (478, 3) px, the rig's rest mouth (None: the
        # default rig's)
    ) -> None:
        super().__init__()
        self.config = c = config or GeneratorConfig()
        self.height, self.width = portrait.shape[:2]
        self.warp = ThinPlateWarp(source_points, (self.width, self.height), c.warp, person_mask)
        self.eyelids = EyelidLayer(source_points)
        self.lips = LipLayer(source_points, portrait, c.lips)
        state = mouth_state or estimate_mouth_state(source_points, portrait)
        if rest_points is None:
            rest_points = FaceRig(source_points, mouth_state=state).rest_points().numpy()
        self.mouth = MouthInterior(portrait, source_points, rest_points, state, c.mouth)
        image = torch.from_numpy(np.array(portrait, dtype=np.uint8, copy=True))
        self.register_buffer("portrait_u8", image)  # (H, W, 3) uint8
        self.register_buffer("portrait", image.permute(2, 0, 1)[None].float())  # (1, 3, H, W)

    @property
    def roi(self) -> tuple[int, int, int, int]:
        return self.warp.roi

    def forward(self, targets: torch.Tensor) -> torch.Tensor:
        dev = self.portrait.device
        targets = targets.to(dev, torch.float32)
        B = targets.shape[0]
        x0, y0, x1, y1 = self.roi
        coords = self.warp(self.lips.spline_targets(targets))  # (B, h, w, 2) source px
        coords, (lx0, ly0, lx1, ly1), seam, fill = self.lips(coords, targets, self.roi)
        norm = torch.empty_like(coords)
        norm[..., 0] = coords[..., 0] * (2.0 / max(self.width - 1, 1)) - 1.0
        norm[..., 1] = coords[..., 1] * (2.0 / max(self.height - 1, 1)) - 1.0
        head = F.grid_sample(
            self.portrait.expand(B, -1, -1, -1), norm, mode=self.config.sampling,
            padding_mode="border", align_corners=True,
        )  # (B, 3, h, w)  # fmt: skip
        lips = (slice(None), slice(None), slice(ly0 - y0, ly1 - y0), slice(lx0 - x0, lx1 - x0))
        filled = self.lips.sample_filled(coords[:, lips[2], lips[3]])
        head[lips] = torch.lerp(torch.lerp(head[lips], filled, fill), self.lips.seam_colour, seam)
        head = self.eyelids(head, targets, (x0, y0))
        bx0, by0, bx1, by1 = self.mouth.box(targets, self.width, self.height)
        # Clip the mouth box to the head region (it always lies well inside).
        bx0, by0 = max(bx0, x0), max(by0, y0)
        bx1, by1 = min(bx1, x1), min(by1, y1)
        if bx1 > bx0 and by1 > by0:
            rgb, alpha = self.mouth(targets, (bx0, by0, bx1, by1))
            region = head[:, :, by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0]
            head[:, :, by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0] = torch.lerp(region, rgb, alpha)
        original = self.portrait[:, :, y0:y1, x0:x1]
        head = torch.lerp(original, head, self.warp.paste_alpha)  # feathered seam
        head_u8 = head.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1)  # (B,h,w,3)
        frames = self.portrait_u8.expand(B, -1, -1, -1).clone()  # (B, H, W, 3)
        frames[:, y0:y1, x0:x1] = head_u8
        return frames
