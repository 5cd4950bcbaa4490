"""Who may see and act on an owned object: its owner, and members of its organisation.

One rule, written twice only because the database needs it as a query: ``owned_by`` filters
rows, ``member_may_manage`` answers for one object already loaded.
"""

from __future__ import annotations

from typing import Protocol

from django.db.models import Q

from .errors import NotAllowed


class Owned(Protocol):
    owner_id: object
    organisation_id: object


def owned_by(user, *, owner_field: str = "owner", organisation_field: str = "organisation") -> Q:
    """Objects a member may see: their own, and their organisation's."""
    condition = Q(**{owner_field: user})
    if getattr(user, "organisation_id", None):
        condition |= Q(**{organisation_field: user.organisation_id})
    return condition


def member_may_manage(user, obj: Owned) -> bool:
    """Whether ``user`` owns ``obj`` or belongs to the organisation that does."""
    if obj.owner_id == user.pk:
        return True
    organisation_id = getattr(user, "organisation_id", None)
    return bool(organisation_id) and obj.organisation_id == organisation_id


def ensure_member_may_manage(user, obj: Owned, message: str) -> None:
    """Refuse with ``message`` unless ``user`` may manage ``obj``."""
    if not member_may_manage(user, obj):
        raise NotAllowed(message)
