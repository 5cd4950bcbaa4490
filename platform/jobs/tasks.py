"""Celery tasks: each takes ids and calls one function. `jobs.animate` goes to the gpu queue."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.conf import settings

from .clip_maker import worker_animator
from .clip_services import clips_purge_withdrawn
from .queue import ANIMATE_TASK, REQUEUE_STALLED_TASK
from .runner import TRANSIENT, job_attempt
from .services import jobs_requeue_stalled


@shared_task(
    bind=True,
    name=ANIMATE_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
)
def animate_job(self, job_id: str) -> None:
    try:
        job_attempt(job_id=job_id, may_retry=self.request.retries < self.max_retries)
    except TRANSIENT as exc:  # the database or the storage hiccuped: try again later
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc


@shared_task(name=REQUEUE_STALLED_TASK)
def requeue_stalled() -> int:
    return jobs_requeue_stalled()


@shared_task(name="jobs.purge_withdrawn_clips")
def purge_withdrawn_clips() -> int:
    """The retention sweep (run by beat, see CELERY_BEAT_SCHEDULE)."""
    return clips_purge_withdrawn()


@worker_ready.connect
def _requeue_on_start(**kwargs) -> None:
    """A restarted worker picks up what a dead one left behind (once it is stale)."""
    jobs_requeue_stalled()


@worker_process_init.connect
def _warm_up_animator(**kwargs) -> None:
    """Load this process's Animator (landmark graphs, mouth model) before the first job."""
    if not settings.ANIMATION_WARM_UP:
        return
    try:
        worker_animator(settings.ANIMATION_DEVICE or None).warm_up()
    except Exception:  # the first job will load it, and report what fails
        logging.getLogger(__name__).exception("the animator could not warm up")
