"""`manage.py animate`: run an animation job from the shell, in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from consent.models import Subject
from core.errors import DomainError
from jobs import runner, services
from uploads.models import Upload


class Command(BaseCommand):
    help = (
        "Animate a subject's portrait with speech (or idle) and wait for the clip. "
        "Consent must be in force, as for any job."
    )

    def add_arguments(self, parser):
        parser.add_argument("--member", required=True, help="username of the member")
        parser.add_argument("--subject", required=True, help="subject id")
        parser.add_argument("--portrait", required=True, help="portrait upload id")
        parser.add_argument("--audio", help="speech upload id")
        parser.add_argument("--idle", type=float, help="seconds of idle animation (no audio)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--size", type=int, default=512)

    def handle(self, *args, **options):
        try:
            member = User.objects.get(username=options["member"])
            subject = Subject.objects.get(pk=options["subject"])
            portrait = Upload.objects.get(pk=options["portrait"])
            audio = Upload.objects.get(pk=options["audio"]) if options["audio"] else None
            job = services.job_create(
                owner=member,
                subject=subject,
                portrait=portrait,
                audio=audio,
                idle_seconds=options["idle"],
                seed=options["seed"],
                size=options["size"],
                enqueue=False,
            )
        except (User.DoesNotExist, Subject.DoesNotExist, Upload.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        except (DomainError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"job {job.id}: running here")
        try:
            clip = runner.job_run_here(job_id=job.id)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"clip {clip.content_id}: {clip.video.name}"))
