"""factory-boy factories for the platform's models (no audit events: use services for that)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Organisation, User
from consent.models import ConsentRecord, Subject
from consent.terms import consent_content_hash


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Genealogy Site {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    owner = factory.SubFactory(UserFactory)
    organisation = factory.LazyAttribute(lambda s: s.owner.organisation)
    display_name = factory.Sequence(lambda n: f"Ada Example {n}")
    vital_status = Subject.Vital.DECEASED


class ConsentFactory(factory.django.DjangoModelFactory):
    """An active consent for a deceased subject, attested by next of kin."""

    class Meta:
        model = ConsentRecord
        skip_postgeneration_save = True

    subject = factory.SubFactory(SubjectFactory)
    requested_by = factory.LazyAttribute(lambda c: c.subject.owner)
    grantor_kind = ConsentRecord.GrantorKind.NEXT_OF_KIN
    grantor_name = "Grace Example"
    grantor_email = "grace@example.org"
    grantor_relationship = "granddaughter"
    assurance = ConsentRecord.Assurance.ATTESTATION
    status = ConsentRecord.Status.ACTIVE
    requested_at = factory.LazyFunction(timezone.now)
    granted_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=365))
    content_hash = factory.LazyAttribute(lambda c: "")

    @factory.post_generation
    def _hash(obj, create, extracted, **kwargs):
        if obj.status == ConsentRecord.Status.ACTIVE and not obj.content_hash:
            obj.content_hash = consent_content_hash(obj)
            if create:
                obj.save(update_fields=["content_hash"])
