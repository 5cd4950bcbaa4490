"""The member's path through the pages: sign up, add a subject, request consent; the subject
confirms and later revokes through the e-mailed links, without an account; the audit page
shows every step."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from consent.models import ConsentRecord, Subject

pytestmark = pytest.mark.django_db


def _link(kind: str) -> str:
    match = re.search(rf"http://testserver(/consent/{kind}/[^\s]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_member_to_subject_confirmation_to_revocation(client, django_capture_on_commit_callbacks):
    response = client.post(
        reverse("signup"),
        {
            "username": "margaret",
            "email": "margaret@example.org",
            "password": "a long passphrase 42",
        },
    )
    assert response.status_code == 302

    response = client.post(
        reverse("subject-create"),
        {"display_name": "Lena Living", "vital_status": "living", "email": "lena@example.org"},
    )
    subject = Subject.objects.get()
    assert response.url == reverse("subject-detail", args=[subject.id])

    expires = (timezone.now() + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("consent-request", args=[subject.id]),
            {
                "grantor_kind": "subject",
                "grantor_name": "Lena Living",
                "grantor_email": "lena@example.org",
                "scopes": ["animate", "publish"],
                "expires_at": expires,
                "assurance": "subject_link",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    consent = ConsentRecord.objects.get()
    assert consent.status == "pending"
    confirm_path, revoke_path = _link("confirm"), _link("revoke")

    # The subject has no account: a fresh client follows the links.
    subject_client = client.__class__()
    page = subject_client.get(confirm_path)
    assert page.status_code == 200 and b"I agree" in page.content
    consent.refresh_from_db()
    assert consent.status == "pending", "a GET (e.g. a mail scanner) must not confirm"
    page = subject_client.post(confirm_path)
    assert page.status_code == 200 and b"Your consent is recorded" in page.content
    consent.refresh_from_db()
    assert consent.status == "active"

    again = subject_client.post(confirm_path)
    assert again.status_code == 409 and b"only once" in again.content

    # Withdrawing cannot be undone: the page says what it does and wants "I understand" ticked.
    page = subject_client.get(revoke_path).content.decode()
    assert "It takes effect at once and cannot be undone" in page
    page = subject_client.post(revoke_path, {"reason": "I changed my mind"})
    assert page.status_code == 400 and b"Tick the box to confirm." in page.content
    consent.refresh_from_db()
    assert consent.status == "active"
    page = subject_client.post(revoke_path, {"reason": "I changed my mind", "understood": "on"})
    assert page.status_code == 200 and b"Consent withdrawn" in page.content
    consent.refresh_from_db()
    assert consent.status == "revoked" and consent.revoked_reason == "I changed my mind"

    audit = client.get(reverse("subject-audit", args=[subject.id]))
    text = audit.content.decode()
    positions = [
        text.index(action)
        for action in (
            "subject.created",
            "consent.requested",
            "consent.confirmed",
            "consent.revoked",
        )
    ]
    assert positions == sorted(positions)


def test_broken_link_pages_answer_400_not_500(client):
    for name in ("consent-confirm-link", "consent-revoke-link"):
        response = client.get(reverse(name, args=["tampered:token"]))
        assert response.status_code == 400
        assert b"not valid" in response.content
        response = client.post(reverse(name, args=["tampered:token"]))
        assert response.status_code == 400


def test_refused_consent_request_shows_the_reason(client, member):
    client.force_login(member)
    subject = Subject.objects.create(owner=member, display_name="Old Tom", vital_status="deceased")
    response = client.post(
        reverse("consent-request", args=[subject.id]),
        {
            "grantor_kind": "next_of_kin",
            "grantor_name": "Tom's grandson",
            "grantor_email": "g@example.org",
            "scopes": ["animate"],
            "expires_at": (timezone.now() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
            "assurance": "rights_holder_attestation",
            "attested": "on",
        },
    )
    assert response.status_code == 400
    assert b"State how the grantor is related" in response.content
    assert ConsentRecord.objects.count() == 0


def test_member_revokes_from_the_subject_page(client, member):
    from tests.factories import ConsentFactory, SubjectFactory

    consent = ConsentFactory(subject=SubjectFactory(owner=member))
    client.force_login(member)
    url = reverse("consent-revoke", args=[consent.id])
    # The subject page's button leads to a page that says what revoking does, and asks again.
    for asked in (client.get(url), client.post(url, {"reason": "no longer"})):
        assert asked.status_code == 200
        text = asked.content.decode()
        assert f"Revoke consent for {consent.subject.display_name}?" in text
        assert "cannot be undone" in text and 'name="confirmed" value="yes"' in text
    consent.refresh_from_db()
    assert consent.status == "active"
    response = client.post(url, {"reason": "no longer", "confirmed": "yes"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.status == "revoked"
    page = client.get(reverse("subject-detail", args=[consent.subject_id]))
    assert b"No consent in force" in page.content
