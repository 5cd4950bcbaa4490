"""Face detection and dense 3D landmarks with mediapipe 0.10.21's face mesh.

Detection uses the full-range BlazeFace model (it finds small and several faces); the chosen
face is then cropped, scaled to the mesh's working size and run through the face mesh with
iris refinement, giving 478 points. Both models ship inside the mediapipe wheel, so nothing is
downloaded. Points are returned in pixels of the analysed image: x, y and z (z on the same
scale as x, smaller is closer to the camera).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .errors import FaceIndexError, NoFaceError
from .topology import CHIN_BOTTOM, FOREHEAD_TOP, LEFT_IRIS_CENTER, N_LANDMARKS, RIGHT_IRIS_CENTER


@dataclass(frozen=True)
class LandmarkConfig:
    detection_confidence: float = 0.5  # BlazeFace score needed to count a face
    crop_scale: float = 2.2  # mesh crop side, in units of the detected face box side
    mesh_input_px: int = 384  # side the face crop is scaled to before the mesh runs
    max_analysis_side: int = 1600  # larger portraits are shrunk first (speed, same accuracy)


@dataclass(frozen=True)
class FaceBox:
    x0: float  # left edge, pixels
    y0: float  # top edge, pixels
    x1: float  # right edge, pixels
    y1: float  # bottom edge, pixels
    score: float  # detector confidence

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)


@dataclass(frozen=True)
class FaceLandmarks:
    points: np.ndarray  # (478, 3) x, y, z in pixels of the image they were found in
    face_count: int  # faces the detector saw in the image
    face_index: int  # which one these points belong to (faces ordered left to right)
    box: FaceBox  # the detector's box for that face

    def scaled(self, factor: float) -> FaceLandmarks:
        box = FaceBox(*(v * factor for v in (self.box.x0, self.box.y0, self.box.x1, self.box.y1)),
                      self.box.score)  # fmt: skip
        return FaceLandmarks(self.points * factor, self.face_count, self.face_index, box)

    @property
    def face_height(self) -> float:
        """Forehead-top to chin distance in pixels."""
        return float(np.linalg.norm(self.points[FOREHEAD_TOP, :2] - self.points[CHIN_BOTTOM, :2]))

    @property
    def inter_ocular(self) -> float:
        """Distance between the iris centres in pixels."""
        return float(
            np.linalg.norm(self.points[RIGHT_IRIS_CENTER, :2] - self.points[LEFT_IRIS_CENTER, :2])
        )


def _quiet_mediapipe() -> None:
    # mediapipe's C++ side logs through glog/absl to stderr; keep worker logs readable.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class FaceLandmarker:
    """Finds faces and their 478 landmarks. Holds the mediapipe graphs; use as a context manager.

    The graphs are created lazily on first use (or by `warm_up`), so constructing one costs
    nothing, and are reused for every image: still images carry no state between calls (the
    detector and the static mesh look at each image afresh); the tracking mesh of `track` is
    reset at the start of every clip. Not thread-safe: one caller at a time.
    """

    def __init__(self, config: LandmarkConfig | None = None) -> None:
        self.config = config or LandmarkConfig()
        self._detector = None
        self._mesh = None
        self._video_mesh = None
        self._video_mesh_used = False

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for graph in (self._detector, self._mesh, self._video_mesh):
            if graph is not None:
                graph.close()
        self._detector = self._mesh = self._video_mesh = None
        self._video_mesh_used = False

    def warm_up(self) -> None:
        """Build the still-image graphs and run them once (model loading, first allocations)."""
        blank = np.zeros((64, 64, 3), np.uint8)
        self._get_detector().process(blank)
        self._get_mesh().process(blank)

    # -- mediapipe graphs -------------------------------------------------------------------
    def _solutions(self):
        _quiet_mediapipe()
        import mediapipe as mp  # heavy (~1 s); only when landmarks are actually needed

        return mp.solutions

    def _get_detector(self):
        if self._detector is None:
            self._detector = self._solutions().face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=self.config.detection_confidence
            )
        return self._detector

    def _get_mesh(self):
        if self._mesh is None:
            self._mesh = self._solutions().face_mesh.FaceMesh(
                static_image_mode=True, max_num_faces=1, refine_landmarks=True,
                min_detection_confidence=0.3,
            )  # fmt: skip
        return self._mesh

    def _get_video_mesh(self):
        if self._video_mesh is None:
            self._video_mesh = self._solutions().face_mesh.FaceMesh(
                static_image_mode=False, max_num_faces=1, refine_landmarks=True,
                min_detection_confidence=0.3, min_tracking_confidence=0.3,
            )  # fmt: skip
        return self._video_mesh

    # -- public -----------------------------------------------------------------------------
    def detect_faces(self, image: np.ndarray) -> list[FaceBox]:
        """All faces in an (H, W, 3) uint8 RGB image, ordered left to right."""
        height, width = image.shape[:2]
        result = self._get_detector().process(np.ascontiguousarray(image))
        boxes = []
        for detection in result.detections or []:
            rel = detection.location_data.relative_bounding_box
            x0, y0 = rel.xmin * width, rel.ymin * height
            boxes.append(
                FaceBox(x0, y0, x0 + rel.width * width, y0 + rel.height * height,
                        float(detection.score[0]))
            )  # fmt: skip
        boxes = _suppress_duplicates(boxes)
        return sorted(boxes, key=lambda b: (b.x0 + b.x1) / 2)

    def find(self, image: np.ndarray, face_index: int | None = None) -> FaceLandmarks:
        """Landmarks of the largest face (or of `face_index`, counted left to right)."""
        scale = 1.0
        longest = max(image.shape[:2])
        if longest > self.config.max_analysis_side:
            from .portrait import resize_rgb

            scale = self.config.max_analysis_side / longest
            image = resize_rgb(image, round(image.shape[1] * scale), round(image.shape[0] * scale))
        boxes = self.detect_faces(image)
        if not boxes:
            # The detector misses some faces the mesh's own detector finds (tight crops).
            points = self._mesh_on_crop(image, None)
            if points is None:
                raise NoFaceError(
                    "No face was found in the portrait. Use a photo where one face is clearly "
                    "visible, looking roughly towards the camera."
                )
            xy = points[:, :2]
            box = FaceBox(*xy.min(0), *xy.max(0), 0.0)
            return FaceLandmarks(points, 1, 0, box).scaled(1.0 / scale)
        if face_index is None:
            face_index = max(range(len(boxes)), key=lambda i: boxes[i].area)
        elif not 0 <= face_index < len(boxes):
            raise FaceIndexError(
                f"Face number {face_index} was asked for, but the portrait shows "
                f"{len(boxes)} face{'s' if len(boxes) != 1 else ''} (numbered from 0, left to "
                "right)."
            )
        box = boxes[face_index]
        points = self._mesh_on_crop(image, box)
        if points is None:
            raise NoFaceError(
                "A face was detected but its features could not be located. Use a sharper "
                "photo where the face looks roughly towards the camera."
            )
        return FaceLandmarks(points, len(boxes), face_index, box).scaled(1.0 / scale)

    def track(self, frames: Iterable[np.ndarray]) -> list[np.ndarray | None]:
        """Landmarks (478, 3) of one face through consecutive video frames; None where lost."""
        mesh = self._get_video_mesh()
        if self._video_mesh_used:
            mesh.reset()  # a new clip: forget the face tracked through the previous one
        self._video_mesh_used = True
        out: list[np.ndarray | None] = []
        for frame in frames:
            result = mesh.process(np.ascontiguousarray(frame))
            if not result.multi_face_landmarks:
                out.append(None)
                continue
            out.append(_to_pixels(result.multi_face_landmarks[0], frame.shape[1], frame.shape[0]))
        return out

    def mesh_full_image(self, image: np.ndarray) -> np.ndarray | None:
        """Landmarks of the mesh's own detection on the whole image (benchmarks use this)."""
        return self._mesh_on_crop(image, None)

    def _mesh_on_crop(self, image: np.ndarray, box: FaceBox | None) -> np.ndarray | None:
        import cv2

        if box is None:
            result = self._get_mesh().process(np.ascontiguousarray(image))
            if not result.multi_face_landmarks:
                return None
            return _to_pixels(result.multi_face_landmarks[0], image.shape[1], image.shape[0])
        side = max(box.x1 - box.x0, box.y1 - box.y0) * self.config.crop_scale
        cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        out = self.config.mesh_input_px
        k = out / side
        # crop pixel = k * (image pixel - corner); replicate borders when the crop leaves the image
        matrix = np.array([[k, 0, -k * (cx - side / 2)], [0, k, -k * (cy - side / 2)]])
        crop = cv2.warpAffine(
            image, matrix, (out, out), flags=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
        result = self._get_mesh().process(crop)
        if not result.multi_face_landmarks:
            return None
        points = _to_pixels(result.multi_face_landmarks[0], out, out)
        points[:, 0] = points[:, 0] / k + (cx - side / 2)
        points[:, 1] = points[:, 1] / k + (cy - side / 2)
        points[:, 2] = points[:, 2] / k
        return points


def _to_pixels(face_landmarks, width: int, height: int) -> np.ndarray:
    points = np.array(
        [(p.x * width, p.y * height, p.z * width) for p in face_landmarks.landmark],
        dtype=np.float64,
    )
    if points.shape != (N_LANDMARKS, 3):
        raise RuntimeError(f"face mesh returned {points.shape[0]} points, expected {N_LANDMARKS}")
    return points


def _suppress_duplicates(boxes: list[FaceBox], iou_limit: float = 0.4) -> list[FaceBox]:
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: -b.score):
        if all(_iou(box, other) < iou_limit for other in kept):
            kept.append(box)
    return kept


def _iou(a: FaceBox, b: FaceBox) -> float:
    ix = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0
