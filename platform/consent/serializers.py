"""API shapes for subjects and consent (output) and the requests that change them (input)."""

from __future__ import annotations

from rest_framework import serializers

from .models import ConsentRecord, Subject
from .terms import SCOPES


class SubjectSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Subject
        fields = [
            "id",
            "display_name",
            "vital_status",
            "email",
            "birth_year",
            "death_year",
            "notes",
            "owner",
            "organisation",
            "created_at",
        ]
        read_only_fields = ["id", "owner", "organisation", "created_at"]


class ConsentSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "subject",
            "grantor_kind",
            "grantor_name",
            "grantor_email",
            "grantor_relationship",
            "scopes",
            "assurance",
            "status",
            "requested_at",
            "granted_at",
            "expires_at",
            "revoked_at",
            "revoked_reason",
            "content_hash",
            "names_uploads",
            "covers",
        ]
        read_only_fields = fields


class ConsentRequestSerializer(serializers.Serializer):
    subject = serializers.UUIDField()
    grantor_kind = serializers.ChoiceField(choices=ConsentRecord.GrantorKind.choices)
    grantor_name = serializers.CharField(max_length=200)
    grantor_email = serializers.EmailField()
    grantor_relationship = serializers.CharField(max_length=100, required=False, default="")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=SCOPES), allow_empty=False)
    expires_at = serializers.DateTimeField()
    assurance = serializers.ChoiceField(choices=ConsentRecord.Assurance.choices)
    attested = serializers.BooleanField(required=False, default=False)
    signed_form = serializers.FileField(required=False)
    covers = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        help_text="The subject's portraits and recordings the consent is for; by default, all.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class LinkTokenSerializer(ReasonSerializer):
    token = serializers.CharField(max_length=2000)
