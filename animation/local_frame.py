"""A local 2D frame spanned by two corner points (a mouth's or an eye's), batched over frames."""

from __future__ import annotations

import torch


def corner_frame(left: torch.Tensor, right: torch.Tensor):
    """Corners (B, 2) px -> centre (B, 2), unit axis left-to-right (B, 2), unit normal (B, 2,
    the axis turned a quarter towards +y: 'down' in image coordinates) and half the
    corner-to-corner distance (B, 1)."""
    center = (left + right) / 2
    axis = right - left
    half = axis.norm(dim=-1, keepdim=True).clamp_min(1e-3) / 2
    axis = axis / (2 * half)
    normal = torch.stack([-axis[:, 1], axis[:, 0]], -1)
    return center, axis, normal, half
