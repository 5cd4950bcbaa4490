"""Matching a verified file to our clip records, strongest evidence first."""

from __future__ import annotations

from django.db.models import Q
from jobs.models import Clip


def clip_matching(
    *, binding: str | None, watermark_id: str | None, sha256: str, fingerprint
) -> tuple[Clip | None, list[str], float | None]:
    """(clip, what matched it, fingerprint distance) — or (None, [], distance)."""
    from provenance.binding import content_id_from_binding

    matched_by: list[str] = []
    clip = None
    exact = Clip.objects.filter(Q(sha256=sha256) | Q(poster_sha256=sha256)).first()
    if exact is not None:
        clip = exact
        matched_by.append("sha256")
    bound_id = content_id_from_binding(binding) if binding else None
    for evidence, content_id in (("manifest", bound_id), ("watermark", watermark_id)):
        if not content_id:
            continue
        found = Clip.objects.filter(content_id=content_id).first()
        if found is not None and (clip is None or found.pk == clip.pk):
            clip = found
            matched_by.append(evidence)
    distance = None
    if fingerprint is not None:
        nearest, distance = _nearest_by_fingerprint(fingerprint)
        if nearest is not None and (clip is None or nearest.pk == clip.pk):
            clip = nearest
            matched_by.append("fingerprint")
    return clip, matched_by, distance


def _nearest_by_fingerprint(fingerprint) -> tuple[Clip | None, float | None]:
    """Linear scan over stored fingerprints; fine for thousands of clips, an index beyond."""
    from provenance.fingerprint import MATCH_THRESHOLD, Fingerprint, fingerprint_distance

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
