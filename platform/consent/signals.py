"""Signals other apps listen to, sent inside the transaction of the consent change.

``consent_withdrawn`` (sender=ConsentRecord, consent=…, actor=…, reason="revoked"|"expired"):
whatever depends on this consent must stop or be withdrawn in the same transaction.
"""

from django.dispatch import Signal

consent_withdrawn = Signal()
