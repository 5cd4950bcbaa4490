"""The jobs app's domain errors (a 4xx with a sentence, see core.errors)."""

from __future__ import annotations

from core.errors import DomainError


class ConsentMissing(DomainError):
    code = "consent_required"
    status = 409


class TooManyJobs(DomainError):
    code = "too_many_jobs"
    status = 429
