"""The encoder's input: RGB -> YUV 4:2:0 in torch matches libswscale, and either path encodes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from animation.video import ClipWriter, EncoderConfig
from animation.yuv import rgb_to_yuv420


def _swscale(frames: np.ndarray) -> np.ndarray:
    import av

    return np.stack([av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv420p")
                     .to_ndarray() for f in frames])  # fmt: skip


@pytest.fixture(scope="module")
def test_frames(astronaut) -> np.ndarray:
    """A photo, its sharp-edged colour bars, and noise: (3, 128, 160, 3) uint8."""
    photo = astronaut[:128, 100:260]
    bars = np.zeros_like(photo)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255),
               (255, 0, 255), (255, 255, 255), (0, 0, 0)]  # fmt: skip
    for i, colour in enumerate(colours):
        bars[:, i * 20 : (i + 1) * 20] = colour
    bars[61:67] = 128  # an odd-placed grey band: chroma filtered across row pairs
    noise = np.random.default_rng(0).integers(0, 256, photo.shape, dtype=np.uint8)
    return np.stack([photo, bars, noise])


def test_yuv_conversion_matches_libswscale(test_frames):
    ours = rgb_to_yuv420(torch.from_numpy(test_frames)).numpy().astype(int)
    theirs = _swscale(test_frames).astype(int)
    assert ours.shape == theirs.shape == (3, 128 * 3 // 2, 160)
    difference = np.abs(ours - theirs)
    assert difference.max() <= 1
    assert difference.mean() < 0.1


def test_yuv_conversion_refuses_what_yuv420p_cannot_hold():
    with pytest.raises(TypeError, match="uint8"):
        rgb_to_yuv420(torch.zeros(1, 4, 4, 3))
    with pytest.raises(ValueError, match="even"):
        rgb_to_yuv420(torch.zeros(1, 5, 4, 3, dtype=torch.uint8))


def test_both_encoder_inputs_give_the_same_video(test_frames, tmp_path, video_decoder):
    """RGB to libswscale (the CPU path) and planes from torch (the GPU path) encode alike."""
    frames = torch.from_numpy(np.repeat(test_frames[:2], 5, axis=0))  # (10, H, W, 3)
    decoded = {}
    for in_torch in (False, True):
        path = tmp_path / f"torch-{in_torch}.mp4"
        config = EncoderConfig(yuv_in_torch=in_torch)
        with ClipWriter(path, 160, 128, 25.0, None, len(frames), config) as writer:
            writer.write(frames[:6])
            writer.write(frames[6:].numpy())  # numpy frames are accepted too
        decoded[in_torch], *_ = video_decoder(path)
    assert decoded[False].shape == decoded[True].shape == tuple(frames.shape)
    assert np.abs(decoded[False].astype(int) - decoded[True].astype(int)).mean() < 0.5
    assert np.abs(decoded[True].astype(int) - frames.numpy().astype(int)).mean() < 6


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_frames_convert_on_the_device_and_encode(test_frames, tmp_path, video_decoder):
    frames = torch.from_numpy(test_frames).cuda()
    planes = rgb_to_yuv420(frames)
    assert planes.is_cuda
    cpu_planes = rgb_to_yuv420(frames.cpu()).numpy().astype(int)
    assert np.abs(planes.cpu().numpy().astype(int) - cpu_planes).max() <= 1
    with ClipWriter(tmp_path / "cuda.mp4", 160, 128, 25.0, None, 2) as writer:
        writer.write(frames[:2])  # the photo and the bars (noise does not survive H.264)
    decoded, *_ = video_decoder(tmp_path / "cuda.mp4")
    assert np.abs(decoded.astype(int) - test_frames[:2].astype(int)).mean() < 6
