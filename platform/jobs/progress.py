"""A job's progress: one fraction 0..1 over the whole job, and the name of the stage it is in.

The animation pipeline reports ``(stage, overall)``, ``overall`` being already its own monotonic
fraction of the whole pipeline; the pipeline fills the first 90 % of the job. The steps after
it, which the pipeline does not know, each fill a fixed span of the rest. Stages arrive as
``StrEnum`` members or plain strings; both are stored by their value.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

STAGE_NAME_MAX = 32  # AnimationJob.stage


class JobStage(StrEnum):
    """The job's own stages, around the pipeline's (whose names are stored as they come)."""

    STARTING = "starting"
    SIGN = "sign"
    STORE = "store"
    DONE = "done"


class Span(NamedTuple):
    start: float
    end: float

    def at(self, fraction: float) -> float:
        return self.start + (self.end - self.start) * min(1.0, max(0.0, fraction))


PIPELINE_SPAN = Span(0.0, 0.90)
JOB_STAGE_SPANS: dict[str, Span] = {
    JobStage.STARTING: Span(0.0, 0.0),
    JobStage.SIGN: Span(0.90, 0.97),
    JobStage.STORE: Span(0.97, 1.0),
    JobStage.DONE: Span(1.0, 1.0),
}


class ProgressPoint(NamedTuple):
    stage: str
    progress: float  # over the whole job


def progress_point(stage: str, fraction: float) -> ProgressPoint:
    """Where ``stage`` at ``fraction`` (0..1) lies on the job's bar; a stage that is not one of
    the job's own is the pipeline's, and ``fraction`` its overall fraction."""
    name = str(stage)[:STAGE_NAME_MAX]
    span = JOB_STAGE_SPANS.get(name, PIPELINE_SPAN)
    return ProgressPoint(name, round(span.at(fraction), 4))


# What each stage does, in words for the member (the pipeline's stages and the job's own; the
# timings also name the steps timed inside a stage).
STAGE_WORDS: dict[str, str] = {
    JobStage.STARTING: "Getting started",
    "load": "Reading the portrait",
    "landmarks": "Finding the face",
    "audio": "Listening to the speech",
    "motion": "Working out how the face moves",
    "rig": "Placing the face in each frame",
    "generate": "Drawing the frames",
    "encode": "Putting the video together",
    "watermark": "Adding the invisible watermark",
    "fingerprint": "Taking the clip's fingerprint",
    JobStage.SIGN: "Signing its Content Credentials",
    JobStage.STORE: "Saving the clip",
    JobStage.DONE: "Done",
}


def stage_words(stage: str) -> str:
    """The stage in words; one this table does not know reads as its own name."""
    return STAGE_WORDS.get(stage, stage.replace("_", " ").capitalize())
