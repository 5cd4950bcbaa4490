from rest_framework import serializers

from .models import AnimationJob, Clip


class JobSerializer(serializers.ModelSerializer):
    clip = serializers.SerializerMethodField()

    class Meta:
        model = AnimationJob
        fields = [
            "id",
            "subject",
            "consent",
            "portrait",
            "audio",
            "mode",
            "idle_seconds",
            "seed",
            "size",
            "status",
            "stage",
            "progress",
            "stage_seconds",
            "error",
            "attempts",
            "device",
            "created_at",
            "started_at",
            "finished_at",
            "clip",
        ]
        read_only_fields = fields

    def get_clip(self, job) -> str | None:
        clip = getattr(job, "clip", None) if job.status == AnimationJob.Status.SUCCEEDED else None
        return clip.content_id if clip else None


class JobCreateSerializer(serializers.Serializer):
    subject = serializers.UUIDField()
    portrait = serializers.UUIDField()
    audio = serializers.UUIDField(required=False, allow_null=True, default=None)
    idle_seconds = serializers.FloatField(required=False, allow_null=True, default=None)
    seed = serializers.IntegerField(required=False, default=0)
    size = serializers.IntegerField(required=False, default=512)


class ClipSerializer(serializers.ModelSerializer):
    """The member's view of their clip."""

    class Meta:
        model = Clip
        fields = [
            "content_id",
            "id",
            "job",
            "subject",
            "consent",
            "status",
            "sha256",
            "duration_seconds",
            "width",
            "height",
            "published_at",
            "created_at",
            "manifest",
        ]
        read_only_fields = fields


class PublicClipSerializer(serializers.ModelSerializer):
    """What anyone may learn about a clip from its content id."""

    class Meta:
        model = Clip
        fields = ["content_id", "status", "created_at", "published_at"]
        read_only_fields = fields
