"""REST endpoint for misuse reports from anyone: POST /api/reports/ (multipart or JSON)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.rate_limits import ClientRateThrottle

from . import services
from .models import MisuseReport


class ReportCreateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=MisuseReport.Category.choices)
    description = serializers.CharField(max_length=services.DESCRIPTION_MAX_CHARS)
    content_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    verification = serializers.UUIDField(required=False, allow_null=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    attachment = serializers.FileField(required=False, allow_null=True)
    # The honeypot: left empty by people; see services.report_receive.
    website = serializers.CharField(required=False, allow_blank=True)


class ReportReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField()
    message = serializers.CharField()


class ReportCreateView(APIView):
    """Anyone reports misuse of a clip; the answer carries the report's reference."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "report"

    @extend_schema(request=ReportCreateSerializer, responses={201: ReportReceiptSerializer})
    def post(self, request):
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        reference = services.report_receive(
            honeypot=fields.get("website", ""),
            category=fields["category"],
            description=fields["description"],
            content_id=fields.get("content_id", ""),
            verification_id=str(fields.get("verification") or ""),
            contact_email=fields.get("contact_email", ""),
            attachment=fields.get("attachment"),
        )
        receipt = {
            "reference": reference,
            "message": "Thank you. A moderator will look at your report; quote this reference.",
        }
        return Response(receipt, status=status.HTTP_201_CREATED)
