"""Reads for jobs and clips, filtered to what the member may see."""

from __future__ import annotations

from django.db.models import QuerySet

from consent.selectors import owned_by

from .models import AnimationJob, Clip


def jobs_visible_to(user) -> QuerySet[AnimationJob]:
    if not user.is_authenticated:
        return AnimationJob.objects.none()
    return AnimationJob.objects.filter(owned_by(user)).select_related("subject")


def clips_visible_to(user) -> QuerySet[Clip]:
    if not user.is_authenticated:
        return Clip.objects.none()
    return Clip.objects.filter(owned_by(user)).select_related("subject", "job")


def clip_published(*, content_id: str) -> Clip | None:
    return (
        Clip.objects.filter(content_id=content_id, status=Clip.Status.PUBLISHED)
        .select_related("subject")
        .first()
    )


def clip_credentials(clip: Clip) -> dict:
    """The Content Credentials panel, from the manifest read back from the clip itself."""
    manifest = clip.manifest or {}
    assertions = manifest.get("assertions") or {}
    actions = (assertions.get("c2pa.actions.v2") or {}).get("actions") or []
    created = next((a for a in actions if a.get("action") == "c2pa.created"), {})
    generator = (manifest.get("claim_generator") or [{}])[0]
    return {
        "status": manifest.get("status", "unknown"),
        "trusted": manifest.get("trusted", False),
        "issuer": (manifest.get("signer") or {}).get("issuer", ""),
        "signed_at": (manifest.get("signer") or {}).get("time", ""),
        "generator": f"{generator.get('name', '')} {generator.get('version', '')}".strip(),
        "digital_source_type": created.get("digitalSourceType", ""),
        "ai_generated": "trainedAlgorithmicMedia" in created.get("digitalSourceType", ""),
        "consent": manifest.get("consent") or {},
        "soft_binding": manifest.get("soft_binding") or {},
        "ingredients": [i.get("title", "") for i in manifest.get("ingredients") or []],
    }
