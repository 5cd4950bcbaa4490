"""Who did something, as recorded in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    type: str  # user, grantor, invitee, system, public
    id: str = ""
    label: str = ""

    @classmethod
    def of_user(cls, user) -> Actor:
        return cls("user", str(user.pk), user.get_username())

    @classmethod
    def grantor(cls, consent_id) -> Actor:
        # The person holding a signed consent link; their name is not written here.
        return cls("grantor", str(consent_id), "holder of the consent link")

    @classmethod
    def invitee(cls, invitation_id) -> Actor:
        # Whoever holds an organisation invitation link, when not logged in as its addressee.
        return cls("invitee", str(invitation_id), "holder of the invitation link")

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls("system", "", label)

    @classmethod
    def public(cls, label: str = "anonymous") -> Actor:
        return cls("public", "", label)
