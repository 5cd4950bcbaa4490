"""Head motion without tearing, blinks that close the lids, and the benchmark's portrait set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from animation import topology as topo
from animation.behaviour import BehaviourConfig, sample_behaviour
from animation.bench_portraits import count_blinks, eye_opening, lip_gap
from animation.head_region import PersonSegmenter, head_weight
from animation.rig import FaceRig
from animation.warp import ThinPlateWarp, WarpConfig, corner_jacobians, jacobian_determinant

# Beyond a seated speaker's range (about 6, 4 and 3 degrees), with the jaw wide open.
STRESS_POSES = [(12, 0, 0), (-12, 0, 0), (0, 8, 0), (0, -8, 0), (0, 0, 6), (10, -7, -5),
                (-10, 7, 5)]  # fmt: skip


@pytest.fixture(scope="module")
def face(astronaut):
    from animation.landmarks import FaceLandmarker

    with FaceLandmarker() as finder:
        points = finder.find(astronaut).points
    with PersonSegmenter() as segmenter:
        mask = segmenter.mask(astronaut)
    return astronaut, points, mask


def _targets(points, poses, jaw=1.0, blink=0.0):
    rig = FaceRig(points)
    n = len(poses)
    mouth = torch.zeros(n, 4)
    mouth[:, 0] = jaw
    zeros = torch.zeros
    with torch.inference_mode():
        return rig(mouth, torch.tensor(poses, dtype=torch.float32), zeros(n, 2),
                   torch.full((n,), blink), zeros(n, 2), zeros(n))  # fmt: skip


def _warp(face, **config):
    image, points, mask = face
    return ThinPlateWarp(points, (image.shape[1], image.shape[0]), WarpConfig(**config), mask)


def test_warp_stays_fold_free_under_large_poses_with_the_mouth_open(face):
    targets = _targets(face[1], STRESS_POSES, jaw=1.0)
    with torch.inference_mode():
        coords = _warp(face)(targets)
        unrepaired = _warp(face, repair_iterations=0)(targets)
    lowest = jacobian_determinant(coords).amin((1, 2))
    assert float(lowest.min()) >= 0.3, lowest
    # Without the repair the same poses do squeeze the map below the bound (the open mouth).
    assert float(jacobian_determinant(unrepaired).min()) < 0.3


def test_the_coarse_bound_holds_for_the_dense_map(face):
    """The corner determinants of the coarse grid bound the bilinear map's inside each cell."""
    warp = _warp(face)
    targets = _targets(face[1], STRESS_POSES[:3], jaw=0.7)
    with torch.inference_mode():
        coarse = corner_jacobians(warp.coarse_displacement(targets), warp.spacing)
        dense = jacobian_determinant(warp(targets))
    assert float(dense.min()) >= float(coarse.min()) - 0.02


def test_a_still_face_is_the_identity_and_the_background_never_moves(face):
    from animation.generator import PortraitGenerator

    image, points, mask = face
    warp = _warp(face)
    still = torch.as_tensor(points, dtype=torch.float32)[None]
    with torch.inference_mode():
        identity = warp(still) - warp.pixel_grid
    assert float(identity.abs().max()) < 1e-3
    generator = PortraitGenerator(image, points, person_mask=mask)
    with torch.inference_mode():
        frame = generator(_targets(points, [(6, 3, 2)], jaw=0.5))[0].numpy()
    still_part = head_weight(points, image.shape[:2], mask) == 0
    assert np.array_equal(frame[still_part], image[still_part])
    moved = np.abs(frame.astype(int) - image).max(2) > 8
    assert moved[~still_part].mean() > 0.05  # the head did move
    # The moving part is the head and a band around it, not the frame.
    assert still_part.mean() > 0.5


def test_hair_moves_with_the_head(face):
    """Hair above the forehead follows the head's rigid motion instead of being left behind."""
    image, points, mask = face
    warp = _warp(face)
    targets = _targets(points, [(0, 0, 5)], jaw=0.0)  # a tilt
    with torch.inference_mode():
        coords = warp(targets)[0].numpy()
    # The head's motion: the similarity taking the stable points to where they go.
    stable = list(topo.STABLE_POINTS)
    src, dst = points[stable, :2], targets[0, stable, :2].numpy()
    a = np.concatenate([src, np.ones((len(src), 1))], 1)
    motion, *_ = np.linalg.lstsq(a, dst, rcond=None)  # (3, 2) affine
    forehead = points[topo.FOREHEAD_TOP, :2]
    up = forehead - points[topo.CHIN_BOTTOM, :2]
    iod = np.linalg.norm(points[topo.LEFT_IRIS_CENTER, :2] - points[topo.RIGHT_IRIS_CENTER, :2])
    x0, y0 = warp.roi[:2]
    for reach in (0.4, 0.8):  # in the hair, IOD above the forehead
        hair = forehead + reach * iod * up / np.linalg.norm(up)
        there = np.append(hair, 1.0) @ motion  # where the hair should be drawn
        col, row = int(round(there[0])) - x0, int(round(there[1])) - y0
        sampled = coords[row, col] + (np.array([col + x0, row + y0]) - there)  # small rounding
        assert np.linalg.norm(there - hair) > 2.0  # the tilt does move the hair
        assert np.linalg.norm(sampled - hair) < 0.2 * np.linalg.norm(there - hair)


def test_warp_slides_along_the_image_edges(face):
    image, points, mask = face
    # A portrait cropped tight: the head touches the top edge of the frame.
    top = int(points[topo.FOREHEAD_TOP, 1] - 40)
    cropped = np.ascontiguousarray(image[top:])
    shifted = points.copy()
    shifted[:, 1] -= top
    warp = ThinPlateWarp(shifted, (cropped.shape[1], cropped.shape[0]), None, mask[top:])
    with torch.inference_mode():
        coords = warp(_targets(shifted, [(0, -6, 3)], jaw=0.0))[0]
    y0 = warp.roi[1]
    assert y0 == 0
    assert float((coords[0, :, 1]).abs().max()) < 1e-3  # the top row samples the top row


def test_blinks_come_in_every_clip_of_three_seconds(tmp_path):
    fps = 25.0
    rng = np.random.default_rng(7)
    for seed in range(60):
        n = int(fps * rng.uniform(3.0, 7.0))
        blink = sample_behaviour(n, fps, seed, speech_activity=np.ones(n)).blink
        assert count_blinks(blink >= 0.999) >= 1, (seed, n)
    # ... and a clip shorter than the first blink's latest time may go without.
    late = BehaviourConfig(blink_first_s=(2.4, 2.5))
    assert count_blinks(sample_behaviour(50, fps, 0, config=late).blink >= 0.999) == 0


def test_blink_rate_is_natural_over_long_clips():
    fps, minutes = 25.0, 4
    n = int(fps * 60 * minutes)
    for seed in range(4):
        behaviour = sample_behaviour(n, fps, seed, speech_activity=np.ones(n))
        rate = count_blinks(behaviour.blink >= 0.999) / minutes
        assert 10 <= rate <= 20, (seed, rate)
        # Every blink shuts the lids fully on at least one frame.
        assert count_blinks(behaviour.blink >= 0.999) == count_blinks(behaviour.blink > 0.05)


def test_head_motion_stays_in_a_seated_speakers_range_with_nods_on_stress():
    fps, n = 25.0, 1500
    t = np.arange(n) / fps
    syllables = np.clip(np.sin(2 * np.pi * 4 * t), 0, None)  # four syllables a second
    stressed = (np.floor(t * 4).astype(int) % 5) == 0  # every fifth is loud
    level = syllables * np.where(stressed, 1.0, 0.45)
    with_nods = sample_behaviour(n, fps, 3, speech_activity=np.ones(n), speech_level=level)
    without = sample_behaviour(n, fps, 3, speech_activity=np.ones(n))
    pose = with_nods.pose_deg
    assert np.all(np.abs(pose) <= np.array([6.0, 4.0, 3.0]) + 1e-9)
    assert np.abs(pose[:, 0]).max() > 2.0  # it does move
    assert np.abs(np.diff(pose, axis=0)).max() < 1.0  # smooth: under a degree per frame
    nod = with_nods.pose_deg[:, 1] - without.pose_deg[:, 1]
    peaks = (np.sin(2 * np.pi * 4 * t) > 0.99) & stressed
    others = (np.sin(2 * np.pi * 4 * t) > 0.99) & ~stressed
    assert nod[peaks].mean() > 0.3 and nod[peaks].mean() > 3 * max(nod[others].mean(), 0.0)


def test_lids_close_fully_on_a_blink(face):
    from animation.generator import PortraitGenerator
    from animation.landmarks import FaceLandmarker

    image, points, mask = face
    generator = PortraitGenerator(image, points, person_mask=mask)
    targets = _targets(points, [(0, 0, 0)], jaw=0.0, blink=1.0)
    with torch.inference_mode():
        frames = generator(targets).numpy()
    with FaceLandmarker() as finder:
        own = eye_opening(finder.find(image).points[:, :2])
        shut = eye_opening(finder.find(frames[0]).points[:, :2])
    assert shut < 0.35 * own, (shut, own)


def test_the_portrait_set_builds(tmp_path):
    from PIL import Image

    from animation.landmarks import FaceLandmarker
    from animation.portrait_set import build_portrait_set

    portraits = build_portrait_set(tmp_path)  # no download: the quick suite stays offline
    assert {"astronaut", "astronaut_closed", "astronaut_open", "astronaut_gray",
            "astronaut_sepia"} <= set(portraits)  # fmt: skip
    images = {name: np.asarray(Image.open(p.path)) for name, p in portraits.items()}
    assert images["astronaut_gray"].ndim == 2
    red, green, blue = images["astronaut_sepia"].reshape(-1, 3).mean(0)
    assert red > green > blue  # warm
    with FaceLandmarker() as finder:
        gaps = {name: lip_gap(finder.find(images[name]).points[None, :, :2])[0]
                for name in ("astronaut", "astronaut_closed", "astronaut_open")}  # fmt: skip
    assert gaps["astronaut_open"] > gaps["astronaut"] + 0.05
    assert gaps["astronaut_closed"] < gaps["astronaut"]


@pytest.mark.slow
def test_the_portrait_set_holds_the_man_with_glasses(tmp_path):
    from PIL import Image

    from animation.landmarks import FaceLandmarker
    from animation.portrait_set import build_portrait_set

    portraits = build_portrait_set(tmp_path, download=True)
    if "glasses_man" not in portraits:
        pytest.skip("opencv-doc is neither installed nor downloadable here")
    man = np.asarray(Image.open(portraits["glasses_man"].path))
    assert man.shape[1] * 3 <= 1162 and man.shape[0] == 580
    with FaceLandmarker() as finder:
        face = finder.find(man)
    assert face.face_count == 1
    assert lip_gap(face.points[None, :, :2])[0] < 0.03  # a closed mouth
