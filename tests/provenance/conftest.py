"""Fixtures for provenance tests: everything is made here (no downloads)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from provenance import media
from provenance.keys import create_local_chain


@pytest.fixture(scope="session")
def chain(tmp_path_factory):
    return create_local_chain(tmp_path_factory.mktemp("ours"))


@pytest.fixture(scope="session")
def other_chain(tmp_path_factory):
    """Someone else's CA: not in our trust configuration."""
    return create_local_chain(tmp_path_factory.mktemp("other"), organization="Someone else")


@pytest.fixture(scope="session")
def portrait() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="session")
def clip_frames(portrait) -> np.ndarray:
    """12 frames of 256^2 with slight motion (small, fast)."""
    small = portrait[::2, ::2]
    return np.stack([np.roll(small, i, axis=1) for i in range(12)])


@pytest.fixture
def mp4(tmp_path, clip_frames):
    return media.encode_video(clip_frames, tmp_path / "clip.mp4")


@pytest.fixture
def png(tmp_path, portrait):
    path = tmp_path / "still.png"
    Image.fromarray(portrait[::2, ::2]).save(path)
    return path


@pytest.fixture
def jpeg(tmp_path, portrait):
    path = tmp_path / "still.jpg"
    Image.fromarray(portrait[::2, ::2]).save(path, quality=90)
    return path
