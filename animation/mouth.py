"""Mouth interior: what shows between parted lips, as a photograph of that mouth would show it.

Everything inside the target's inner-lip contour is painted here, in layers from the back:
the cavity (lip-tinted, darkening with depth and towards the corners), the tongue (a dome rising
behind the lower teeth, lit at its front), the lower teeth riding on the jaw and the upper teeth
fixed to the skull (`dentition.py`: the portrait's own where it shows them, else drawn), then the
shade the lips cast inwards. The skull's motion is an affine map fitted to the face's stable
points, the jaw's is that map plus the chin's own drop, so teeth move as bone does, never with
the lips. Colours come from the portrait (its lips, its teeth or its eyes' whites, its tone
curve when it is monochrome), softness and grain from `photo_finish`.

With the target equal to the portrait the layer is transparent, so a still frame is the
portrait itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import topology as topo
from .batch_interp import interp as _interp  # noqa: F401 - also the eyelid layer's helper
from .dentition import build_layers
from .lip_layer import contour_table, lookup, mouth_frame, to_mouth
from .photo_finish import PhotoFinish, measure_finish
from .rest_mouth import MouthState, estimate_mouth_state, lip_outlines

CHIN = topo.CHIN_BOTTOM
MONO_LIP_OFF = 8.0  # grey levels: lips this close to their luma's colour mean a monochrome print


@dataclass(frozen=True)
class MouthConfig:
    tongue_iod: float = 0.09  # tallest the tongue shows above the lower lip
    tongue_span: float = 0.6  # |u| (corner to corner) the tongue's dome covers
    upper_shade: float = 0.3  # darkening right under the upper lip ...
    upper_shade_iod: float = 0.02  # ... fading over this
    lower_shade: float = 0.25  # the same over the lower lip
    lower_shade_iod: float = 0.02
    corner_shade: float = 0.6  # darkening towards the mouth corners (the cheeks' shadow)
    show_after_px: float = 0.1  # the lips move this much from the portrait's before we paint
    show_ramp_px: float = 0.5  # ... and this much more until the interior is fully painted
    margin_px: int = 3  # padding of the painted box around the inner lips


@dataclass(frozen=True)
class MouthPalette:
    cavity: tuple[float, float, float]  # RGB 0..255 of the deep mouth
    tongue: tuple[float, float, float]  # RGB of the tongue
    teeth: tuple[float, float, float]  # RGB of lit teeth (never pure white)
    lips_shadow: tuple[float, float, float]  # RGB of the shadow the lips cast inwards
    gum: tuple[float, float, float]  # RGB of the gums


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114])


def estimate_palette(
    image: np.ndarray, points: np.ndarray, state: MouthState | None = None
) -> MouthPalette:
    """Colours for the interior, taken from the portrait (H, W, 3) and its landmarks (478, 3)
    (and its mouth's state, estimated when not given)."""
    import cv2

    state = state or estimate_mouth_state(points, image)
    h, w = image.shape[:2]
    img = image.astype(np.float64)
    outer, inner = lip_outlines(points)
    lip_mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(lip_mask, [np.round(outer).astype(np.int32)], 1)
    inner_mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(inner_mask, [np.round(inner).astype(np.int32)], 1)
    lips = img[(lip_mask > 0) & (inner_mask == 0)]
    lip = lips.mean(0) if len(lips) else np.array([150.0, 80.0, 80.0])
    # Face pixels (inside the oval) give the exposure.
    face_mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(face_mask, [np.round(points[list(topo.FACE_OVAL), :2]).astype(np.int32)], 1)
    face = img[face_mask > 0]
    if len(face) < 20:
        face = img.reshape(-1, 3)
    luma = _luma(face)
    # Teeth: the portrait's own if its mouth shows them, else the whites of its eyes (the
    # photograph's own white balance and exposure), else ivory at the face's exposure.
    inside = img[inner_mask > 0]
    sclera = _sclera(img, points)
    if state.teeth_shown >= 0.15 and len(inside) >= 12:
        teeth = inside[_luma(inside) >= np.percentile(_luma(inside), 80)].mean(0)
    elif sclera is not None:
        # The whites' hue (a third of it: bloodshot or skin-lit whites would tint the teeth; a
        # touch warmer: enamel), at about the face's brighter skin: eyes often sit in the
        # brows' or glasses' shadow, teeth behind parted lips less so.
        grey = _luma(sclera)
        teeth = (grey + 0.3 * (sclera - grey)) * np.array([1.0, 0.99, 0.96])  # little tint
        level = np.clip(_luma(teeth), np.percentile(luma, 75), np.percentile(luma, 97))
        teeth = teeth * level / max(float(_luma(teeth)), 1.0)
    else:
        exposure = np.clip(np.percentile(luma, 90) / 200.0, 0.6, 1.15)
        teeth = np.array([236.0, 228.0, 210.0]) * exposure
    # Never pure white: no brighter than the face's own highlights.
    ceiling = min(235.0, 0.98 * float(np.percentile(luma, 99)))
    teeth = teeth * min(1.0, ceiling / max(float(_luma(teeth)), 1.0))
    # A dark, lip-tinted cavity and a tongue in its shade (lit tongues read as lip tissue).
    cavity = lip * np.array([0.32, 0.18, 0.18]) + 6.0
    tongue = lip * np.array([0.85, 0.6, 0.6]) + np.array([8.0, 0.0, 0.0])
    shadow = lip * 0.45
    gum = lip * np.array([1.05, 0.82, 0.85])
    colours = np.stack([cavity, tongue, teeth, shadow, gum])
    # Monochrome photographs (grayscale, sepia): every colour is a function of brightness.
    # Regress each channel on luma over the whole picture (a face alone is nearly one hue even
    # in colour, so it cannot tell); if that explains the colours, lips included (a muted
    # colour photograph still has redder lips than its luma predicts), map ours through it.
    every = img.reshape(-1, 3)[:: max(1, (h * w) // 20_000)]
    design = np.stack([_luma(every), np.ones(len(every))], 1)
    coef, *_ = np.linalg.lstsq(design, every, rcond=None)
    spread = every.std(0).sum() + 1e-6
    unexplained = np.sqrt(np.mean((every - design @ coef) ** 2, 0)).sum() / spread
    lip_off = float(np.linalg.norm(lip - np.array([_luma(lip), 1.0]) @ coef))
    if unexplained < 0.12 and lip_off < MONO_LIP_OFF:
        colours = np.stack([_luma(colours), np.ones(len(colours))], 1) @ coef
    colours = np.clip(colours, 0, 255)
    return MouthPalette(*(tuple(map(float, c)) for c in colours))


def _sclera(img: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """Mean colour of the brighter half of the eyes' whites (irises left out), or None."""
    import cv2

    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    eyes = ((topo.RIGHT_EYE_UPPER, topo.RIGHT_EYE_LOWER, topo.RIGHT_IRIS),
            (topo.LEFT_EYE_UPPER, topo.LEFT_EYE_LOWER, topo.LEFT_IRIS))  # fmt: skip
    for upper, lower, iris in eyes:
        contour = np.concatenate([points[list(upper), :2], points[list(lower[::-1]), :2]])
        cv2.fillPoly(mask, [np.round(contour).astype(np.int32)], 1)
        centre = points[iris[0], :2]
        radius = np.linalg.norm(points[list(iris[1:]), :2] - centre, axis=1).mean()
        cv2.circle(mask, tuple(int(round(c)) for c in centre), int(np.ceil(radius * 1.15)), 0, -1)
    whites = img[mask > 0]
    if len(whites) < 8:
        return None
    bright = whites[_luma(whites) >= np.median(_luma(whites))]
    return bright.mean(0)


class MouthInterior(nn.Module):
    """Paints the mouth interior for a batch of frames inside a fixed pixel box.

    forward(target (B, 478, 2) px, box) -> (rgb (B, 3, bh, bw) 0..255, alpha (B, 1, bh, bw)).
    """

    def __init__(
        self,
        image: np.ndarray,  # (H, W, 3) uint8 RGB: the portrait at output size
        source_points: np.ndarray,  # (478, 3) px: the portrait's own mouth
        rest_points: np.ndarray | None = None,  # (478, 3) px: the rig's rest mouth
        state: MouthState | None = None,
        config: MouthConfig | None = None,
    ) -> None:
        super().__init__()
        self.config = config or MouthConfig()
        pts = np.asarray(source_points, dtype=np.float64)
        rest = pts if rest_points is None else np.asarray(rest_points, dtype=np.float64)
        state = state or estimate_mouth_state(pts, image)
        self.iod = float(np.linalg.norm(pts[topo.LEFT_IRIS_CENTER, :2]
                                        - pts[topo.RIGHT_IRIS_CENTER, :2]))  # fmt: skip
        self.palette = palette = estimate_palette(image, pts, state)
        self.finish: PhotoFinish = measure_finish(image, pts)
        layers = build_layers(image, pts, rest, state, palette, self.finish)
        self.texture_origin = layers.origin
        self.register_buffer("skull_layer", layers.skull)  # (1, 5, th, tw)
        self.register_buffer("jaw_layer", layers.jaw)  # (1, 4, th, tw)
        f32 = torch.float32
        self.register_buffer("source", torch.tensor(pts[:, :2], dtype=f32))  # (478, 2)
        stable = pts[list(topo.STABLE_POINTS), :2]
        self.register_buffer("stable", torch.tensor(stable, dtype=f32))  # (S, 2)
        for name in ("cavity", "tongue", "lips_shadow"):
            self.register_buffer(name, torch.tensor(getattr(palette, name)).view(1, 3, 1, 1))
        self.inner_ids = list(topo.LIPS_INNER_UPPER + topo.LIPS_INNER_LOWER)

    def box(self, targets: torch.Tensor, width: int, height: int) -> tuple[int, int, int, int]:
        """Integer (x0, y0, x1, y1) box holding the inner lips of all frames in the batch."""
        xy = targets[:, self.inner_ids, :2].reshape(-1, 2)
        m = self.config.margin_px
        x0 = max(0, int(xy[:, 0].min().floor()) - m)
        y0 = max(0, int(xy[:, 1].min().floor()) - m)
        x1 = min(width, int(xy[:, 0].max().ceil()) + m + 1)
        y1 = min(height, int(xy[:, 1].max().ceil()) + m + 1)
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)

    def forward(
        self, targets: torch.Tensor, box: tuple[int, int, int, int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.config
        L = self.iod
        targets = targets[..., :2].float()
        B, dev = targets.shape[0], targets.device
        x0, y0, x1, y1 = box
        xs = torch.arange(x0, x1, device=dev, dtype=torch.float32)
        ys = torch.arange(y0, y1, device=dev, dtype=torch.float32)
        pix = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)[None].expand(B, -1, -1, -1)
        frame = mouth_frame(targets)
        u, v = to_mouth(pix, frame)  # (B, bh, bw)
        _, v_up, v_low, _ = lookup(contour_table(targets, frame), u).unbind(1)
        blur = max(0.5, 0.6 * self.finish.blur_px)
        inside = _sig((v - v_up) / blur) * _sig((v_low - v) / blur)  # (B, bh, bw)
        gap = (v_low - v_up).clamp_min(0.0)
        # The contours meet at the corners; lips that touch show no interior at all.
        inside = inside * (u.abs() < 1) * gap.clamp(max=1.0)
        t_up, t_low = (v - v_up).clamp_min(0), (v_low - v).clamp_min(0)
        # Where the inner corners are, as a share of the corner-to-corner half width.
        up_u, _ = to_mouth(targets[:, [topo.MOUTH_CORNERS_INNER[0], topo.MOUTH_CORNERS_INNER[1]]],
                           frame)  # fmt: skip
        u_in = (u / up_u.abs().mean(1).clamp_min(0.2).view(B, 1, 1)).abs()

        # Cavity: darkest deep inside and towards the corners, a little light near the lips.
        depth = _exp(-torch.minimum(t_up, t_low) / (0.05 * L))
        rgb = self.cavity * (0.6 + 0.4 * depth[:, None])
        # Tongue: a low dome behind the lower teeth, lit at its front.
        dome = (1 - (u_in / c.tongue_span).clamp(max=1) ** 2).clamp_min(0)
        rise = torch.minimum(0.45 * gap, torch.full_like(gap, c.tongue_iod * L)) * dome
        top = v_low - rise
        m_tongue = _sig((v - top) / (2.5 * blur)) * (dome > 0)
        # Lit from the front: brighter towards the lips, rounder at the sides, a faint groove
        # down the middle.
        lit = 0.55 + 0.45 * ((v - top) / (0.06 * L)).clamp(0, 1)
        lit = lit * (0.75 + 0.25 * dome) * (1 - 0.12 * _exp(-((u / 0.05) ** 2)))
        rgb = torch.lerp(rgb, self.tongue * lit[:, None], m_tongue[:, None])
        # Teeth: the lower layer on the jaw, the upper one on the skull.
        skull = _affine(self.stable, targets[:, list(topo.STABLE_POINTS)])  # (B, 2, 3)
        chin = self.source[CHIN] @ skull[:, :, :2].transpose(1, 2) + skull[:, :, 2]  # (B, 2)
        jaw_drop = targets[:, CHIN] - chin  # (B, 2)
        upper = self._sample(self.skull_layer, pix, skull, torch.zeros_like(jaw_drop))
        lower = self._sample(self.jaw_layer, pix, skull, jaw_drop)
        grain = upper[:, 4:5]
        rgb = rgb * (1 + grain * (1 - lower[:, 3:4]))
        rgb = rgb * (1 - lower[:, 3:4]) + lower[:, :3]
        rgb = rgb * (1 - upper[:, 3:4]) + upper[:, :3]
        # The lips' shade inside the opening, and the cheeks' towards the corners.
        shade = 1 - c.upper_shade * _exp(-t_up / (c.upper_shade_iod * L))
        shade = shade * (1 - c.lower_shade * _exp(-t_low / (c.lower_shade_iod * L)))
        corner = ((u_in - 0.55) / 0.45).clamp(0, 1)
        shade = shade * (1 - c.corner_shade * corner * corner * (3 - 2 * corner))
        rgb = rgb * shade[:, None]
        # Painted only once the lips leave the portrait's own place (a still is the portrait).
        moved = (targets[:, self.inner_ids] - self.source[self.inner_ids]).norm(dim=-1)
        strength = ((moved.amax(1) - c.show_after_px) / c.show_ramp_px).clamp(0, 1)  # (B,)
        alpha = (inside * strength.view(-1, 1, 1))[:, None]  # (B, 1, bh, bw)
        return rgb.clamp(0, 255), alpha

    def _sample(self, layer, pix, skull, shift) -> torch.Tensor:
        """Texture `layer` (1, C, th, tw) at the source px of target pixels `pix` (B, h, w, 2)
        under the skull's affine map (B, 2, 3) plus a `shift` (B, 2) px -> (B, C, h, w)."""
        B = pix.shape[0]
        lin, off = skull[:, :, :2], skull[:, :, 2] + shift  # (B, 2, 2), (B, 2)
        inv = torch.linalg.inv(lin)
        rel = pix - off.view(B, 1, 1, 2)
        src = torch.einsum("bij,bhwj->bhwi", inv, rel)  # (B, h, w, 2) source px
        th, tw = layer.shape[-2:]
        ox, oy = self.texture_origin
        grid = torch.stack([(src[..., 0] - ox) * (2.0 / max(tw - 1, 1)) - 1.0,
                            (src[..., 1] - oy) * (2.0 / max(th - 1, 1)) - 1.0], -1)  # fmt: skip
        return F.grid_sample(layer.expand(B, -1, -1, -1), grid, mode="bilinear",
                             padding_mode="zeros", align_corners=True)  # fmt: skip


def _affine(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Least-squares affine maps (B, 2, 3) taking source points (N, 2) onto target (B, N, 2)."""
    ones = torch.ones(source.shape[0], 1, device=source.device, dtype=source.dtype)
    design = torch.cat([source, ones], 1)  # (N, 3)
    solve = torch.linalg.pinv(design)  # (3, N)
    coef = solve @ target  # (B, 3, 2)
    return coef.transpose(1, 2)  # (B, 2, 3): [lin | shift]


def _sig(x: torch.Tensor) -> torch.Tensor:
    # Clamped: far tails would produce float denormals, which are ~50x slower on CPUs.
    return torch.sigmoid(x.clamp(-30.0, 30.0))


def _exp(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(x.clamp_min(-60.0))
