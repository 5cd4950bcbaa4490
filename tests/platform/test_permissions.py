"""Every endpoint × role × ownership: members see their own and their organisation's objects;
anyone else's object answers 404 (never 403, which would confirm it exists)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create, api_token_revoke
from tests.factories import ConsentFactory, OrganisationFactory, SubjectFactory, UserFactory
from uploads.models import Upload

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "org_token", "stranger", "moderator", "anonymous", "revoked_token"]
SEES = {"owner", "colleague", "org_token"}


@pytest.fixture
def world():
    organisation = OrganisationFactory()
    owner = UserFactory(organisation=organisation)
    subject = SubjectFactory(owner=owner)
    consent = ConsentFactory(subject=subject)
    upload = Upload(
        owner=owner,
        organisation=organisation,
        subject=subject,
        kind="portrait",
        content_type="image/png",
        size=4,
        sha256="0" * 64,
    )
    upload.file.save("uploads/portrait/x.png", ContentFile(b"\x89PNG"), save=False)
    upload.save()
    _, raw = api_token_create(user=owner, name="site")
    revoked, revoked_raw = api_token_create(user=owner, name="old")
    api_token_revoke(token=revoked, user=owner)
    users = {
        "owner": owner,
        "colleague": UserFactory(organisation=organisation),
        "stranger": UserFactory(organisation=OrganisationFactory()),
        "moderator": UserFactory(is_staff=True),
    }
    return {
        "subject": subject,
        "consent": consent,
        "upload": upload,
        "users": users,
        "token": raw,
        "revoked_token": revoked_raw,
    }


def _api(world, role) -> APIClient:
    client = APIClient()
    if role in world["users"]:
        client.force_authenticate(world["users"][role])
    elif role == "org_token":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['token']}")
    elif role == "revoked_token":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['revoked_token']}")
    return client


def _expected(role: str, ok: int) -> int:
    if role in ("anonymous", "revoked_token"):
        return 401
    return ok if role in SEES else 404


DETAIL_ENDPOINTS = [
    ("get", "/api/subjects/{subject}/", 200),
    ("get", "/api/subjects/{subject}/audit/", 200),
    ("get", "/api/consents/{consent}/", 200),
    ("get", "/api/uploads/{upload}/", 200),
    ("get", "/api/uploads/{upload}/file/", 200),
    ("post", "/api/consents/{consent}/revoke/", 200),
    ("delete", "/api/uploads/{upload}/", 204),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "ok"), DETAIL_ENDPOINTS)
def test_detail_endpoints(world, role, method, path, ok):
    url = path.format(**{k: world[k].pk for k in ("subject", "consent", "upload")})
    response = getattr(_api(world, role), method)(url)
    assert response.status_code == _expected(role, ok), (role, url, response.content[:300])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/api/subjects/", "/api/consents/", "/api/uploads/"])
def test_lists_are_filtered_by_owner_and_organisation(world, role, path):
    response = _api(world, role).get(path)
    if role in ("anonymous", "revoked_token"):
        assert response.status_code == 401
        return
    assert response.status_code == 200
    count = response.json()["count"]
    assert count == (1 if role in SEES else 0), (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_creating_consent_for_a_subject(world, role):
    response = _api(world, role).post(
        "/api/consents/",
        {
            "subject": str(world["subject"].pk),
            "grantor_kind": "next_of_kin",
            "grantor_name": "Kin",
            "grantor_email": "kin@example.org",
            "grantor_relationship": "son",
            "scopes": ["animate"],
            "expires_at": (timezone.now() + timedelta(days=3)).isoformat(),
            "assurance": "rights_holder_attestation",
            "attested": True,
        },
        format="json",
    )
    assert response.status_code == _expected(role, 201), response.content[:300]


@pytest.mark.parametrize("role", ROLES)
def test_creating_a_subject_is_for_members(world, role):
    response = _api(world, role).post(
        "/api/subjects/", {"display_name": "New", "vital_status": "deceased"}, format="json"
    )
    expected = 401 if role in ("anonymous", "revoked_token") else 201
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_token_listing_is_for_the_organisation(world, role):
    response = _api(world, role).get("/api/tokens/")
    if role in ("anonymous", "revoked_token"):
        assert response.status_code == 401
        return
    assert response.json()["count"] == (2 if role in SEES else 0)


def test_token_error_messages(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer lk_nope_nope")
    response = client.get("/api/subjects/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid or revoked API token."
    client.credentials(HTTP_AUTHORIZATION="Bearer")
    assert client.get("/api/subjects/").json()["error"]["message"] == "Malformed API token header."


PAGES = [
    "/subjects/{subject}/",
    "/subjects/{subject}/audit/",
    "/subjects/{subject}/consent/",
    "/uploads/{upload}/file/",
]


@pytest.mark.parametrize("role", ["owner", "colleague", "stranger", "moderator", "anonymous"])
@pytest.mark.parametrize("path", PAGES)
def test_pages(world, role, path):
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = path.format(subject=world["subject"].pk, upload=world["upload"].pk)
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response.url
    else:
        assert response.status_code == (200 if role in SEES else 404)


@pytest.mark.parametrize("role", ["owner", "colleague", "stranger", "anonymous"])
def test_page_posts(world, role):
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    consent = world["consent"]
    response = client.post(f"/consents/{consent.pk}/revoke/", {"confirmed": "yes"})
    consent.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 302 and consent.status == "active"
    elif role in SEES:
        assert response.status_code == 302 and consent.status == "revoked"
    else:
        assert response.status_code == 404 and consent.status == "active"
