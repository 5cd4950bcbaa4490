from django.urls import reverse
from rest_framework import serializers

from .models import Verification


class VerificationSerializer(serializers.ModelSerializer):
    permalink = serializers.SerializerMethodField()

    class Meta:
        model = Verification
        fields = [
            "id",
            "permalink",
            "created_at",
            "verdict",
            "media_type",
            "size",
            "sha256",
            "findings",
        ]
        read_only_fields = fields

    def get_permalink(self, result) -> str:
        path = reverse("verification-result", args=[result.id])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class VerifyUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
