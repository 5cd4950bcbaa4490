"""Shell commands around jobs: animate, seed_demo and bench_job."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from consent.models import ConsentRecord
from jobs.models import Clip

pytestmark = pytest.mark.django_db


def test_animate_command_runs_a_job_here(
    member, consented_subject, portrait_upload, audio_upload, capsys
):
    args = ["--member", member.username, "--subject", str(consented_subject.id)]
    args += ["--portrait", str(portrait_upload.id), "--audio", str(audio_upload.id)]
    call_command("animate", *args, "--size", "256")
    clip = Clip.objects.get()
    assert f"clip {clip.content_id}" in capsys.readouterr().out
    ConsentRecord.objects.filter(subject=consented_subject).update(status="revoked")
    with pytest.raises(CommandError, match="no consent in force"):
        call_command("animate", *args)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("animate", "--member", "nobody", "--subject", "x", "--portrait", "y")


@pytest.mark.slow
def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo", "--size", "256")
    call_command("seed_demo", "--size", "256")
    clip = Clip.objects.get()
    assert clip.status == Clip.Status.PUBLISHED
    assert f"/c/{clip.content_id}/" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_job_prints_stages_and_overhead(tmp_path, capsys):
    call_command(
        "bench_job", "--seconds", "1", "--size", "256", "--repeats", "1",
        "--json", str(tmp_path / "bench.json"),
    )  # fmt: skip
    report = json.loads((tmp_path / "bench.json").read_text())
    assert {"upload", "landmarks", "generate", "watermark", "fingerprint", "sign", "store"} <= set(
        report["stage_seconds_median"]
    )
    assert report["provenance_overhead"] > 0 and report["real_time_factor"] > 0
    assert report["clip_seconds"] == 1.0  # the speech is cut to the length asked for
    assert set(report["targets_met"]) == set(report["targets"])
    assert 0 < report["claim_to_generate_seconds"]["warm_median"] < report["total_seconds_median"]
    assert "provenance adds" in capsys.readouterr().out
