"""Matching a verified file to our clip records, on evidence we made ourselves.

What links a record: the sha256 of a file we stored; our signature over a claim; our watermark,
when the picture resembles the clip it names; our fingerprint. A soft-binding value or claim in
a manifest we did not sign (or whose signature fails) is only a hint, never a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from jobs.models import Clip


@dataclass
class ClipMatch:
    clip: Clip | None = None  # linked on our own evidence, or None
    matched_by: list[str] = field(default_factory=list)  # signature, sha256, watermark, ...
    distance: float | None = None  # fingerprint distance to the linked (or nearest) clip
    # Our watermark names one of our clips, but the picture does not resemble it.
    mark_contradicted: bool = False


def clip_matching(
    *,
    sha256: str,
    claimed_id: str | None,
    claim_signed_by_us: bool,
    claim_intact: bool,
    watermark_id: str | None,
    fingerprint,
    scan_fingerprints: bool,
) -> ClipMatch:
    """Link the file to one of our clips, strongest evidence first (see the module doc).

    ``claimed_id``: the content id a manifest's soft binding names; it counts only when
    ``claim_signed_by_us`` (our signature over the claim validates): as proof alone when
    ``claim_intact``, otherwise only if our watermark or fingerprint agrees with it.
    ``scan_fingerprints``: look for the nearest clip by fingerprint (videos); for stills only
    the clip a watermark or our claim names is compared.
    """
    match = ClipMatch()
    exact = Clip.objects.filter(Q(sha256=sha256) | Q(poster_sha256=sha256)).first()
    if exact is not None:
        match.clip, match.matched_by = exact, ["sha256"]
    claimed = _clip_by_content_id(claimed_id) if claim_signed_by_us else None
    if claimed is not None and claim_intact and match.clip in (None, claimed):
        match.clip = claimed
        match.matched_by.append("signature")

    marked = _clip_by_content_id(watermark_id)
    if marked is not None:
        distance = clip_distance(clip=marked, fingerprint=fingerprint)
        if distance is not None and distance > _threshold():
            match.mark_contradicted = match.clip is None or match.clip.pk != marked.pk
            match.distance = distance
        elif match.clip is None or match.clip.pk == marked.pk:
            match.clip = marked
            match.matched_by.append("watermark")
            if distance is not None:
                match.matched_by.append("fingerprint")
                match.distance = distance
    if match.clip is None and claimed is not None and not match.mark_contradicted:
        # Our signed claim on changed content: only our fingerprint may confirm it.
        distance = clip_distance(clip=claimed, fingerprint=fingerprint)
        if distance is not None and distance <= _threshold():
            match.clip, match.distance = claimed, distance
            match.matched_by += ["signature", "fingerprint"]
    elif claimed is not None and match.clip is not None and match.clip.pk == claimed.pk:
        if "signature" not in match.matched_by:
            match.matched_by.append("signature")
    if match.clip is None and not match.mark_contradicted and scan_fingerprints:
        nearest, distance = _nearest_by_fingerprint(fingerprint)
        match.distance = distance
        if nearest is not None:
            match.clip = nearest
            match.matched_by.append("fingerprint")
    return match


def clip_distance(*, clip: Clip, fingerprint) -> float | None:
    """Fingerprint distance from the file to one clip (None if either has none)."""
    from provenance.fingerprint import Fingerprint, fingerprint_distance

    if fingerprint is None or not clip.fingerprint:
        return None
    try:
        return round(fingerprint_distance(fingerprint, Fingerprint.from_hex(clip.fingerprint)), 4)
    except ValueError:
        return None


def _threshold() -> float:
    from provenance.fingerprint import MATCH_THRESHOLD

    return MATCH_THRESHOLD


def _clip_by_content_id(content_id: str | None) -> Clip | None:
    if not content_id:
        return None
    return Clip.objects.filter(content_id=content_id).first()


def _nearest_by_fingerprint(fingerprint) -> tuple[Clip | None, float | None]:
    """Linear scan over stored fingerprints; fine for thousands of clips, an index beyond."""
    from provenance.fingerprint import MATCH_THRESHOLD, Fingerprint, fingerprint_distance

    if fingerprint is None:
        return None, None
    best, best_distance = None, None
    for clip_id, text in Clip.objects.exclude(fingerprint="").values_list("id", "fingerprint"):
        try:
            distance = fingerprint_distance(fingerprint, Fingerprint.from_hex(text))
        except ValueError:
            continue
        if best_distance is None or distance < best_distance:
            best, best_distance = clip_id, distance
    if best is None or best_distance > MATCH_THRESHOLD:
        return None, round(best_distance, 4) if best_distance is not None else None
    return Clip.objects.get(pk=best), round(best_distance, 4)
