"""Nobody is put into an organisation without agreeing, and an invitation shows nothing of the
organisation's content until it is accepted."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.links import INVITATION_LINK
from tests.factories import SubjectFactory, UserFactory

pytestmark = [pytest.mark.security, pytest.mark.django_db]


@pytest.fixture
def organisation_with_content():
    founder = UserFactory()
    organisation = services.organisation_create(name="Roots", founder=founder)
    founder.refresh_from_db()
    subject = SubjectFactory(owner=founder, display_name="Great-aunt Secret Name")
    assert subject.organisation == organisation
    return founder, subject


def test_adding_someone_without_their_consent_is_no_longer_possible(
    client, organisation_with_content
):
    founder, _subject = organisation_with_content
    victim = UserFactory()
    client.force_login(founder)
    # The old direct-add endpoint and service are gone.
    assert client.post("/organisation/members/", {"email": victim.email}).status_code in (404, 405)
    assert not hasattr(services, "organisation_add_member")
    # Inviting changes nothing for the invitee until they accept.
    response = client.post(reverse("organisation-invite"), {"email": victim.email})
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.organisation is None


def test_invitee_sees_nothing_before_accepting(client, organisation_with_content):
    founder, subject = organisation_with_content
    invitee = UserFactory()
    invitation = services.organisation_invite(
        organisation=founder.organisation, email=invitee.email, invited_by=founder
    )
    link = reverse(
        "organisation-invitation",
        args=[INVITATION_LINK.token_make(record_id=invitation.pk, nonce=invitation.nonce)],
    )
    client.force_login(invitee)
    page = client.get(link)
    assert page.status_code == 200 and b"Roots" in page.content
    assert subject.display_name.encode() not in page.content
    assert client.get(reverse("subject-detail", args=[subject.id])).status_code == 404
    assert subject.display_name.encode() not in client.get(reverse("dashboard")).content
    assert b"Roots" not in client.get(reverse("organisation")).content

    api = APIClient()
    api.force_authenticate(invitee)
    assert api.get("/api/subjects/").json()["results"] == []
    assert api.get(f"/api/subjects/{subject.id}/").status_code == 404
    assert api.get("/api/me/").json()["organisation"] is None

    # After accepting, the same member sees the organisation's subject.
    assert client.post(link, {"answer": "accept"}).status_code == 302
    assert client.get(reverse("subject-detail", args=[subject.id])).status_code == 200
