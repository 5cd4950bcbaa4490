"""Periodic audit upkeep (celery beat): sign a checkpoint of the chain's head."""

from __future__ import annotations

import logging

from celery import shared_task

from .services import ChainBroken, audit_checkpoint_create

logger = logging.getLogger(__name__)


@shared_task(name="audit.checkpoint")
def audit_checkpoint() -> int | None:
    try:
        checkpoint = audit_checkpoint_create()
    except ChainBroken as exc:
        # Loud, and no checkpoint: signing now would vouch for a tampered chain.
        logger.error("audit chain broken, no checkpoint signed: %s", exc)
        raise
    return checkpoint.seq if checkpoint else None
