"""What a verification result says now: its stored findings are what the file showed when it
was verified, but the clip it links may since have been unpublished, taken down or had its
consent withdrawn. The permalink page and the JSON both read this, so they always agree."""

from __future__ import annotations

from dataclasses import dataclass

from jobs.models import Clip

from .models import Verification
from .verdicts import (
    AI_WORDS,
    EXPLANATIONS,
    HEADLINES,
    RECORD_STATUS_WORDS,
    WITHDRAWN_HEADLINES,
    ai_generated_for,
    headline_for,
)

GONE_WORDS = "This clip is no longer in our records."


@dataclass(frozen=True)
class ClipStanding:
    content_id: str
    status: str | None  # now, read from the clip; None if the clip is no longer on record
    status_when_verified: str | None  # as stored with the findings

    @property
    def label(self) -> str:
        return _label(self.status) if self.status else "Removed"

    @property
    def label_when_verified(self) -> str:
        return _label(self.status_when_verified) if self.status_when_verified else "Unknown"

    @property
    def words(self) -> str:
        return RECORD_STATUS_WORDS.get(self.status or "", GONE_WORDS)

    @property
    def withdrawn(self) -> bool:
        """Consent withdrawn or taken down: the clip must not be shared."""
        return (self.status or "") in WITHDRAWN_HEADLINES

    @property
    def public(self) -> bool:
        """Only a clip published now has a public page to link."""
        return self.status == Clip.Status.PUBLISHED

    @property
    def changed(self) -> bool:
        return self.status != self.status_when_verified


@dataclass(frozen=True)
class Standing:
    verdict: str
    clip: ClipStanding | None  # the clip our own evidence linked, or None
    ai_generated: bool | None  # True, or None when unknown: never False (see verdicts)
    ai_generated_basis: str | None

    @property
    def headline(self) -> str:
        return headline_for(self.verdict, clip_status=self.clip.status if self.clip else None)

    @property
    def verdict_headline(self) -> str:
        """What the file's evidence alone says (the headline, unless the clip is withdrawn)."""
        return HEADLINES[self.verdict]

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[self.verdict]

    @property
    def ai_words(self) -> str:
        return AI_WORDS[self.ai_generated_basis]


def verification_standing(result: Verification) -> Standing:
    """The result as it stands now (reads ``result.clip``: select it with the result)."""
    findings = result.findings or {}
    record = findings.get("record") or None
    clip = None
    if result.clip is not None or record is not None:
        clip = ClipStanding(
            content_id=result.clip.content_id if result.clip else record.get("content_id", ""),
            status=result.clip.status if result.clip else None,
            status_when_verified=(record or {}).get("status"),
        )
    ai_generated, basis = ai_generated_for(
        linked=clip is not None, credentials=findings.get("credentials")
    )
    return Standing(
        verdict=result.verdict,
        clip=clip,
        ai_generated=ai_generated,
        ai_generated_basis=basis,
    )


def _label(status: str) -> str:
    try:
        return Clip.Status(status).label
    except ValueError:
        return status
