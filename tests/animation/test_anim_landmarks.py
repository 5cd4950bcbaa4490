"""Landmarks and portrait loading: variants that must work, inputs that must fail clearly."""

from __future__ import annotations

import numpy as np
import pytest

from animation import topology as topo
from animation.errors import (
    AnimationInputError,
    FaceIndexError,
    FaceTooSmallError,
    NoFaceError,
    UnreadableImageError,
)
from animation.landmarks import FaceLandmarker
from animation.portrait import load_portrait, output_size


@pytest.fixture(scope="module")
def landmarker():
    with FaceLandmarker() as finder:
        yield finder


@pytest.fixture(scope="module")
def reference(landmarker, astronaut):
    return landmarker.find(astronaut)


def test_astronaut_has_478_points_on_the_face(reference):
    assert reference.points.shape == (478, 3)
    assert reference.face_count == 1
    # Her face sits around x 180-280, y 60-180 in the 512² picture.
    assert 190 < reference.points[topo.NOSE_TIP, 0] < 260
    assert 100 < reference.points[topo.NOSE_TIP, 1] < 160
    assert 35 < reference.inter_ocular < 55


@pytest.mark.parametrize("variant", ["gray", "sepia", "painted", "small"])
def test_variants_give_the_same_face(landmarker, portraits, reference, variant):
    image = load_portrait(portraits[variant])
    found = landmarker.find(image)
    scale = 512 / image.shape[1]
    error = np.linalg.norm(found.points[:, :2] * scale - reference.points[:, :2], axis=1)
    assert np.median(error) / reference.inter_ocular < 0.08


def test_exif_orientation_is_honoured(landmarker, portraits, reference):
    image = load_portrait(portraits["exif_rotated"])
    assert image.shape == (512, 512, 3)
    found = landmarker.find(image)
    # Upright: the eyes are above the mouth, in the same place as in the original.
    assert found.points[topo.RIGHT_IRIS_CENTER, 1] < found.points[13, 1]
    error = np.linalg.norm(found.points[:, :2] - reference.points[:, :2], axis=1)
    assert np.median(error) / reference.inter_ocular < 0.08


def test_two_faces_largest_by_default_and_index_picks(landmarker, portraits):
    image = load_portrait(portraits["two_faces"])
    largest = landmarker.find(image)
    assert largest.face_count == 2
    assert largest.face_index == 1 and largest.points[topo.NOSE_TIP, 0] > 384
    left = landmarker.find(image, face_index=0)
    assert left.points[topo.NOSE_TIP, 0] < 384
    assert left.inter_ocular < largest.inter_ocular
    with pytest.raises(FaceIndexError, match="shows 2 faces"):
        landmarker.find(image, face_index=2)


def test_no_face_is_a_clear_error(landmarker, portraits):
    with pytest.raises(NoFaceError, match="No face was found"):
        landmarker.find(load_portrait(portraits["no_face"]))


def test_garbage_image_is_unreadable(portraits):
    with pytest.raises(UnreadableImageError, match="could not be read"):
        load_portrait(portraits["garbage"])
    with pytest.raises(UnreadableImageError, match="does not exist"):
        load_portrait(portraits["garbage"].with_name("missing.png"))
    assert issubclass(UnreadableImageError, AnimationInputError)


def test_face_too_small_names_the_minimum(portraits, short_speech, tmp_path):
    from animation import animate

    with pytest.raises(FaceTooSmallError, match="at least 48 pixels") as info:
        animate(portraits["tiny_face"], short_speech, tmp_path / "x.mp4", size=128)
    assert info.value.minimum_px == 48 and info.value.face_height_px < 48
    assert not list(tmp_path.iterdir())  # nothing left behind


def test_output_size_keeps_framing_and_even_sides():
    assert output_size(512, 512, 256) == (256, 256)
    assert output_size(3000, 2000, 1024) == (1024, 682)
    assert output_size(301, 201, 1024) == (300, 200)  # never upscaled; even sides
    with pytest.raises(ValueError):
        output_size(512, 512, 2048)


def test_topology_matches_mediapipe():
    pytest.importorskip("mediapipe")
    from mediapipe.python.solutions import face_mesh_connections as c

    def points(edges):
        return {i for edge in edges for i in edge}

    assert set(topo.LIPS_ALL) == points(c.FACEMESH_LIPS)
    assert set(topo.FACE_OVAL) == points(c.FACEMESH_FACE_OVAL)
    assert set(topo.RIGHT_EYE_UPPER + topo.RIGHT_EYE_LOWER) == points(c.FACEMESH_RIGHT_EYE)
    assert set(topo.LEFT_EYE_UPPER + topo.LEFT_EYE_LOWER) == points(c.FACEMESH_LEFT_EYE)
    assert set(topo.RIGHT_IRIS[1:]) == points(c.FACEMESH_RIGHT_IRIS)
    assert set(topo.LEFT_IRIS[1:]) == points(c.FACEMESH_LEFT_IRIS)
    assert set(topo.NOSE) == points(c.FACEMESH_NOSE)


@pytest.mark.parametrize("variant", ["color", "gray", "sepia"])
def test_mouth_palette_follows_the_photograph(landmarker, portraits, variant):
    """Colour portraits get a lip-tinted cavity and tongue; monochrome ones stay monochrome."""
    from animation.mouth import estimate_palette
    from animation.portrait import load_portrait

    image = load_portrait(portraits[variant])
    palette = estimate_palette(image, landmarker.find(image).points)
    cavity, tongue, teeth = map(np.array, (palette.cavity, palette.tongue, palette.teeth))
    assert cavity.mean() < 0.35 * teeth.mean() and cavity.mean() < tongue.mean()
    if variant == "color":
        assert cavity[0] > 1.5 * cavity[1] and tongue[0] > 1.3 * tongue[1]  # red, not skin-brown
    elif variant == "gray":
        assert np.ptp(cavity) < 1 and np.ptp(tongue) < 1
    else:  # sepia: warm, but only as warm as the print's own tone
        assert cavity[0] >= cavity[1] >= cavity[2] and tongue[0] < 1.3 * tongue[1]
