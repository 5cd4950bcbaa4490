"""Index sets of mediapipe's 478-point face mesh (468 face points + 2 x 5 iris points).

Ordered contours, as the rig and the mouth renderer need them (left to right in the image for
a frontal face). Checked against `mediapipe.solutions.face_mesh_connections` by the tests, so
this module itself never imports mediapipe.
"""

from __future__ import annotations

N_LANDMARKS = 478
N_FACE_POINTS = 468  # the points before the irises

# Lips, each contour from the image-left mouth corner to the image-right one.
LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNERS_OUTER = (61, 291)
MOUTH_CORNERS_INNER = (78, 308)
LIPS_ALL = tuple(
    sorted(set(LIPS_OUTER_UPPER + LIPS_OUTER_LOWER + LIPS_INNER_UPPER + LIPS_INNER_LOWER))
)

# Eyes ("right" = the subject's right = image left), contours from outer to inner corner.
RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
RIGHT_IRIS = (468, 469, 470, 471, 472)  # centre first
LEFT_IRIS = (473, 474, 475, 476, 477)
RIGHT_IRIS_CENTER = 468
LEFT_IRIS_CENTER = 473

RIGHT_EYEBROW = (46, 52, 53, 55, 63, 65, 66, 70, 105, 107)
LEFT_EYEBROW = (276, 282, 283, 285, 293, 295, 296, 300, 334, 336)

FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
NOSE = (
    1, 2, 4, 5, 6, 19, 45, 48, 64, 94, 97, 98, 115, 168, 195, 197, 220, 275, 278, 294, 326,
    327, 344, 440,
)  # fmt: skip

FOREHEAD_TOP = 10
CHIN_BOTTOM = 152
NOSE_TIP = 1

# Points that move little with expressions: used to align driving frames to their first frame.
STABLE_POINTS = (
    33, 133, 263, 362, 168, 6, 197, 195, 5, 4, 1, 10, 109, 338, 67, 297, 234, 454, 127, 356,
    93, 323,
)  # fmt: skip

# Landmarks whose positions the quality benchmark compares (mouth and eyes separately).
MOUTH_METRIC_POINTS = LIPS_ALL
EYE_METRIC_POINTS = tuple(
    sorted(set(RIGHT_EYE_UPPER + RIGHT_EYE_LOWER + LEFT_EYE_UPPER + LEFT_EYE_LOWER))
)
