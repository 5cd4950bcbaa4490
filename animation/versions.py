"""Version strings of every component, recorded in each clip's provenance."""

from __future__ import annotations

__version__ = "0.1.0"

MODEL_VERSIONS: dict[str, str] = {
    "animation": __version__,
    "landmarks": "mediapipe-0.10.21/face_detection_full_range+face_mesh_refined(478)",
    "audio_features": "logmel-16k-80-v1",
    "audio_to_motion": "learned-mouth_v2",  # the default; "signal" records signal-1
    "behaviour": "stochastic-behaviour-2",
    "rig": "mesh-rig-2",
    "generator": "head-tps-warp-2+eyelids-3+procedural-mouth-1",
}


def model_versions_string(versions: dict[str, str] | None = None) -> str:
    """'key=value;...' in a stable order, short enough for a C2PA assertion."""
    versions = versions or MODEL_VERSIONS
    return ";".join(f"{k}={v}" for k, v in sorted(versions.items()))
