"""The one entry point: `animate(portrait, audio, output_path, ...)` -> AnimationResult.

This is the wrapper the architecture asks for: it picks the device, runs every module under
`torch.inference_mode()`, and streams frames from the generator through the caller's frame hook
into the encoder one chunk at a time, so memory stays flat for long audio.

Stages: load (portrait) -> landmarks -> audio (decode + features) -> motion (audio-to-motion,
behaviour or driving clip) -> rig -> generate -> hook -> encode.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import behaviour as behaviour_mod
from .audio import (
    ANALYSIS_RATE,
    OUTPUT_AUDIO_RATE,
    LogMelSpectrogram,
    compute_features,
    decode_audio,
    frame_count,
)
from .errors import AnimationInputError, FaceTooSmallError
from .generator import GeneratorConfig, PortraitGenerator
from .landmarks import FaceLandmarker, FaceLandmarks, LandmarkConfig
from .motion import JAW_OPEN, AudioToMotion, resolve_predictor, speech_activity
from .portrait import PortraitSource, load_portrait, output_size, resize_rgb
from .rig import FaceRig, RigConfig
from .versions import MODEL_VERSIONS, __version__, model_versions_string
from .video import ClipWriter, EncoderConfig, read_driving_video

MIN_FACE_HEIGHT_PX = 48  # forehead-to-chin height the face needs in the output video
MAX_IDLE_SECONDS = 600.0  # longest idle clip

ProgressCallback = Callable[[str, float], None]
# frame_hook(frames (N, H, W, 3) uint8 RGB, start_index) -> frames of the same shape and dtype.
# Called once per chunk, in order, before encoding; start_index is the first frame's number.
FrameHook = Callable[[np.ndarray, int], np.ndarray]


@dataclass
class MotionTrack:
    """What drove each frame (T frames), kept for provenance, tests and benchmarks."""

    mouth: np.ndarray  # (T, 4) jaw_open, lip_width, lip_round, lip_closure
    pose_deg: np.ndarray  # (T, 3) yaw, pitch, roll
    translation: np.ndarray  # (T, 2) head sway, IOD units
    blink: np.ndarray  # (T,) 0 open .. 1 closed (0 in driving mode: lids come from the clip)
    gaze: np.ndarray  # (T, 2)
    smile: np.ndarray  # (T,)


@dataclass
class AnimationResult:
    output_path: Path  # the MP4 written
    frame_count: int  # frames in the video
    fps: float  # frames per second
    duration_s: float  # frame_count / fps
    width: int  # video width, px
    height: int  # video height, px
    mode: str  # "audio", "driving" or "idle"
    seed: int  # seed of the stochastic behaviour
    device: str  # torch device the generator ran on
    face_count: int  # faces found in the portrait
    face_index: int  # the face animated (left to right)
    landmark_count: int  # landmarks per face (478)
    face_height_px: float  # forehead-to-chin height of the face in the video
    timings: dict[str, float]  # seconds per stage
    model_versions: dict[str, str]  # component -> version, for provenance
    motion: MotionTrack = field(repr=False)  # per-frame drivers
    source_landmarks: np.ndarray = field(repr=False)  # (478, 3) px in the video frame
    target_landmarks: np.ndarray = field(repr=False)  # (T, 478, 2) px intended per frame

    @property
    def model_versions_string(self) -> str:
        return model_versions_string(self.model_versions)

    def summary(self) -> dict:
        """JSON-friendly summary (what the CLI prints)."""
        return {
            "output": str(self.output_path), "frames": self.frame_count, "fps": self.fps,
            "duration_s": round(self.duration_s, 3), "width": self.width, "height": self.height,
            "mode": self.mode, "seed": self.seed, "device": self.device,
            "faces": self.face_count, "face_index": self.face_index,
            "landmarks": self.landmark_count, "face_height_px": round(self.face_height_px, 1),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "model_versions": self.model_versions_string,
        }  # fmt: skip


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def animate(
    portrait: PortraitSource,
    audio: str | os.PathLike | None,
    output_path: str | os.PathLike,
    *,
    seed: int = 0,
    size: int = 512,
    fps: float = 25.0,
    device: str | torch.device | None = None,
    driving: str | os.PathLike | None = None,
    idle_seconds: float | None = None,
    face_index: int | None = None,
    progress: ProgressCallback | None = None,
    frame_hook: FrameHook | None = None,
    predictor: AudioToMotion | str | None = None,
    chunk_frames: int = 25,
    encoder: EncoderConfig | None = None,
    generator_config: GeneratorConfig | None = None,
    rig_config: RigConfig | None = None,
    behaviour_config: behaviour_mod.BehaviourConfig | None = None,
) -> AnimationResult:
    """Animate `portrait` speaking `audio` (or following `driving`, or idle) into an MP4.

    Exactly one driver: `audio`; `driving` (a video whose face motion is transferred; its own
    audio is used unless `audio` is given); or `idle_seconds` (no audio: blinks, a glance,
    gentle head motion, a faint smile). The video keeps the portrait's framing with the
    longest side `size` (<= 1024, never upscaled). Raises AnimationInputError subclasses for
    inputs a person can fix. `frame_hook(frames, start_index)` may transform every chunk of
    (N, H, W, 3) uint8 RGB frames before encoding (e.g. a watermark) and must return an
    array of the same shape. `predictor` turns audio into mouth motion: None or "learned" (the
    shipped learned model, the default), "signal" (the signal-based one) or an AudioToMotion.
    """
    if fps <= 0 or fps > 60:
        raise ValueError(f"fps must be in (0, 60], not {fps}")
    if idle_seconds is not None and (audio is not None or driving is not None):
        raise AnimationInputError("Idle mode takes no audio and no driving video.")
    if audio is None and driving is None and idle_seconds is None:
        raise AnimationInputError(
            "Give an audio file, a driving video or a number of idle seconds."
        )
    if idle_seconds is not None and not 0 < idle_seconds <= MAX_IDLE_SECONDS:
        raise AnimationInputError(
            f"Idle clips last between 0 and {MAX_IDLE_SECONDS:g} seconds, not {idle_seconds}."
        )
    mode = "driving" if driving is not None else ("idle" if idle_seconds is not None else "audio")
    report = progress or (lambda stage, fraction: None)
    dev = resolve_device(device)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    output_path = Path(output_path)
    if not output_path.parent.is_dir():
        raise AnimationInputError(f"The output folder {str(output_path.parent)!r} does not exist.")

    # -- portrait and landmarks ------------------------------------------------------------
    report("load", 0.0)
    image = load_portrait(portrait)
    out_w, out_h = output_size(image.shape[1], image.shape[0], size)
    frame_image = resize_rgb(image, out_w, out_h)
    lap("load")
    report("landmarks", 0.0)
    with FaceLandmarker(LandmarkConfig()) as landmarker:
        found = landmarker.find(image, face_index=face_index)
        face = found.scaled(out_w / image.shape[1])
        _check_face_size(face, out_w, out_h)
        driving_landmarks = None
        if driving is not None:
            clip = read_driving_video(driving, fps)
            driving_landmarks = landmarker.track(clip.frames)
    lap("landmarks")

    # -- audio -----------------------------------------------------------------------------
    report("audio", 0.0)
    out_audio: np.ndarray | None = None
    features = None
    if mode == "audio":
        analysis = decode_audio(audio)
        n_frames = frame_count(len(analysis), ANALYSIS_RATE, fps)
        out_audio = decode_audio(audio, OUTPUT_AUDIO_RATE)
    elif mode == "driving":
        n_frames = len(driving_landmarks)
        source = audio if audio is not None else driving
        analysis = decode_audio(source, allow_missing=audio is None)
        if analysis is not None:
            out_audio = decode_audio(source, OUTPUT_AUDIO_RATE)
    else:
        n_frames = max(1, int(round(idle_seconds * fps)))
        analysis = None
    if analysis is not None:
        with torch.inference_mode():
            mel = LogMelSpectrogram().to(dev)
            features = compute_features(
                torch.from_numpy(analysis).to(dev), fps, n_frames=n_frames, mel=mel
            )
    lap("audio")

    # -- motion ----------------------------------------------------------------------------
    report("motion", 0.0)
    predictor = resolve_predictor(predictor)
    expression = None
    with torch.inference_mode():
        if mode == "audio":
            mouth = predictor.predict(features).float().cpu().numpy()
            activity = speech_activity(features)
            behaviour = behaviour_mod.sample_behaviour(
                n_frames, fps, seed, speech_activity=activity, speech_level=mouth[:, JAW_OPEN],
                config=behaviour_config,
            )  # fmt: skip
        elif mode == "idle":
            mouth = np.zeros((n_frames, 4), np.float32)
            behaviour = behaviour_mod.sample_behaviour(
                n_frames, fps, seed, idle=True, config=behaviour_config
            )
        else:
            from .driving import retarget

            motion = retarget(driving_landmarks)
            mouth = np.zeros((n_frames, 4), np.float32)
            behaviour = behaviour_mod.Behaviour(
                motion.pose_deg, motion.translation, np.zeros(n_frames), np.zeros((n_frames, 2)),
                np.zeros(n_frames),
            )  # fmt: skip
            expression = torch.tensor(motion.expression, dtype=torch.float32, device=dev)
    # Every clip opens on the still portrait: ease the mouth in over the first frames.
    ease_n = min(n_frames, max(2, int(round(0.12 * fps))))
    ramp = np.linspace(0.0, 1.0, ease_n) ** 2
    mouth = mouth.copy()
    mouth[:ease_n] *= ramp[:, None].astype(mouth.dtype)
    track = MotionTrack(mouth, behaviour.pose_deg, behaviour.translation, behaviour.blink,
                        behaviour.gaze, behaviour.smile)  # fmt: skip
    lap("motion")

    # -- rig -------------------------------------------------------------------------------
    report("rig", 0.0)
    with torch.inference_mode():
        rig = FaceRig(face.points, rig_config).to(dev)

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.asarray(a), dtype=torch.float32, device=dev)

        targets = rig(t(track.mouth), t(track.pose_deg), t(track.translation), t(track.blink),
                      t(track.gaze), t(track.smile), expression)  # (T, 478, 3)  # fmt: skip
    lap("rig")

    # -- generate, hook, encode (streamed in chunks) ----------------------------------------
    report("generate", 0.0)
    with torch.inference_mode():
        generator = PortraitGenerator(frame_image, face.points, generator_config).to(dev)
    lap("generate")
    # Soft mask tails make float denormals, which x86 CPUs process ~50x slower; flush them
    # while generating (a process-wide flag: restored to torch's default afterwards).
    flushing = dev.type == "cpu" and torch.set_flush_denormal(True)
    try:
        _stream(
            generator,
            targets,
            n_frames,
            chunk_frames,
            frame_hook,
            report,
            lap,
            ClipWriter(output_path, out_w, out_h, fps, out_audio, n_frames, encoder),
        )
    finally:
        if flushing:
            torch.set_flush_denormal(False)
    lap("encode")
    report("done", 1.0)
    versions = dict(MODEL_VERSIONS)
    versions["audio_to_motion"] = f"{predictor.name}-{predictor.version}"
    return AnimationResult(
        output_path=output_path, frame_count=n_frames, fps=float(fps),
        duration_s=n_frames / fps, width=out_w, height=out_h, mode=mode, seed=seed,
        device=str(dev), face_count=face.face_count, face_index=face.face_index,
        landmark_count=int(face.points.shape[0]), face_height_px=face.face_height,
        timings=timings, model_versions=versions, motion=track,
        source_landmarks=face.points.astype(np.float32),
        target_landmarks=targets[..., :2].cpu().numpy().astype(np.float32),
    )  # fmt: skip


def _stream(generator, targets, n_frames, chunk_frames, frame_hook, report, lap, writer) -> None:
    """Generate, hook and encode chunk by chunk, so memory stays flat for long clips."""
    with writer:
        for start in range(0, n_frames, chunk_frames):
            with torch.inference_mode():
                frames = generator(targets[start : start + chunk_frames]).cpu().numpy()
            lap("generate")
            if frame_hook is not None:
                hooked = frame_hook(frames, start)
                if (
                    not isinstance(hooked, np.ndarray)
                    or hooked.shape != frames.shape
                    or hooked.dtype != np.uint8
                ):
                    raise TypeError("frame_hook must return a uint8 array of the frames' shape")
                frames = hooked
                lap("hook")
            writer.write(frames)
            lap("encode")
            report("generate", min(1.0, (start + len(frames)) / n_frames))


def _check_face_size(face: FaceLandmarks, width: int, height: int) -> None:
    if face.face_height < MIN_FACE_HEIGHT_PX:
        raise FaceTooSmallError(
            f"The face is only {face.face_height:.0f} pixels tall (forehead to chin) in the "
            f"{width}x{height} video; at least {MIN_FACE_HEIGHT_PX} pixels are needed. Use a "
            "closer or larger portrait, or a larger size.",
            face_height_px=face.face_height, minimum_px=MIN_FACE_HEIGHT_PX,
        )  # fmt: skip


__all__ = ["AnimationResult", "MotionTrack", "animate", "MIN_FACE_HEIGHT_PX", "__version__"]
