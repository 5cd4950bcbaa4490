"""The chunk loop: generate frames on the device, pass them through the frame hook, encode.

Frames stay on the generator's device from generation through the hook to the encoder, which
converts them to YUV there (off the CPU) so only the planes cross to the CPU. One chunk at a
time, so memory stays flat however long the clip.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .stages import Stage, StageProgress
from .video import ClipWriter

# frame_hook(frames, start_index) -> frames: (N, H, W, 3) uint8 RGB on the generator's device,
# and the first frame's number. Called once per chunk, in order, before encoding; must return
# a tensor of the same shape, dtype and device (e.g. the frames watermarked). A hook object
# may also have `begin(total_frames)`, called once before the first chunk (a fingerprint of the
# whole clip needs to know its length).
FrameHook = Callable[[torch.Tensor, int], torch.Tensor]


def apply_frame_hook(hook: FrameHook, frames: torch.Tensor, start: int) -> torch.Tensor:
    """The hook's frames, or a TypeError saying what is wrong with them."""
    hooked = hook(frames, start)
    if not isinstance(hooked, torch.Tensor):
        raise TypeError(
            f"frame_hook must return a torch.Tensor, not {type(hooked).__name__} "
            f"(it receives and returns (N, H, W, 3) uint8 frames on {frames.device})"
        )
    expected = (tuple(frames.shape), frames.dtype, frames.device)
    got = (tuple(hooked.shape), hooked.dtype, hooked.device)
    if got != expected:
        raise TypeError(
            "frame_hook must return frames of the shape, dtype and device it was given: "
            f"expected {expected[0]} {expected[1]} on {expected[2]}, got {got[0]} {got[1]} on "
            f"{got[2]}"
        )
    return hooked


def stream_clip(
    generator: Callable[[torch.Tensor], torch.Tensor],
    targets: torch.Tensor,
    chunk_frames: int,
    frame_hook: FrameHook | None,
    writer: ClipWriter,
    steps: StageProgress,
) -> None:
    """Generate, hook and encode `targets` (T, 478, 3) chunk by chunk into `writer`, then finish
    the file: the rest of the GENERATE stage (begun by the caller), then the ENCODE stage."""
    n_frames = targets.shape[0]
    begin = getattr(frame_hook, "begin", None)
    if begin is not None:
        begin(n_frames)
    with writer:
        for start in range(0, n_frames, chunk_frames):
            frames = generator(targets[start : start + chunk_frames])
            if frame_hook is not None:
                steps.lap("hook")
                frames = apply_frame_hook(frame_hook, frames, start)
            steps.lap("encode")
            writer.write(frames)
            steps.lap("generate")
            steps.advance((start + frames.shape[0]) / n_frames)
        steps.begin(Stage.ENCODE)  # leaving the block flushes the encoder and writes the index
