from rest_framework import serializers

from .models import Upload


class UploadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Upload
        fields = [
            "id",
            "subject",
            "kind",
            "is_subject_voice",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "width",
            "height",
            "duration_seconds",
            "source_format",
            "created_at",
        ]
        read_only_fields = fields


class UploadCreateSerializer(serializers.Serializer):
    subject = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Upload.Kind.choices)
    file = serializers.FileField(allow_empty_file=True)
    is_subject_voice = serializers.BooleanField(required=False, default=False)
