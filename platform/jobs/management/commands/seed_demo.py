"""`manage.py seed_demo`: a demo member, a subject with consent in force, and one finished,
published clip made from bundled media, so a newcomer sees the whole path at once.
Idempotent; refused in production."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.services import member_signup
from consent.models import Subject
from consent.services import consent_request, subject_create
from jobs import clip_services, runner, services
from jobs.demo_media import demo_portrait_jpeg, demo_speech_wav
from jobs.models import Clip
from uploads.services import upload_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-portrait-2026"
DEMO_SUBJECT = "Grandpa Astro (demo)"


class Command(BaseCommand):
    help = "Create the demo member, subject, consent and one published clip (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=384)

    def handle(self, *args, size, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo is for the embedded default, not production.")
        member = User.objects.filter(username=DEMO_USERNAME).first() or member_signup(
            username=DEMO_USERNAME, email="demo@likeness.invalid", password=DEMO_PASSWORD
        )
        subject = Subject.objects.filter(owner=member, display_name=DEMO_SUBJECT).first()
        if subject is None:
            subject = self._subject_with_consent(member)
        clip = Clip.objects.filter(subject=subject, status=Clip.Status.PUBLISHED).first()
        if clip is None:
            self.stdout.write("Making the demo clip (a minute or so on a CPU)…")
            clip = self._clip(member, subject, size)
            clip_services.clip_publish(clip=clip, user=member)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo: log in as {DEMO_USERNAME} / {DEMO_PASSWORD}; "
                f"public clip at {settings.SITE_URL}/c/{clip.content_id}/"
            )
        )

    def _subject_with_consent(self, member) -> Subject:
        subject = subject_create(
            owner=member, display_name=DEMO_SUBJECT, vital_status="deceased", death_year=1999
        )
        consent_request(
            subject=subject,
            requested_by=member,
            grantor_kind="next_of_kin",
            grantor_name="Demo Grandchild",
            grantor_email="grandchild@likeness.invalid",
            grantor_relationship="grandchild",
            scopes=["animate", "publish"],
            expires_at=timezone.now() + timedelta(days=365),
            assurance="rights_holder_attestation",
            attested=True,
        )
        return subject

    def _clip(self, member, subject, size) -> Clip:
        portrait = upload_create(
            owner=member,
            subject=subject,
            kind="portrait",
            stream=SimpleUploadedFile("astronaut.jpg", demo_portrait_jpeg()),
            original_name="astronaut.jpg",
        )
        audio = upload_create(
            owner=member,
            subject=subject,
            kind="audio",
            stream=SimpleUploadedFile("greeting.wav", demo_speech_wav()),
            original_name="greeting.wav",
        )
        job = services.job_create(
            owner=member, subject=subject, portrait=portrait, audio=audio, size=size, enqueue=False
        )
        return runner.job_run_here(job_id=job.id)
