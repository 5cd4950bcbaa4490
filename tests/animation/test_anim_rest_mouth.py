"""The rig's rest mouth and the mouth interior: lips that close from any portrait (a toothy smile
and a wide-open mouth included), and an inside that looks photographed.

The sources are made here: skimage's astronaut (a toothy smile), and from it, with the project's
own rig, its rest mouth (closed) and its jaw wide open; grayscale and sepia copies.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from animation import topology as topo

pytest.importorskip("mediapipe")

CLOSED_IOD = 0.03  # re-detected inner-lip gap of lips that meet
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
LUMA = np.array([0.299, 0.587, 0.114])


@pytest.fixture(scope="module")
def finder():
    from animation.landmarks import FaceLandmarker

    with FaceLandmarker() as landmarker:
        yield landmarker


def render(image: np.ndarray, points: np.ndarray, mouth, rest: float = 1.0):
    """(frames (T, H, W, 3) uint8, targets (T, 478, 3) px) for mouth parameters (T, 4)."""
    from animation.generator import PortraitGenerator
    from animation.rest_mouth import estimate_mouth_state
    from animation.rig import FaceRig

    state = estimate_mouth_state(points, image)
    rig = FaceRig(points, mouth_state=state)
    params = torch.tensor(mouth, dtype=torch.float32)
    n, zeros = len(params), torch.zeros
    with torch.inference_mode():
        targets = rig(params, zeros(n, 3), zeros(n, 2), zeros(n), zeros(n, 2), zeros(n),
                      rest=torch.full((n,), rest))  # fmt: skip
        generator = PortraitGenerator(image, points, mouth_state=state,
                                      rest_points=rig.rest_points().numpy())  # fmt: skip
        return generator(targets).numpy(), targets.numpy()


def iod(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[topo.LEFT_IRIS_CENTER, :2]
                                - points[topo.RIGHT_IRIS_CENTER, :2]))  # fmt: skip


def inner_gap(points: np.ndarray) -> float:
    """Inner-lip gap in the middle of the mouth, in inter-ocular distances."""
    up, low = list(topo.LIPS_INNER_UPPER[3:8]), list(topo.LIPS_INNER_LOWER[3:8])
    return float((points[low, 1] - points[up, 1]).mean()) / iod(points)


@pytest.fixture(scope="module")
def sources(astronaut, finder) -> dict:
    """name -> (image, landmarks)."""
    points = finder.find(astronaut).points
    frames, _ = render(astronaut, points, [[0, 0, 0, 0], [1.0, 0, 0, 0]])
    gray = np.repeat((astronaut @ LUMA).round().clip(0, 255).astype(np.uint8)[..., None], 3, -1)
    sepia = np.clip(astronaut.astype(float) @ SEPIA.T, 0, 255).astype(np.uint8)
    images = {"smiling": astronaut, "closed": frames[0], "open": frames[1], "gray": gray,
              "sepia": sepia}  # fmt: skip
    return {name: (image, finder.find(image).points) for name, image in images.items()}


def test_rest_mouth_estimate_reads_the_portraits_mouth(sources):
    from animation.rest_mouth import estimate_mouth_state

    smiling, closed, opened = (estimate_mouth_state(sources[name][1], sources[name][0])
                               for name in ("smiling", "closed", "open"))  # fmt: skip
    # A toothy smile: lips apart over teeth, corners lifted, the jaw shut.
    assert smiling.gap_iod > 0.1 and smiling.teeth_shown > 0.3
    assert smiling.smile > 0.7 and smiling.jaw_open_iod < 0.05
    assert smiling.incisal_iod is not None and 0.05 < smiling.incisal_iod <= smiling.gap_iod
    # Its rest mouth: lips meeting, no teeth, the smile relaxed.
    assert closed.closed and closed.teeth_shown == 0.0
    assert closed.corner_lift_iod < smiling.corner_lift_iod - 0.05
    assert closed.width_iod < smiling.width_iod - 0.08
    # The jaw dropped: a wide gap, most of it the jaw's.
    assert opened.gap_iod > 0.25 and opened.jaw_open_iod > 0.15
    assert opened.teeth_shown < 0.5


def test_rest_weight_blends_from_the_portraits_mouth(sources):
    from animation.rest_mouth import estimate_mouth_state
    from animation.rig import FaceRig

    image, points = sources["smiling"]
    rig = FaceRig(points, mouth_state=estimate_mouth_state(points, image))
    np.testing.assert_allclose(rig.neutral().numpy()[:, :2], points[:, :2], atol=0.05)
    rest = rig.rest_points().numpy()
    assert abs(inner_gap(rest)) < 0.005  # the lips meet
    width = np.linalg.norm(rest[291, :2] - rest[61, :2]) / iod(points)
    assert width < 0.87  # the smile's width relaxed
    # The eyes, the nose and the forehead do not move.
    still = list(topo.RIGHT_EYE_UPPER + topo.LEFT_EYE_UPPER + topo.NOSE) + [topo.FOREHEAD_TOP]
    assert np.abs(rest[still, :2] - points[still, :2]).max() < 1e-3
    # A portrait whose mouth is already at rest keeps it.
    image, points = sources["closed"]
    rest = FaceRig(points, mouth_state=estimate_mouth_state(points, image)).rest_points()
    moved = np.linalg.norm(rest.numpy()[list(topo.LIPS_ALL), :2] - points[list(topo.LIPS_ALL), :2],
                           axis=1)  # fmt: skip
    assert moved.max() < 0.03 * iod(points)


@pytest.mark.parametrize("name", ["smiling", "open", "gray"])
def test_silence_and_bilabials_close_the_lips_of_any_source(sources, finder, name):
    image, points = sources[name]
    # Rest (silence), a bilabial with the jaw still partly open, then an open vowel.
    frames, _ = render(image, points, [[0, 0, 0, 0], [0.3, 0, 0, 1.0], [1.0, 0.15, 0, 0]])
    gaps = [inner_gap(finder.find(frame).points) for frame in frames]
    assert gaps[0] <= CLOSED_IOD and gaps[1] <= CLOSED_IOD
    assert gaps[2] >= 0.15
    # Where the lips meet, the teeth are gone: nothing along the seam is as bright as they were.
    _, targets = render(image, points, [[0, 0, 0, 0]])
    seam = targets[0, list(topo.LIPS_INNER_UPPER[2:-2]), :2]
    xs, ys = np.round(seam[:, 0]).astype(int), np.round(seam[:, 1]).astype(int)
    along = np.concatenate([frames[0][ys + dy, xs] for dy in (-1, 0, 1)]) @ LUMA
    inside = _opening_pixels(image, points)
    if len(inside) and name != "open":  # the smiles show teeth (the open one mostly cavity)
        teeth = np.percentile(inside @ LUMA, 90)
        assert along.max() < teeth - 10


def _opening_pixels(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    import cv2

    contour = np.concatenate([points[list(topo.LIPS_INNER_UPPER), :2],
                              points[list(topo.LIPS_INNER_LOWER[::-1]), :2]])  # fmt: skip
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(contour).astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
    return image[mask > 0].astype(float)


@pytest.mark.parametrize("name", ["smiling", "closed", "gray", "sepia"])
def test_open_mouth_interior_is_neither_flat_nor_white_nor_tinted(sources, name):
    image, points = sources[name]
    frames, targets = render(image, points, [[1.0, 0.15, 0, 0]])
    inside = _opening_pixels(frames[0], targets[0])
    assert len(inside) > 80
    luma = inside @ LUMA
    # Teeth and a cavity, with shading in between: no flat band.
    assert np.percentile(luma, 95) > 2.5 * np.percentile(luma, 10)
    assert luma.std() > 25
    assert np.percentile(luma, 10) > 8  # a dark mouth, not a black hole
    # Never pure white: no brighter than the face around it.
    face = _face_pixels(image, points) @ LUMA
    assert luma.max() <= np.percentile(face, 99.5) + 2 and inside.max() < 250
    # Colours in the photograph's own tone.
    if name == "gray":
        assert np.abs(np.diff(inside, axis=1)).max() <= 2
    elif name == "sepia":
        assert _tone_residual(image, inside) < 8
    else:
        bright = inside[luma >= np.percentile(luma, 85)]  # the teeth
        chroma = (bright.max(1) - bright.min(1)) / np.maximum(bright @ LUMA, 1)
        assert np.median(chroma) < 0.2  # ivory, not tinted
        assert np.median(bright[:, 2] - bright[:, 0]) <= 0  # and never blue


def _face_pixels(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    import cv2

    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points[list(topo.FACE_OVAL), :2]).astype(np.int32)], 1)
    return image[mask > 0].astype(float)


def _tone_residual(image: np.ndarray, colours: np.ndarray) -> float:
    """RMS distance (grey levels) of colours from the image's own colour-per-brightness curve."""
    every = image.reshape(-1, 3).astype(float)[::7]
    design = np.stack([every @ LUMA, np.ones(len(every))], 1)
    coef, *_ = np.linalg.lstsq(design, every, rcond=None)
    predicted = np.stack([colours @ LUMA, np.ones(len(colours))], 1) @ coef
    return float(np.sqrt(np.mean((colours - predicted) ** 2)))


def test_drawn_teeth_are_separate_crowns_under_a_gum_line(sources):
    """Without teeth of its own to reuse, the upper row is drawn: crowns with gaps between
    them, rising into a gum line, fading into shadow towards the back."""
    from animation.dentition import build_layers
    from animation.mouth import estimate_palette
    from animation.photo_finish import PhotoFinish
    from animation.rest_mouth import estimate_mouth_state
    from animation.rig import FaceRig

    image, points = sources["closed"]
    state = estimate_mouth_state(points, image)
    assert state.incisal_iod is None  # nothing to reuse: the teeth are drawn
    rest = FaceRig(points, mouth_state=state).rest_points().numpy()
    palette = estimate_palette(image, points, state)
    layers = build_layers(image, points, rest, state, palette, PhotoFinish(0.3, 0.0))
    upper = layers.skull[0].numpy()  # (5, h, w): premultiplied RGB, alpha, grain
    alpha, luma = upper[3], np.tensordot(LUMA, upper[:3], 1)
    # A row just above the central incisors' edge: enamel (bright) with dark gaps between
    # crowns.
    x0 = rest[topo.MOUTH_CORNERS_OUTER[0], 0] - layers.origin[0]
    x1 = rest[topo.MOUTH_CORNERS_OUTER[1], 0] - layers.origin[0]
    edge = np.flatnonzero(alpha[:, int((x0 + x1) / 2)] > 0.5)[-1]
    row = luma[edge - max(1, round(0.04 * iod(points)))]
    assert np.all(alpha[: edge - 1, int((x0 + x1) / 2)] > 0.5)  # gum above, under the lip
    middle = row[int(x0 + 0.25 * (x1 - x0)) : int(x0 + 0.75 * (x1 - x0))]
    dips = np.flatnonzero((middle[1:-1] < middle[:-2]) & (middle[1:-1] < middle[2:])
                          & (middle[1:-1] < 0.9 * middle.max()))  # fmt: skip
    assert len(dips) >= 2  # at least three crowns side by side
    assert middle.max() > 0.8 * float(np.dot(LUMA, palette.teeth))
    # The back of the arch is in shadow compared with the front teeth.
    centre = int((x0 + x1) / 2)
    side = int(x0 + 0.06 * (x1 - x0))
    assert row[side] < 0.75 * row[centre - 3 : centre + 4].max()


def test_a_closed_mouth_at_rest_looks_like_itself(sources):
    """Lips that already meet keep their own seam and texture at rest (nothing is filled in)."""
    import cv2

    image, points = sources["closed"]
    frames, _ = render(image, points, [[0, 0, 0, 0]])
    outer = np.concatenate([points[list(topo.LIPS_OUTER_UPPER), :2],
                            points[list(topo.LIPS_OUTER_LOWER[::-1]), :2]])  # fmt: skip
    lips = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(outer).astype(np.int32)], 1)
    diff = np.abs(frames[0].astype(int) - image.astype(int))[lips > 0]
    assert diff.mean() < 3 and np.percentile(diff, 95) < 12


def test_a_wide_open_portrait_reopens_as_wide_as_asked(sources, finder):
    """Vowels from a portrait whose own mouth is wide open re-detect at about the opening the
    rig asks for (they used to read at two thirds of it, a small one at half)."""
    image, points = sources["open"]
    jaws = [0.3, 0.4, 0.5, 0.6]
    frames, targets = render(image, points, [[jaw, 0, 0, 0] for jaw in jaws])
    ratios = np.array([inner_gap(finder.find(frame).points) / inner_gap(target)
                       for frame, target in zip(frames, targets, strict=True)])  # fmt: skip
    assert ratios.min() >= 0.6 and ratios.mean() >= 0.74, ratios


def test_the_lip_filled_copy_stays_on_the_lips(sources):
    """Closing over a wide opening, the lip layer takes the lips from a copy with the opening
    painted over by lip; that copy stays out of the target's own opening, where the interior
    is painted over the portrait's own opening (lip there would narrow it)."""
    from animation.lip_layer import LipLayer, contour_rows, mouth_frame, to_mouth
    from animation.rest_mouth import estimate_mouth_state
    from animation.rig import FaceRig

    image, points = sources["open"]
    layer = LipLayer(points, image)
    rig = FaceRig(points, mouth_state=estimate_mouth_state(points, image))
    zeros = torch.zeros
    with torch.inference_mode():
        targets = rig(torch.tensor([[0.5, 0, 0, 0]]), zeros(1, 3), zeros(1, 2), zeros(1),
                      zeros(1, 2), zeros(1))[..., :2]  # fmt: skip
        h, w = image.shape[:2]
        _, (x0, y0, x1, y1), _, fill = layer(_pixels(0, 0, w, h), targets, (0, 0, w, h))
    frame = mouth_frame(targets)
    u, v = to_mouth(_pixels(x0, y0, x1 - x0, y1 - y0), frame)
    _, top, bottom, _ = contour_rows(targets, frame, u)
    opening = (u.abs() < 0.8) & (v > top + 1) & (v < bottom - 1)
    lips = (u.abs() < 0.8) & ((v < top - 1) | (v > bottom + 1)) & (v > top - 4) & (v < bottom + 4)
    assert opening.sum() > 50 and lips.sum() > 50
    assert fill[0, 0][opening[0]].max() < 0.05  # the opening keeps the portrait's own
    assert fill[0, 0][lips[0]].mean() > 0.2  # the lips do take from the filled copy


def _pixels(x0: int, y0: int, w: int, h: int) -> torch.Tensor:
    """(1, h, w, 2) px coordinates (x, y) of a box of pixels."""
    ys = torch.arange(y0, y0 + h, dtype=torch.float32)
    xs = torch.arange(x0, x0 + w, dtype=torch.float32)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)[None].clone()


def test_a_still_frame_is_the_portrait(sources):
    """With the portrait's own mouth and nothing moving, nothing is painted."""
    image, points = sources["smiling"]
    frames, _ = render(image, points, [[0, 0, 0, 0]], rest=0.0)
    assert np.array_equal(frames[0], image)


@pytest.fixture(scope="module")
def bilabial_speech(tmp_path_factory, wav_writer):
    """(wav path, phoneme events) of speech full of p, b and m, with pauses."""
    from animation.speech_corpus import EspeakSynthesizer, EspeakUnavailableError

    try:
        synth = EspeakSynthesizer.shared()
    except EspeakUnavailableError:
        pytest.skip("libespeak-ng is not installed (apt-get install espeak-ng)")
    samples, events = synth.synthesize("Maybe Bob bought a map. Please, mum.", "en-us")
    pad = int(0.4 * synth.sample_rate)
    samples = np.concatenate([np.zeros(pad, np.float32), samples, np.zeros(pad, np.float32)])
    events = [(name, t + 0.4) for name, t in events]
    path = tmp_path_factory.mktemp("bilabials") / "speech.wav"
    wav_writer(path, samples, synth.sample_rate)
    return path, events, len(samples) / synth.sample_rate


def test_every_bilabial_shuts_the_lips_of_a_wide_open_portrait(sources, finder, bilabial_speech,
                                                                tmp_path):  # fmt: skip
    from PIL import Image

    from animation.pipeline import animate
    from animation.visemes import BILABIAL, phoneme_segments

    path, events, duration = bilabial_speech
    portrait = tmp_path / "open.png"
    Image.fromarray(sources["open"][0]).save(portrait)
    frames = []

    def keep(chunk, start):
        frames.append(chunk.cpu().numpy().copy())
        return chunk

    result = animate(portrait, path, tmp_path / "clip.mp4", frame_hook=keep)
    video = np.concatenate(frames)
    gaps = np.array([inner_gap(finder.find(frame).points) for frame in video])
    times = (np.arange(len(video)) + 0.5) / result.fps
    segments = phoneme_segments(events, duration)
    bilabials = [s for s in segments if s.viseme == BILABIAL]
    assert len(bilabials) >= 5
    for segment in bilabials:
        during = (times >= segment.start - 0.02) & (times < segment.end + 0.02)
        assert gaps[during].min() <= CLOSED_IOD, segment
    # The pauses before and after the speech are silent and shut.
    assert (gaps[times < events[0][1] - 0.1] <= CLOSED_IOD).all()


def test_lips_let_go_on_a_full_vowel_but_not_on_a_murmur():
    """A predictor's closure smeared over a loud vowel is released; a nasal murmur (energy
    below the vowel band) keeps its closure."""
    from animation.audio import compute_features
    from animation.motion import LIP_CLOSURE, open_for_vowels, vowel_level

    rate, fps = 16_000, 25.0
    t = np.arange(rate) / rate  # one second: a vowel-like tone, then a low hum
    vowel = 0.3 * np.sin(2 * np.pi * 1200 * t[: rate // 2])
    murmur = 0.3 * np.sin(2 * np.pi * 180 * t[rate // 2 :])
    features = compute_features(torch.tensor(np.concatenate([vowel, murmur]), dtype=torch.float32),
                                fps)  # fmt: skip
    level = vowel_level(features)
    n = features.n_frames
    mouth = np.zeros((n, 4), np.float32)
    mouth[:, LIP_CLOSURE] = 1.0
    released = open_for_vowels(mouth, features)[:, LIP_CLOSURE]
    first, second = slice(2, n // 2 - 2), slice(n // 2 + 2, n - 2)
    assert level[first].min() > 0.95 and level[second].max() < 0.5
    assert released[first].max() < 0.05 and released[second].min() == 1.0


@pytest.mark.parametrize("name", ["smiling", "open"])
def test_central_lip_gap_is_the_gap_the_rig_makes(sources, name):
    """evaluate_mouth scores predictions on `central_lip_gap` without a portrait: it must be the
    gap the rig opens between the middle inner-lip pair of a real portrait's rest mouth."""
    from animation.rest_mouth import estimate_mouth_state
    from animation.rig import FaceRig, central_lip_gap

    image, points = sources[name]
    rig = FaceRig(points, mouth_state=estimate_mouth_state(points, image))
    mouth = torch.tensor([[0, 0, 0, 0], [1, 0.15, 0, 0], [0.35, -0.45, 0.9, 0], [0.3, 0, 0, 1],
                          [0.6, 0, 0, 0.5], [0.2, 0, 0, 0.3], [0.5, 0.5, 0.2, 0.7]])  # fmt: skip
    n, zeros = len(mouth), torch.zeros
    with torch.inference_mode():
        targets = rig(mouth, zeros(n, 3), zeros(n, 2), zeros(n), zeros(n, 2), zeros(n)).numpy()
    middle = len(topo.LIPS_INNER_UPPER) // 2
    up, low = topo.LIPS_INNER_UPPER[middle], topo.LIPS_INNER_LOWER[middle]
    rendered = (targets[:, low, 1] - targets[:, up, 1]) / iod(points)
    np.testing.assert_allclose(central_lip_gap(mouth).numpy(), rendered, rtol=0.03, atol=0.003)
    np.testing.assert_allclose(central_lip_gap(mouth.numpy()), central_lip_gap(mouth).numpy(),
                               atol=1e-6)  # fmt: skip
