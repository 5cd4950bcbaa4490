"""The shared plumbing's one table: rate-limit counters that every web worker sees."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """How many requests one client made for one action in one time window.

    ``key`` names the action, the (hashed) client and the window, so a new window starts a
    new row; rows whose window has ended are deleted as new ones arrive.
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
