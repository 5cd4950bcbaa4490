from rest_framework import serializers

from .models import ApiToken, User


class MeSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name", default=None, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "organisation", "is_staff"]
        read_only_fields = fields


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
