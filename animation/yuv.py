"""RGB -> YUV 4:2:0 in torch, on the frames' own device, matching libswscale's rgb24 -> yuv420p.

On a GPU this lets only the 1.5-byte/pixel planes cross to the CPU, once, right before the
encoder. The colours are what the encoder made from RGB before (libswscale's defaults): BT.601
limited range; chroma averaged over each horizontal pair of pixels and, vertically, over four
rows weighted 1, 3, 3, 1 (the chroma sample sits between the two rows it stands for), with the
edge rows repeated. Results stay within one code value of libswscale's.

On the CPU, libswscale's SIMD conversion is faster than this (see `video.ClipWriter`), so CPU
frames go to the encoder as RGB.
"""

from __future__ import annotations

import torch

# BT.601, 8 bit, limited range (16..235 luma, 16..240 chroma): rows Y, Cb, Cr over R, G, B.
BT601_LIMITED = (
    (65.481 / 255, 128.553 / 255, 24.966 / 255),
    (-37.797 / 255, -74.203 / 255, 112.0 / 255),
    (112.0 / 255, -93.786 / 255, -18.214 / 255),
)
LUMA_OFFSET, CHROMA_OFFSET = 16.0, 128.0
VERTICAL_CHROMA_TAPS = (1.0, 3.0, 3.0, 1.0)  # over rows 2j-1 .. 2j+2, divided by their sum


def rgb_to_yuv420(frames: torch.Tensor) -> torch.Tensor:
    """(N, H, W, 3) uint8 RGB -> (N, H * 3 // 2, W) uint8: the Y, U and V planes one after the
    other, the layout `av.VideoFrame.from_ndarray(..., format="yuv420p")` takes. H, W even."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != torch.uint8:
        raise TypeError("frames must be an (N, H, W, 3) uint8 tensor")
    n, h, w, _ = frames.shape
    if h % 2 or w % 2:
        raise ValueError(f"yuv420p needs even sides, not {w}x{h}")
    matrix = torch.tensor(BT601_LIMITED, dtype=torch.float32, device=frames.device)  # (3, 3)
    rgb = frames.to(torch.float32)  # (N, H, W, 3)
    out = torch.empty(n, h * w * 3 // 2, dtype=torch.uint8, device=frames.device)
    luma = torch.matmul(rgb, matrix[0]).add_(LUMA_OFFSET + 0.5).clamp_(0, 255)  # (N, H, W)
    out[:, : h * w] = luma.view(n, h * w)
    # Chroma: average horizontal pairs, then the 1-3-3-1 rows with the edge rows repeated.
    pairs = rgb.view(n, h, w // 2, 2, 3).sum(3)  # (N, H, W/2, 3), 2x the mean
    padded = torch.cat([pairs[:, :1], pairs, pairs[:, -1:]], dim=1)  # (N, H + 2, W/2, 3)
    a, b, c, d = VERTICAL_CHROMA_TAPS
    rows = (
        padded[:, 0:-2:2] * a + padded[:, 1:-1:2] * b + padded[:, 2::2] * c + padded[:, 3::2] * d
    )  # (N, H/2, W/2, 3), 2 * sum(taps) x the mean
    scale = 1.0 / (2.0 * sum(VERTICAL_CHROMA_TAPS))
    chroma = torch.matmul(rows, matrix[1:].T * scale).add_(CHROMA_OFFSET + 0.5).clamp_(0, 255)
    out[:, h * w :] = chroma.permute(0, 3, 1, 2).reshape(n, h * w // 2)  # U plane, then V
    return out.view(n, h * 3 // 2, w)
