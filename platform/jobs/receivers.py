"""Signal receivers: thin, each calls one service."""

from django.dispatch import receiver

from consent.models import ConsentRecord
from consent.signals import consent_withdrawn

from .services import consent_withdrawn_cascade


@receiver(consent_withdrawn, sender=ConsentRecord, dispatch_uid="jobs.consent_withdrawn")
def on_consent_withdrawn(sender, *, consent, actor, reason, **kwargs):
    consent_withdrawn_cascade(consent=consent, actor=actor, reason=reason)
