"""Celery tasks: take ids, call one service. Routed to the `gpu` queue."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from animation.errors import AnimationInputError

from .runner import job_fail, job_run, jobs_requeue_stalled

# Faults worth another try: the database or the storage hiccuped.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    name="jobs.animate",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
)
def animate_job(self, job_id: str) -> None:
    try:
        job_run(job_id=job_id)
    except AnimationInputError as exc:  # bad input: no retry, a readable reason
        job_fail(job_id=job_id, reason=str(exc))
    except SoftTimeLimitExceeded:
        job_fail(job_id=job_id, reason="The animation took longer than the time limit.")
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            job_fail(job_id=job_id, reason="A temporary fault persisted; please try again.")
            return
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc
    except Exception:
        job_fail(job_id=job_id, reason="An internal error stopped this job; it has been logged.")
        raise


@shared_task(name="jobs.requeue_stalled")
def requeue_stalled() -> int:
    return jobs_requeue_stalled()


@worker_ready.connect
def _requeue_on_start(**kwargs) -> None:
    """A restarted worker picks up what a dead one left behind (once it is stale)."""
    jobs_requeue_stalled()
