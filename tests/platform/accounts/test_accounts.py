"""Members, organisations and API tokens, through services, pages and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.links import INVITATION_LINK
from accounts.models import ApiToken, OrganisationInvitation, User
from audit.models import AuditEvent
from core.errors import Conflict, DomainError, NotAllowed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_signup_refuses_duplicates_and_weak_passwords():
    services.member_signup(username="ann", email="Ann@Example.org", password="a long passphrase 42")
    assert User.objects.get().email == "ann@example.org"
    with pytest.raises(Conflict, match="username"):
        services.member_signup(username="ANN", email="x@example.org", password="a long pass 42")
    with pytest.raises(Conflict, match="e-mail"):
        services.member_signup(username="bob", email="ann@example.org", password="a long pass 42")
    with pytest.raises(DomainError, match="too short|too common"):
        services.member_signup(username="cat", email="c@example.org", password="abc")


def test_signup_page_shows_errors(client):
    response = client.post(
        reverse("signup"), {"username": "x", "email": "x@example.org", "password": "password"}
    )
    assert response.status_code == 400 and b"too common" in response.content


def test_organisation_members_and_tokens_through_pages(client, django_capture_on_commit_callbacks):
    founder, colleague = UserFactory(), UserFactory()
    client.force_login(founder)
    assert client.post(reverse("organisation-create"), {"name": "Roots & Co"}).status_code == 302
    founder.refresh_from_db()
    assert founder.organisation.name == "Roots & Co" and founder.is_organisation_owner
    # Invited, not added: the colleague joins only by accepting the e-mailed link.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organisation-invite"), {"email": colleague.email})
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.organisation is None
    invitation = OrganisationInvitation.objects.get()
    services.organisation_invitation_accept(
        token=INVITATION_LINK.token_make(record_id=invitation.pk, nonce=invitation.nonce),
        user=colleague,
    )
    colleague.refresh_from_db()
    assert colleague.organisation == founder.organisation

    page = client.post(reverse("organisation-token-create"), {"name": "website"})
    assert page.status_code == 200
    raw = page.context["raw"]
    assert raw.startswith("lk_") and raw.encode() in page.content
    token = ApiToken.objects.get()
    assert raw not in (token.digest, token.prefix)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    me = api.get("/api/me/")
    assert me.status_code == 200 and me.json()["organisation"] == "Roots & Co"

    revoke = reverse("organisation-token-revoke", args=[token.id])
    assert "Revoke the API token" in client.get(revoke).content.decode()
    assert api.get("/api/me/").status_code == 200  # asked, not yet done
    assert client.post(revoke, {"confirmed": "yes"}).status_code == 302
    assert api.get("/api/me/").status_code == 401
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "organisation.created",
        "organisation.invitation_sent",
        "organisation.invitation_accepted",
        "api_token.created",
    } <= actions
    assert "api_token.revoked" in actions


def test_organisation_rules():
    founder = UserFactory()
    organisation = services.organisation_create(name="Roots", founder=founder)
    with pytest.raises(Conflict, match="already belong"):
        services.organisation_create(name="Other", founder=founder)
    with pytest.raises(Conflict, match="already exists"):
        services.organisation_create(name="Roots", founder=UserFactory())
    with pytest.raises(NotAllowed):
        services.organisation_invite(
            organisation=organisation, email="x@example.org", invited_by=UserFactory()
        )
    with pytest.raises(Conflict, match="already belongs"):
        services.organisation_invite(
            organisation=organisation, email=founder.email.upper(), invited_by=founder
        )
    with pytest.raises(NotAllowed, match="organisation"):
        services.api_token_create(user=UserFactory(), name="x")


def test_tokens_via_the_api(client):
    founder = UserFactory()
    services.organisation_create(name="Roots", founder=founder)
    api = APIClient()
    api.force_authenticate(founder)
    created = api.post("/api/tokens/", {"name": "cli"}, format="json")
    assert created.status_code == 201
    token_id = created.json()["detail"]["id"]
    revoked = api.post(f"/api/tokens/{token_id}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
