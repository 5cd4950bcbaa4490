from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.models import Clip

from .models import Verification
from .standing import Standing, verification_standing
from .verdicts import AiBasis


class ClipNowSerializer(serializers.Serializer):
    """The clip the file is linked to, read live: its status may have changed since."""

    content_id = serializers.CharField()
    status = serializers.ChoiceField(
        choices=Clip.Status.choices, allow_null=True, help_text="Now (null: no longer on record)."
    )
    status_words = serializers.CharField(source="words")
    status_when_verified = serializers.ChoiceField(
        choices=Clip.Status.choices, allow_null=True, help_text="When this file was verified."
    )
    public_url = serializers.SerializerMethodField(
        help_text="The clip's public page, only while it is published."
    )

    def get_public_url(self, clip) -> str | None:
        if not clip.public:
            return None
        return _absolute(self.context, reverse("public-clip", args=[clip.content_id]))


class VerificationSerializer(serializers.ModelSerializer):
    """``findings`` are what the file showed when verified; ``headline``, ``ai_generated``
    and ``clip`` are read now (a clip may since be unpublished, taken down or withdrawn)."""

    permalink = serializers.SerializerMethodField()
    headline = serializers.SerializerMethodField()
    ai_generated = serializers.SerializerMethodField(
        help_text="True, or null when nothing we can check says so (never false)."
    )
    ai_generated_basis = serializers.SerializerMethodField()
    clip = serializers.SerializerMethodField()

    class Meta:
        model = Verification
        fields = [
            "id",
            "permalink",
            "created_at",
            "verdict",
            "headline",
            "ai_generated",
            "ai_generated_basis",
            "clip",
            "media_type",
            "size",
            "sha256",
            "findings",
        ]
        read_only_fields = fields

    def get_permalink(self, result) -> str:
        return _absolute(self.context, reverse("verification-result", args=[result.id]))

    def get_headline(self, result) -> str:
        return self._standing(result).headline

    def get_ai_generated(self, result) -> bool | None:
        return self._standing(result).ai_generated

    @extend_schema_field(
        serializers.ChoiceField(
            choices=[AiBasis.OUR_RECORD, AiBasis.OUR_CREDENTIALS, AiBasis.THEIR_CLAIM],
            allow_null=True,
        )
    )
    def get_ai_generated_basis(self, result) -> str | None:
        return self._standing(result).ai_generated_basis

    @extend_schema_field(ClipNowSerializer(allow_null=True))
    def get_clip(self, result) -> dict | None:
        clip = self._standing(result).clip
        return None if clip is None else ClipNowSerializer(clip, context=self.context).data

    def _standing(self, result) -> Standing:
        """Read once per result (every live field comes from the same reading)."""
        cache = self.context.setdefault("standings", {})
        if result.pk not in cache:
            cache[result.pk] = verification_standing(result)
        return cache[result.pk]


def _absolute(context: dict, path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


class VerifyUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
