"""The poster is signed apart from the video: its own manifest is kept beside the clip (for
the Soft Binding Resolution API), and clips made before that get it from the stored poster."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps

from config import credentials
from jobs.models import Clip

pytestmark = pytest.mark.django_db


def test_the_poster_keeps_its_own_manifest_and_older_clips_get_it_back(finished_clip):
    from provenance.jumbf import png_manifest_store
    from provenance.manifest import read_manifest

    clip = finished_clip
    poster = read_manifest(clip.poster.path, credentials.trust_config())
    assert poster.status == "ours_trusted"
    assert clip.poster_manifest_label == poster.label != clip.manifest_label
    stored = clip.poster_manifest_store.read()
    assert stored == png_manifest_store(Path(clip.poster.path).read_bytes())

    # A clip recorded before the poster's manifest was kept: the migration takes it back out
    # of the stored poster.
    Clip.objects.filter(pk=clip.pk).update(poster_manifest_label="", poster_manifest_store="")
    migration = importlib.import_module("jobs.migrations.0003_clip_poster_manifest")
    migration.poster_manifests_backfill(apps, None)
    clip.refresh_from_db()
    assert clip.poster_manifest_label == poster.label
    assert clip.poster_manifest_store.read() == stored
