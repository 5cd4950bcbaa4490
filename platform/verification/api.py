"""POST /api/verify/ and GET /api/verify/<id>/: anyone may verify a copy of a clip."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.rate_limits import ClientRateThrottle

from .selectors import verification_by_permalink
from .serializers import VerificationSerializer, VerifyUploadSerializer
from .services import verification_run


class VerifyView(APIView):
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "verify"

    @extend_schema(request=VerifyUploadSerializer, responses={201: VerificationSerializer})
    def post(self, request):
        data = VerifyUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = verification_run(stream=upload, filename=upload.name)
        body = VerificationSerializer(result, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class VerificationDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=VerificationSerializer)
    def get(self, request, verification_id):
        result = verification_by_permalink(verification_id=verification_id)  # 410 when purged
        return Response(VerificationSerializer(result, context={"request": request}).data)
