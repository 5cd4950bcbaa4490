"""The consent state machine under random sequences of operations (hypothesis).

Whatever happens — confirmations, replayed links, revocations by link or by the member,
time passing beyond the expiry — a consent only moves along pending → active → revoked or
expired, terminal states stay terminal, it is in force only when active and unexpired, and
every transition leaves exactly one audit event in an intact chain.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from consent import links, services
from consent.models import ConsentRecord
from consent.selectors import consent_in_force
from consent.terms import ALLOWED_TRANSITIONS
from core.errors import DomainError
from tests.factories import UserFactory

Status = ConsentRecord.Status
TRANSITION_ACTIONS = {"consent.confirmed", "consent.revoked", "consent.expired"}


class ConsentLifecycle(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.member = UserFactory()
        self.clock = timezone.now()
        living = self._now_patch()
        with living:
            self.subject = services.subject_create(
                owner=self.member,
                display_name="Hypo Thesis",
                vital_status="living",
                email="h@example.org",
            )
            self.consent = services.consent_request(
                subject=self.subject,
                requested_by=self.member,
                grantor_kind="subject",
                grantor_name="Hypo Thesis",
                grantor_email="h@example.org",
                scopes=["animate"],
                expires_at=self.clock + timedelta(days=10),
                assurance="subject_link",
            )
        self.confirm_token = links.confirm_token_make(
            consent_id=self.consent.id, nonce=self.consent.confirm_nonce
        )
        self.revoke_token = links.revoke_token_make(consent_id=self.consent.id)
        self.history = [Status.PENDING]

    def _now_patch(self):
        return mock.patch("django.utils.timezone.now", return_value=self.clock)

    def _attempt(self, operation) -> None:
        with self._now_patch():
            try:
                operation()
            except DomainError as exc:
                assert 400 <= exc.status < 500
        self.consent.refresh_from_db()
        if self.consent.status != self.history[-1]:
            self.history.append(self.consent.status)

    @rule()
    def confirm(self):
        self._attempt(lambda: services.consent_confirm_by_token(token=self.confirm_token))

    @rule()
    def revoke_by_link(self):
        self._attempt(lambda: services.consent_revoke_by_token(token=self.revoke_token))

    @rule()
    def revoke_by_member(self):
        self._attempt(
            lambda: services.consent_revoke_by_member(consent=self.consent, user=self.member)
        )

    @rule(days=st.integers(min_value=1, max_value=8))
    def time_passes(self, days):
        self.clock += timedelta(days=days)
        self._attempt(lambda: services.consent_expire_due(now=self.clock))

    @precondition(lambda self: self.history[-1] == Status.ACTIVE)
    @rule()
    def replayed_confirm_is_refused(self):
        with self._now_patch(), pytest.raises(DomainError):
            services.consent_confirm_by_token(token=self.confirm_token)

    @invariant()
    def moves_only_along_allowed_transitions(self):
        for before, after in zip(self.history, self.history[1:], strict=False):
            assert after in ALLOWED_TRANSITIONS[before], self.history

    @invariant()
    def in_force_only_when_active_and_unexpired(self):
        with self._now_patch():
            in_force = consent_in_force(subject=self.subject, scopes=["animate"])
        self.consent.refresh_from_db()
        if self.consent.status == Status.ACTIVE:
            assert self.consent.expires_at > self.clock
            assert in_force == self.consent
        else:
            assert in_force is None
        if self.history[-1] != self.consent.status:
            self.history.append(self.consent.status)

    @invariant()
    def one_audit_event_per_transition(self):
        actions = AuditEvent.objects.filter(
            object_id=str(self.consent.id), action__in=TRANSITION_ACTIONS
        ).count()
        assert actions == len(self.history) - 1

    def teardown(self):
        assert audit_chain_verify().ok


@pytest.mark.django_db
def test_consent_lifecycle():
    machine = ConsentLifecycle.TestCase
    machine.settings = settings(
        max_examples=25,
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine().runTest()
