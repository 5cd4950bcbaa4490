"""Organisation membership by invitation: invite → e-mail → the invitee accepts (or declines);
the inviter cancels; members leave; owners remove; the last owner cannot leave. All audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import ApiToken, OrganisationInvitation, User
from audit.models import AuditEvent
from core.errors import Conflict, NotAllowed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CONFIRMED = {"confirmed": "yes"}  # sent by the page that asks before it is done


@pytest.fixture
def founder():
    user = UserFactory()
    services.organisation_create(name="Roots", founder=user)
    user.refresh_from_db()
    return user


def _invite(founder, email, capture) -> str:
    """Invite ``email`` through the page; returns the link path from the e-mail."""
    from django.test import Client

    client = Client()
    client.force_login(founder)
    with capture(execute=True):
        response = client.post(reverse("organisation-invite"), {"email": email})
    assert response.status_code == 302, response.content
    message = mail.outbox[-1]
    assert message.to == [email.lower()] and "Roots" in message.subject
    return re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_invite_email_then_accept_by_post_only(client, founder, django_capture_on_commit_callbacks):
    invitee = UserFactory()
    link = _invite(founder, invitee.email.upper(), django_capture_on_commit_callbacks)
    client.force_login(invitee)

    page = client.get(link)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and b"Roots" in page.content and b"Accept" in page.content
    invitee.refresh_from_db()
    assert invitee.organisation is None

    accepted = client.post(link, {"answer": "accept"})
    assert accepted.status_code == 302
    invitee.refresh_from_db()
    assert invitee.organisation == founder.organisation and not invitee.is_organisation_owner
    assert OrganisationInvitation.objects.get().status == "accepted"
    assert _actions()[-2:] == ["organisation.invitation_sent", "organisation.invitation_accepted"]

    again = client.post(link, {"answer": "accept"})
    assert again.status_code == 409 and b"only once" in again.content


def test_wrong_account_cannot_accept(client, founder, django_capture_on_commit_callbacks):
    invitee, intruder = UserFactory(), UserFactory()
    link = _invite(founder, invitee.email, django_capture_on_commit_callbacks)
    client.force_login(intruder)
    response = client.post(link, {"answer": "accept"})
    assert response.status_code == 403 and b"another e-mail address" in response.content
    intruder.refresh_from_db()
    assert intruder.organisation is None
    assert OrganisationInvitation.objects.get().status == "pending"

    client.logout()
    anonymous = client.post(link, {"answer": "accept"})
    assert anonymous.status_code == 403 and b"Log in" in anonymous.content


def test_invitee_without_account_signs_up_with_the_address_then_accepts(
    client, founder, django_capture_on_commit_callbacks
):
    link = _invite(founder, "newcomer@example.org", django_capture_on_commit_callbacks)
    assert b"sign up" in client.get(link).content
    signup = client.post(
        f"{reverse('signup')}?next={link}",
        {"username": "newcomer", "email": "newcomer@example.org", "password": "a long pass 42!"},
    )
    assert signup.status_code == 302 and signup["Location"] == link
    assert client.post(link, {"answer": "accept"}).status_code == 302
    assert User.objects.get(username="newcomer").organisation == founder.organisation


def test_expired_and_forged_links_are_refused_with_a_message(
    client, settings, founder, django_capture_on_commit_callbacks
):
    invitee = UserFactory()
    link = _invite(founder, invitee.email, django_capture_on_commit_callbacks)
    client.force_login(invitee)
    settings.ORGANISATION_INVITATION_MAX_AGE = timedelta(seconds=-1)
    expired = client.post(link, {"answer": "accept"})
    assert expired.status_code == 400 and b"has expired" in expired.content
    settings.ORGANISATION_INVITATION_MAX_AGE = timedelta(days=7)
    forged = client.post(link[:-3] + "xx/", {"answer": "accept"})
    assert forged.status_code == 400 and b"not valid" in forged.content
    invitee.refresh_from_db()
    assert invitee.organisation is None


def test_decline_without_logging_in(client, founder, django_capture_on_commit_callbacks):
    invitee = UserFactory()
    link = _invite(founder, invitee.email, django_capture_on_commit_callbacks)
    response = client.post(link, {"answer": "decline"})
    assert response.status_code == 200 and b"declined" in response.content
    assert OrganisationInvitation.objects.get().status == "declined"
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "organisation.invitation_declined" and event.actor_type == "invitee"
    assert client.post(link, {"answer": "decline"}).status_code == 409


def test_inviter_sees_and_cancels_pending_invitations(
    client, founder, django_capture_on_commit_callbacks
):
    link = _invite(founder, "someone@example.org", django_capture_on_commit_callbacks)
    client.force_login(founder)
    page = client.get(reverse("organisation"))
    assert b"someone@example.org" in page.content and len(page.context["invitations"]) == 1
    invitation = OrganisationInvitation.objects.get()
    with pytest.raises(Conflict, match="pending invitation"):
        services.organisation_invite(
            organisation=founder.organisation, email="someone@example.org", invited_by=founder
        )
    response = client.post(reverse("organisation-invitation-cancel", args=[invitation.pk]))
    assert response.status_code == 302
    assert OrganisationInvitation.objects.get().status == "cancelled"
    assert not client.get(reverse("organisation")).context["invitations"]
    assert client.post(link, {"answer": "decline"}).status_code == 409
    assert _actions()[-1] == "organisation.invitation_cancelled"
    # A stranger cannot cancel another organisation's invitation (it is not even found).
    other = services.organisation_invite(
        organisation=founder.organisation, email="x@example.org", invited_by=founder
    )
    stranger = UserFactory()
    client.force_login(stranger)
    assert (
        client.post(reverse("organisation-invitation-cancel", args=[other.pk])).status_code == 404
    )
    with pytest.raises(NotAllowed):
        services.organisation_invitation_cancel(invitation=other, user=stranger)


def _join(founder, user) -> None:
    invitation = services.organisation_invite(
        organisation=founder.organisation, email=user.email, invited_by=founder
    )
    from accounts.links import INVITATION_LINK

    token = INVITATION_LINK.token_make(record_id=invitation.pk, nonce=invitation.nonce)
    services.organisation_invitation_accept(token=token, user=user)
    user.refresh_from_db()


def test_member_leaves_and_their_tokens_stop(client, founder):
    member = UserFactory()
    _join(founder, member)
    services.api_token_create(user=member, name="site")
    client.force_login(member)
    asked = client.post(reverse("organisation-leave"))  # the button: a page that asks again
    assert asked.status_code == 200 and "To come back, a member has to invite you again." in (
        asked.content.decode()
    )
    member.refresh_from_db()
    assert member.organisation is not None
    assert client.post(reverse("organisation-leave"), CONFIRMED).status_code == 302
    member.refresh_from_db()
    assert member.organisation is None
    assert ApiToken.objects.get(user=member).revoked_at is not None
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "organisation.member_left"
    assert event.details == {"member": member.pk, "api_tokens_revoked": 1}


def test_owner_removes_a_member_but_members_cannot(client, founder):
    first, second = UserFactory(), UserFactory()
    _join(founder, first)
    _join(founder, second)
    client.force_login(first)
    remove = reverse("organisation-member-remove", args=[second.pk])
    refused = client.post(remove, CONFIRMED)
    assert refused.status_code == 403 and b"Only an owner" in refused.content
    client.force_login(founder)
    assert client.post(remove, CONFIRMED).status_code == 302
    second.refresh_from_db()
    assert second.organisation is None
    assert _actions()[-1] == "organisation.member_removed"
    # Someone outside the organisation is not found.
    outsider = UserFactory()
    remove = reverse("organisation-member-remove", args=[outsider.pk])
    assert client.post(remove, CONFIRMED).status_code == 404


def test_last_owner_cannot_leave(client, founder):
    member = UserFactory()
    _join(founder, member)
    client.force_login(founder)
    page = client.get(reverse("organisation")).content.decode()
    assert "To leave, first make another member an owner." in page
    refused = client.post(reverse("organisation-leave"), CONFIRMED)
    assert refused.status_code == 409 and b"last owner" in refused.content
    founder.refresh_from_db()
    assert founder.organisation is not None
    assert (
        client.post(reverse("organisation-owner-grant", args=[member.pk]), CONFIRMED).status_code
        == 302
    )
    assert client.post(reverse("organisation-leave"), CONFIRMED).status_code == 302
    member.refresh_from_db()
    assert member.is_organisation_owner
    client.force_login(member)
    assert client.post(reverse("organisation-leave"), CONFIRMED).status_code == 409


def test_accepting_while_in_another_organisation_is_refused(founder):
    other_founder = UserFactory()
    services.organisation_create(name="Branches", founder=other_founder)
    other_founder.refresh_from_db()
    with pytest.raises(Conflict, match="leave it before"):
        _join(founder, other_founder)
    assert OrganisationInvitation.objects.get().status == "pending"


def test_an_expired_invitation_is_closed_and_audited_when_the_address_is_invited_again(
    settings, founder, django_capture_on_commit_callbacks
):
    settings.ORGANISATION_INVITATION_MAX_AGE = timedelta(seconds=-1)
    _invite(founder, "late@example.org", django_capture_on_commit_callbacks)
    settings.ORGANISATION_INVITATION_MAX_AGE = timedelta(days=7)
    _invite(founder, "late@example.org", django_capture_on_commit_callbacks)
    statuses = list(
        OrganisationInvitation.objects.order_by("expires_at").values_list("status", flat=True)
    )
    assert statuses == ["cancelled", "pending"]
    assert _actions()[-2:] == ["organisation.invitation_expired", "organisation.invitation_sent"]
