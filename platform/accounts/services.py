"""Writes for members, organisations (invitations, leaving, removal) and API tokens.

Every change writes its audit event in the same transaction. Audit details name records by id,
never by e-mail address: the trail is append-only, so personal data there could not be erased.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from config.signed_links import LinkInvalid, link_nonce_matches, link_nonce_new
from core.actors import Actor
from core.errors import Conflict, DomainError, NotAllowed

from .links import INVITATION_LINK, invitation_url
from .models import ApiToken, Organisation, OrganisationInvitation, User
from .tokens import token_generate


@transaction.atomic
def member_signup(*, username: str, email: str, password: str) -> User:
    username, email = username.strip(), email.strip().lower()
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("That username is taken.", code="username_taken")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("An account with that e-mail already exists.", code="email_taken")
    user = User(username=username, email=email)
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="invalid_signup") from exc
    user.set_password(password)
    user.save()
    audit_record(
        actor=Actor.of_user(user),
        action=AuditAction.MEMBER_SIGNED_UP,
        object_type="user",
        object_id=user.pk,
    )
    return user


@transaction.atomic
def organisation_create(*, name: str, founder: User) -> Organisation:
    name = name.strip()
    if not name:
        raise DomainError("An organisation needs a name.", code="name_required")
    if founder.organisation_id:
        raise Conflict("You already belong to an organisation.", code="already_member")
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(name=name)
    except IntegrityError as exc:
        raise Conflict("An organisation with that name already exists.", code="name_taken") from exc
    founder.organisation = organisation
    founder.organisation_role = User.OrganisationRole.OWNER
    founder.save(update_fields=["organisation", "organisation_role"])
    audit_record(
        actor=Actor.of_user(founder),
        action=AuditAction.ORGANISATION_CREATED,
        object_type="organisation",
        object_id=organisation.pk,
        details={"name": name},
    )
    return organisation


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is shown once and never stored."""
    if not user.organisation_id:
        raise NotAllowed("API tokens belong to an organisation; create or join one first.")
    name = name.strip() or "API token"
    raw, prefix, digest = token_generate()
    token = ApiToken.objects.create(
        organisation_id=user.organisation_id,
        user=user,
        name=name[:100],
        prefix=prefix,
        digest=digest,
    )
    audit_record(
        actor=Actor.of_user(user),
        action=AuditAction.API_TOKEN_CREATED,
        object_type="api_token",
        object_id=token.pk,
        details={"name": token.name, "prefix": prefix},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user: User) -> ApiToken:
    if token.organisation_id != user.organisation_id:
        raise NotAllowed("You can only revoke your organisation's tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=Actor.of_user(user),
            action=AuditAction.API_TOKEN_REVOKED,
            object_type="api_token",
            object_id=token.pk,
            details={"prefix": token.prefix},
        )
    return token


# ---------------------------------------------------------------- organisation membership
Invitation = OrganisationInvitation
Role = User.OrganisationRole


@transaction.atomic
def organisation_invite(
    *, organisation: Organisation, email: str, invited_by: User
) -> OrganisationInvitation:
    """Invite an e-mail address; the person must accept before they become a member."""
    if invited_by.organisation_id != organisation.pk:
        raise NotAllowed("Only members of this organisation can invite people to it.")
    email = email.strip().lower()
    if not email:
        raise DomainError("Give the e-mail address of the person to invite.", code="email_required")
    if User.objects.filter(organisation=organisation, email__iexact=email).exists():
        raise Conflict("That person already belongs to your organisation.", code="already_member")
    now = timezone.now()
    _expire_pending(organisation=organisation, email=email, now=now)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organisation=organisation,
                email=email,
                invited_by=invited_by,
                nonce=link_nonce_new(),
                expires_at=now + settings.ORGANISATION_INVITATION_MAX_AGE,
            )
    except IntegrityError as exc:
        raise Conflict(
            "That address already has a pending invitation; cancel it to send a new one.",
            code="already_invited",
        ) from exc
    audit_record(
        actor=Actor.of_user(invited_by),
        action=AuditAction.ORGANISATION_INVITATION_SENT,
        object_type="organisation",
        object_id=organisation.pk,
        details={"invitation": invitation.pk},
    )
    transaction.on_commit(lambda: _mail_invitation(invitation))
    return invitation


def _expire_pending(*, organisation: Organisation, email: str, now) -> None:
    """A pending invitation past its date no longer blocks a new one."""
    for invitation in Invitation.objects.select_for_update().filter(
        organisation=organisation,
        email=email,
        status=Invitation.Status.PENDING,
        expires_at__lte=now,
    ):
        _close(invitation, status=Invitation.Status.CANCELLED, by=None, now=now)
        audit_record(
            actor=Actor.system(),
            action=AuditAction.ORGANISATION_INVITATION_EXPIRED,
            object_type="organisation",
            object_id=organisation.pk,
            details={"invitation": invitation.pk},
        )


def _close(invitation: OrganisationInvitation, *, status: str, by: User | None, now) -> None:
    invitation.status = status
    invitation.nonce = ""
    invitation.responded_at = now
    invitation.responded_by = by
    invitation.save(update_fields=["status", "nonce", "responded_at", "responded_by"])


def _invitation_by_token(token: str) -> OrganisationInvitation:
    """The pending invitation a link names, locked; refuses used, withdrawn or expired links."""
    invitation_id, nonce = INVITATION_LINK.token_read(token)
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("organisation")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise LinkInvalid("This invitation link points to no invitation.")
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError(
            f"This invitation was already {invitation.status}; the link works only once.",
            code=f"invitation_{invitation.status}",
            status=409,
        )
    if not link_nonce_matches(stored=invitation.nonce, given=nonce):
        raise LinkInvalid("This invitation link has been replaced or already used.")
    if invitation.is_expired(timezone.now()):
        raise LinkInvalid(INVITATION_LINK.expired_message, code="link_expired")
    return invitation


@transaction.atomic
def organisation_invitation_accept(*, token: str, user: User) -> OrganisationInvitation:
    """The invitee, logged in as the invited address's account, joins the organisation."""
    invitation = _invitation_by_token(token)
    if user.email.lower() != invitation.email:
        raise NotAllowed(
            "This invitation was sent to another e-mail address. Log in (or sign up) with the "
            "address it was sent to, then open the link again.",
            code="wrong_account",
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.organisation_id:
        raise Conflict(
            "You already belong to an organisation; leave it before joining another.",
            code="already_member",
        )
    user.organisation = invitation.organisation
    user.organisation_role = Role.MEMBER
    user.save(update_fields=["organisation", "organisation_role"])
    _close(invitation, status=Invitation.Status.ACCEPTED, by=user, now=timezone.now())
    audit_record(
        actor=Actor.of_user(user),
        action=AuditAction.ORGANISATION_INVITATION_ACCEPTED,
        object_type="organisation",
        object_id=invitation.organisation_id,
        details={"invitation": invitation.pk, "member": user.pk},
    )
    return invitation


@transaction.atomic
def organisation_invitation_decline(
    *, token: str, user: User | None = None
) -> OrganisationInvitation:
    """Anyone holding the link may decline: it reached the invited mailbox."""
    invitation = _invitation_by_token(token)
    by = user if user is not None and user.email.lower() == invitation.email else None
    _close(invitation, status=Invitation.Status.DECLINED, by=by, now=timezone.now())
    audit_record(
        actor=Actor.of_user(by) if by else Actor.invitee(invitation.pk),
        action=AuditAction.ORGANISATION_INVITATION_DECLINED,
        object_type="organisation",
        object_id=invitation.organisation_id,
        details={"invitation": invitation.pk},
    )
    return invitation


@transaction.atomic
def organisation_invitation_cancel(
    *, invitation: OrganisationInvitation, user: User
) -> OrganisationInvitation:
    """The inviter, or an owner of the organisation, withdraws a pending invitation."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if user.organisation_id != invitation.organisation_id or not (
        invitation.invited_by_id == user.pk or user.is_organisation_owner
    ):
        raise NotAllowed("Only the member who sent an invitation, or an owner, can cancel it.")
    if invitation.status != Invitation.Status.PENDING:
        raise Conflict(f"This invitation was already {invitation.status}.", code="not_pending")
    _close(invitation, status=Invitation.Status.CANCELLED, by=user, now=timezone.now())
    audit_record(
        actor=Actor.of_user(user),
        action=AuditAction.ORGANISATION_INVITATION_CANCELLED,
        object_type="organisation",
        object_id=invitation.organisation_id,
        details={"invitation": invitation.pk},
    )
    return invitation


@transaction.atomic
def organisation_leave(*, user: User) -> Organisation:
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.organisation_id:
        raise DomainError("You do not belong to an organisation.", code="not_member", status=404)
    organisation = user.organisation
    _check_an_owner_remains(organisation=organisation, leaving=user)
    _detach(member=user, actor=user, action=AuditAction.ORGANISATION_MEMBER_LEFT)
    return organisation


def _fellow_member_locked(*, member: User, by: User, to: str) -> User:
    """``member`` locked for an owner's change, once ``by`` is known to be their owner."""
    if not by.is_organisation_owner:
        raise NotAllowed(f"Only an owner of the organisation can {to}.")
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.organisation_id != by.organisation_id:
        raise DomainError("That person is not a member of your organisation.", status=404)
    return member


@transaction.atomic
def organisation_member_remove(*, member: User, by: User) -> User:
    """An owner removes another member (to leave, members use ``organisation_leave``)."""
    member = _fellow_member_locked(member=member, by=by, to="remove members")
    if member.pk == by.pk:
        raise DomainError("To leave the organisation yourself, use Leave.", code="remove_self")
    _detach(member=member, actor=by, action=AuditAction.ORGANISATION_MEMBER_REMOVED)
    return member


@transaction.atomic
def organisation_owner_grant(*, member: User, by: User) -> User:
    """An owner makes another member an owner too (so they can hand over and leave)."""
    member = _fellow_member_locked(member=member, by=by, to="make members owners")
    if member.organisation_role != Role.OWNER:
        member.organisation_role = Role.OWNER
        member.save(update_fields=["organisation_role"])
        audit_record(
            actor=Actor.of_user(by),
            action=AuditAction.ORGANISATION_OWNER_GRANTED,
            object_type="organisation",
            object_id=member.organisation_id,
            details={"member": member.pk},
        )
    return member


def _check_an_owner_remains(*, organisation: Organisation, leaving: User) -> None:
    if leaving.organisation_role != Role.OWNER:
        return
    others = (
        User.objects.select_for_update()
        .filter(organisation=organisation, organisation_role=Role.OWNER)
        .exclude(pk=leaving.pk)
    )
    if not others.exists():
        raise Conflict(
            f"You are the last owner of {organisation.name}; make another member an owner "
            "before you leave.",
            code="last_owner",
        )


def _detach(*, member: User, actor: User, action: AuditAction) -> None:
    """Take a member out of their organisation; their tokens for it stop working for good."""
    organisation_id = member.organisation_id
    member.organisation = None
    member.organisation_role = Role.MEMBER
    member.save(update_fields=["organisation", "organisation_role"])
    revoked = ApiToken.objects.filter(
        organisation_id=organisation_id, user=member, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    audit_record(
        actor=Actor.of_user(actor),
        action=action,
        object_type="organisation",
        object_id=organisation_id,
        details={"member": member.pk, "api_tokens_revoked": revoked},
    )


def _mail_invitation(invitation: OrganisationInvitation) -> None:
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "inviter": invitation.invited_by,
        "url": invitation_url(invitation_id=invitation.pk, nonce=invitation.nonce),
        "days": settings.ORGANISATION_INVITATION_MAX_AGE.days,
    }
    send_mail(
        subject=f"You are invited to join {invitation.organisation.name} on Likeness",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
