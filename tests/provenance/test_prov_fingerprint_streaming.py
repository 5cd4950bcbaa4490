"""The streaming video fingerprint: bit for bit the old all-frames-in-memory result on real
clips (stored fingerprints must keep matching), in memory that does not grow with frames."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from provenance import hostile
from provenance.fingerprint import fingerprint, fingerprint_luma, fingerprint_video
from provenance.media import encode_video, iter_video_luma


def _old_fingerprint(path):
    return fingerprint_luma([p[::2, ::2].astype(np.float32) for p in iter_video_luma(path)])


@pytest.mark.parametrize("frames", [1, 5, 8, 13, 120])
def test_streaming_equals_the_old_fingerprint_on_a_real_clip(tmp_path, frames):
    from skimage import data

    image = data.astronaut()[::2, ::2]  # 256x256 portrait
    clip = np.stack([np.roll(image, 3 * i, axis=1) for i in range(frames)])
    clip[frames // 2 :] = clip[frames // 2 :] // 2  # a cut: segments differ
    path = encode_video(clip, tmp_path / "clip.mp4", crf=23)
    old = _old_fingerprint(path)
    assert fingerprint_video(path).to_hex() == old.to_hex()
    assert fingerprint(path).to_hex() == old.to_hex()


def test_memory_stays_flat_whatever_the_frame_count(tmp_path):
    path = tmp_path / "long.mp4"
    path.write_bytes(hostile.mp4_many_frames(frames=300, side=1024))
    tracemalloc.start()
    try:
        fingerprint_video(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The old way kept every half-size float32 plane: 300 MB here.
    assert peak < 40 * 1024**2, peak


@pytest.mark.parametrize("frames,chunk", [(1, 25), (13, 5), (120, 25), (120, 7)])
def test_fingerprint_of_frames_as_made_matches_the_encoded_clip(tmp_path, frames, chunk):
    """The worker fingerprints the frames it makes (no decode); verification fingerprints the
    decoded file. They must agree, whatever the chunking."""
    import torch
    from skimage import data

    from provenance.fingerprint import FrameFingerprinter, fingerprint_distance

    image = data.astronaut()[::2, ::2]
    clip = np.stack([np.roll(image, 3 * i, axis=1) for i in range(frames)])
    clip[frames // 2 :] = clip[frames // 2 :] // 2
    made = FrameFingerprinter(frames)
    for start in range(0, frames, chunk):
        made.add(torch.from_numpy(clip[start : start + chunk]))
    decoded = fingerprint_video(encode_video(clip, tmp_path / "clip.mp4", crf=23))
    assert made.result().bits.shape == decoded.bits.shape
    assert fingerprint_distance(made.result(), decoded) <= 0.02


def test_frame_fingerprinter_refuses_a_wrong_frame_count():
    from provenance.fingerprint import FrameFingerprinter

    made = FrameFingerprinter(3)
    made.add(np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="2 of the 3"):
        made.result()
    with pytest.raises(ValueError, match="more than"):
        made.add(np.zeros((2, 8, 8, 3), np.uint8))
