"""Writes for members, organisations and API tokens."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.actors import Actor
from audit.services import audit_record
from config.errors import Conflict, DomainError, NotAllowed

from .models import ApiToken, Organisation, User
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
        actor=Actor.of_user(user), action="member.signed_up", object_type="user", object_id=user.pk
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
    founder.save(update_fields=["organisation"])
    audit_record(
        actor=Actor.of_user(founder),
        action="organisation.created",
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
        action="api_token.created",
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
            action="api_token.revoked",
            object_type="api_token",
            object_id=token.pk,
            details={"prefix": token.prefix},
        )
    return token


@transaction.atomic
def organisation_add_member(*, organisation: Organisation, email: str, added_by: User) -> User:
    if added_by.organisation_id != organisation.pk:
        raise NotAllowed("Only members of this organisation can add members to it.")
    member = User.objects.filter(email__iexact=email.strip()).first()
    if member is None:
        raise DomainError("No member has that e-mail address.", code="unknown_member", status=404)
    if member.organisation_id:
        raise Conflict("That member already belongs to an organisation.", code="already_member")
    member.organisation = organisation
    member.save(update_fields=["organisation"])
    audit_record(
        actor=Actor.of_user(added_by),
        action="organisation.member_added",
        object_type="organisation",
        object_id=organisation.pk,
        details={"member": member.pk},
    )
    return member
