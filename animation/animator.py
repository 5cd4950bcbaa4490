"""`Animator`: the long-lived animation engine a worker builds once and reuses for every job.

It holds what is worth keeping between jobs, on its device: the face landmarker and the person
segmenter (mediapipe graphs), the log-mel transform and the audio-to-motion predictor (weights
loaded once). It is the one place that decides the device, the dtype, `torch.inference_mode()`
and the CPU's denormal flush. `Animator.animate` runs the stages of `stages.PIPELINE_STAGES` in
turn:

    load -> landmarks -> audio -> motion -> rig -> generate (+ frame hook + encode) -> encode

    animator = Animator(AnimationConfig()).warm_up()  # once per process
    result = animator.animate("portrait.jpg", "speech.wav", "out.mp4", seed=1)

One job at a time per Animator (a lock serialises concurrent calls).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import motion_plan
from .audio import (
    ANALYSIS_RATE,
    AudioFeatures,
    LogMelSpectrogram,
    compute_features,
    decode_audio,
    frame_count,
    to_analysis_rate,
)
from .config import AnimationConfig, resolve_device
from .errors import AnimationInputError, FaceTooSmallError
from .generator import PortraitGenerator
from .head_region import PersonSegmenter
from .landmarks import FaceLandmarker, FaceLandmarks
from .motion import resolve_predictor, runs_a_model
from .portrait import PortraitSource, load_portrait, output_size, resize_rgb
from .rest_mouth import MouthState, estimate_mouth_state
from .result import AnimationResult
from .rig import FaceRig
from .stages import ProgressCallback, Stage, StageProgress
from .streaming import FrameHook, stream_clip
from .versions import MODEL_VERSIONS
from .video import ClipWriter, driving_frames

MIN_FACE_HEIGHT_PX = 48  # forehead-to-chin height the face needs in the output video
MAX_IDLE_SECONDS = 600.0  # longest idle clip
RIG_BATCH_FRAMES = 1000  # frames rigged at a time


@dataclass
class _Portrait:
    image: np.ndarray  # (H, W, 3) uint8 RGB at output size
    face: FaceLandmarks  # in `image`'s pixels
    person_mask: np.ndarray  # (H, W) 0..1: the person (face, hair, body) against the background
    mouth: MouthState  # what the portrait's own mouth does (open, teeth, smile)


class Animator:
    """Portrait + speech (or a driving clip, or nothing) -> talking-head MP4, job after job."""

    def __init__(self, config: AnimationConfig | None = None) -> None:
        self.config = c = config or AnimationConfig()
        self.device = resolve_device(c.device)
        self.dtype = c.dtype
        self.landmarker = FaceLandmarker(c.landmarks)
        self.segmenter = PersonSegmenter()
        self.mel = LogMelSpectrogram().to(self.device)
        self.predictor = resolve_predictor(c.predictor)
        if runs_a_model(self.predictor):
            self.predictor.to(self.device)
        self._lock = threading.Lock()

    def warm_up(self) -> Animator:
        """Load everything a job needs (landmark graphs, predictor weights, first allocations),
        so the first job starts as fast as the next. Returns self."""
        with self._lock, self._running():
            self.landmarker.warm_up()
            self.segmenter.warm_up()
            if runs_a_model(self.predictor):
                self.predictor.load()
            silence = torch.zeros(ANALYSIS_RATE // 2, device=self.device)
            self.predictor.predict(compute_features(silence, self.config.fps, mel=self.mel))
        return self

    def close(self) -> None:
        """Release the landmark and segmentation graphs (built again if used later)."""
        with self._lock:
            self.landmarker.close()
            self.segmenter.close()

    def __enter__(self) -> Animator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def model_versions(self) -> dict[str, str]:
        versions = dict(MODEL_VERSIONS)
        versions["audio_to_motion"] = f"{self.predictor.name}-{self.predictor.version}"
        return versions

    def animate(
        self,
        portrait: PortraitSource,
        audio: str | os.PathLike | None,
        output_path: str | os.PathLike,
        *,
        seed: int = 0,
        size: int = 512,
        driving: str | os.PathLike | None = None,
        idle_seconds: float | None = None,
        face_index: int | None = None,
        progress: ProgressCallback | None = None,
        frame_hook: FrameHook | None = None,
    ) -> AnimationResult:
        """Animate `portrait` speaking `audio` (or following `driving`, or idle) into an MP4.

        Exactly one driver: `audio`; `driving` (a video whose face motion is transferred; its
        own audio is used unless `audio` is given); or `idle_seconds` (no audio: blinks, a
        glance, gentle head motion, a faint smile). The video keeps the portrait's framing with
        the longest side `size` (<= 1024, never upscaled). `progress(stage, overall)` gets the
        running `Stage` and the monotonic fraction of the whole job (last call: 1.0).
        `frame_hook(frames, start_index)` may transform every chunk of (N, H, W, 3) uint8 RGB
        frames, a tensor on the generator's device, before encoding (e.g. a watermark) and must
        return a tensor of the same shape, dtype and device. Raises AnimationInputError
        subclasses for inputs a person can fix.
        """
        mode = _mode(audio, driving, idle_seconds)
        output_path = Path(output_path)
        if not output_path.parent.is_dir():
            raise AnimationInputError(
                f"The output folder {str(output_path.parent)!r} does not exist."
            )
        steps = StageProgress(progress)
        with self._lock, self._running():
            source = self._prepare_portrait(portrait, size, face_index, steps)
            tracked = self._track_driving(driving) if driving is not None else None
            steps.begin(Stage.AUDIO)
            samples, features = self._analyse_audio(audio, driving)
            steps.begin(Stage.MOTION)
            plan = self._plan_motion(features, tracked, idle_seconds, seed)
            steps.begin(Stage.RIG)
            targets = self._rig(source, plan)
            steps.begin(Stage.GENERATE)
            self._generate(source, samples, targets, output_path, frame_hook, steps)
            steps.finish()
            n_frames, face = len(targets), source.face
            return AnimationResult(
                output_path=output_path, frame_count=n_frames, fps=float(self.config.fps),
                duration_s=n_frames / self.config.fps, width=source.image.shape[1],
                height=source.image.shape[0], mode=mode, seed=seed, device=str(self.device),
                face_count=face.face_count, face_index=face.face_index,
                landmark_count=int(face.points.shape[0]), face_height_px=face.face_height,
                timings=steps.timings, model_versions=self.model_versions, motion=plan.track,
                source_landmarks=face.points.astype(np.float32),
                target_landmarks=targets[..., :2].float().cpu().numpy(),
            )  # fmt: skip

    # -- the steps ---------------------------------------------------------------------------
    @contextmanager
    def _running(self) -> Iterator[None]:
        """Every step of a job runs inside this: no autograd anywhere."""
        with torch.inference_mode():
            yield

    @contextmanager
    def _flushing_denormals(self) -> Iterator[None]:
        """While frames are made on a CPU: float denormals flushed to zero (soft mask tails make
        them, and x86 CPUs process them ~50x slower). A process-wide flag, restored after."""
        flushing = self.device.type == "cpu" and torch.set_flush_denormal(True)
        try:
            yield
        finally:
            if flushing:
                torch.set_flush_denormal(False)

    def _prepare_portrait(
        self, portrait: PortraitSource, size: int, face_index: int | None, steps: StageProgress
    ) -> _Portrait:
        steps.begin(Stage.LOAD)
        image = load_portrait(portrait)
        out_w, out_h = output_size(image.shape[1], image.shape[0], size)
        frame_image = resize_rgb(image, out_w, out_h)
        steps.begin(Stage.LANDMARKS)
        face = self.landmarker.find(image, face_index=face_index).scaled(out_w / image.shape[1])
        if face.face_height < MIN_FACE_HEIGHT_PX:
            raise FaceTooSmallError(
                f"The face is only {face.face_height:.0f} pixels tall (forehead to chin) in the "
                f"{out_w}x{out_h} video; at least {MIN_FACE_HEIGHT_PX} pixels are needed. Use a "
                "closer or larger portrait, or a larger size.",
                face_height_px=face.face_height, minimum_px=MIN_FACE_HEIGHT_PX,
            )  # fmt: skip
        mouth = estimate_mouth_state(face.points, frame_image)
        return _Portrait(frame_image, face, self.segmenter.mask(frame_image), mouth)

    def _track_driving(self, driving: str | os.PathLike) -> list[np.ndarray | None]:
        """The driving clip's landmarks, frame by frame (the frames are not kept)."""
        return self.landmarker.track(driving_frames(driving, self.config.fps))

    def _analyse_audio(
        self, audio: str | os.PathLike | None, driving: str | os.PathLike | None
    ) -> tuple[np.ndarray | None, AudioFeatures | None]:
        """The MP4's sound (decoded once, at its rate) and, for speech, its features, from the
        analysis-rate signal derived from it on the device. A driving clip's own sound track is
        used when no audio is given (it may have none); idle clips are silent."""
        rate = self.config.encoder.audio_rate
        if driving is not None:
            sound = driving if audio is None else audio
            return decode_audio(sound, rate, allow_missing=audio is None), None
        if audio is None:
            return None, None
        samples = decode_audio(audio, rate)
        wave = to_analysis_rate(torch.from_numpy(samples).to(self.device), rate)
        n_frames = frame_count(len(samples), rate, self.config.fps)
        return samples, compute_features(wave, self.config.fps, n_frames=n_frames, mel=self.mel)

    def _plan_motion(
        self,
        features: AudioFeatures | None,
        tracked: list[np.ndarray | None] | None,
        idle_seconds: float | None,
        seed: int,
    ) -> motion_plan.MotionPlan:
        fps, behaviour = self.config.fps, self.config.behaviour
        if tracked is not None:
            return motion_plan.plan_driving(tracked, fps)
        if features is not None:
            return motion_plan.plan_speech(features, self.predictor, seed, behaviour)
        n_frames = max(1, int(round(idle_seconds * fps)))
        return motion_plan.plan_idle(n_frames, fps, seed, behaviour)

    def _rig(self, source: _Portrait, plan: motion_plan.MotionPlan) -> torch.Tensor:
        """(T, 478, 3) target landmarks in pixels, on the device (rigged in batches of frames,
        so the rig's intermediates stay small for long clips)."""
        face = source.face
        rig = FaceRig(face.points, self.config.rig, source.mouth).to(self.device, self.dtype)
        track = plan.track
        drivers = [track.mouth, track.pose_deg, track.translation, track.blink, track.gaze,
                   track.smile, plan.expression]  # fmt: skip
        n_frames = len(track.mouth)
        targets = torch.empty(n_frames, face.points.shape[0], 3, dtype=self.dtype,
                              device=self.device)  # fmt: skip
        for start in range(0, n_frames, RIG_BATCH_FRAMES):
            span = slice(start, start + RIG_BATCH_FRAMES)
            batch = [self._tensor(values[span]) if values is not None else None
                     for values in drivers]  # fmt: skip
            targets[span] = rig(*batch)
        return targets

    def _tensor(self, values: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(values, dtype=self.dtype, device=self.device)

    def _generate(
        self,
        source: _Portrait,
        samples: np.ndarray | None,
        targets: torch.Tensor,
        output_path: Path,
        frame_hook: FrameHook | None,
        steps: StageProgress,
    ) -> None:
        height, width = source.image.shape[:2]
        rest = FaceRig(source.face.points, self.config.rig, source.mouth).rest_points().numpy()
        generator = PortraitGenerator(source.image, source.face.points, self.config.generator,
                                      person_mask=source.person_mask, mouth_state=source.mouth,
                                      rest_points=rest)  # fmt: skip
        generator = generator.to(self.device)
        writer = ClipWriter(output_path, width, height, self.config.fps, samples,
                            targets.shape[0], self.config.encoder)  # fmt: skip
        with self._flushing_denormals():
            stream_clip(generator, targets, self.config.chunk_frames, frame_hook, writer, steps)


def _mode(
    audio: str | os.PathLike | None,
    driving: str | os.PathLike | None,
    idle_seconds: float | None,
) -> str:
    """The job's mode ("audio", "driving" or "idle"), or an AnimationInputError."""
    if idle_seconds is not None:
        if audio is not None or driving is not None:
            raise AnimationInputError("Idle mode takes no audio and no driving video.")
        if not 0 < idle_seconds <= MAX_IDLE_SECONDS:
            raise AnimationInputError(
                f"Idle clips last between 0 and {MAX_IDLE_SECONDS:g} seconds, not {idle_seconds}."
            )
        return "idle"
    if driving is not None:
        return "driving"
    if audio is None:
        raise AnimationInputError(
            "Give an audio file, a driving video or a number of idle seconds."
        )
    return "audio"
