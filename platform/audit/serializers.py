from rest_framework import serializers

from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "created_at",
            "actor_type",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "details",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
