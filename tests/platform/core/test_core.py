"""The shared plumbing: one ownership rule, one canonical JSON, audit action names."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from audit.actions import AuditAction
from core.canonical_json import canonical_json
from core.errors import NotAllowed
from core.ownership import ensure_member_may_manage, member_may_manage
from jobs.models import AnimationJob


def _member(pk, organisation_id=None):
    return SimpleNamespace(pk=pk, organisation_id=organisation_id)


def _owned(owner_id, organisation_id=None):
    return SimpleNamespace(owner_id=owner_id, organisation_id=organisation_id)


@pytest.mark.parametrize(
    ("member", "obj", "allowed"),
    [
        (_member(1), _owned(1), True),  # the owner
        (_member(2, organisation_id=7), _owned(1, organisation_id=7), True),  # a colleague
        (_member(2, organisation_id=8), _owned(1, organisation_id=7), False),  # another org
        (_member(2), _owned(1), False),  # a stranger
        (_member(2), _owned(1, organisation_id=None), False),  # no org is not "the same org"
    ],
)
def test_owner_or_organisation_may_manage(member, obj, allowed):
    assert member_may_manage(member, obj) is allowed


def test_ensure_refuses_with_the_callers_words():
    ensure_member_may_manage(_member(1), _owned(1), "never said")
    with pytest.raises(NotAllowed, match="You can only animate your own subjects."):
        ensure_member_may_manage(_member(2), _owned(1), "You can only animate your own subjects.")


def test_canonical_json_is_sorted_compact_and_keeps_text():
    assert canonical_json({"b": 1, "a": ["é", None]}) == '{"a":["é",null],"b":1}'


def test_every_final_job_status_has_an_audit_action():
    for status in (AnimationJob.Status.FAILED, AnimationJob.Status.CANCELLED):
        assert AuditAction(f"job.{status}") == f"job.{status}"
    assert AuditAction.JOB_SUCCEEDED == f"job.{AnimationJob.Status.SUCCEEDED}"
    assert canonical_json({"action": AuditAction.CONSENT_REVOKED}) == '{"action":"consent.revoked"}'
