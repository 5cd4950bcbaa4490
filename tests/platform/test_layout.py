"""The house rules: platform/ never shadows the standard library; settings fit production."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def test_platform_is_still_the_standard_library():
    import platform

    assert platform.system() in {"Linux", "Darwin", "Windows"}
    assert Path(platform.__file__).parent != ROOT / "platform"
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_manage_py_appends_platform_after_the_standard_library():
    code = (
        "import runpy, sys; sys.argv=['manage.py','check']; "
        "runpy.run_path('manage.py', run_name='__main__'); "
        "import platform; print(platform.system())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_no_app_or_top_level_module_shadows_a_known_module():
    ours = {p.name for p in (ROOT / "platform").iterdir() if p.is_dir() and p.name[0] != "_"}
    installed = set()
    for names in importlib.metadata.packages_distributions().values():
        installed.update(names)
    project_dists = {"likeness"}
    for module, dists in importlib.metadata.packages_distributions().items():
        if set(dists) <= project_dists:
            installed.discard(module)
    clashes = ours & (set(sys.stdlib_module_names) | installed)
    assert not clashes, f"these names shadow other modules: {clashes}"
    local_apps = {a.name for a in apps.get_app_configs() if (ROOT / "platform" / a.name).is_dir()}
    assert local_apps == {
        "accounts",
        "audit",
        "config",  # the shared plumbing; owns the rate-limit counter table
        "consent",
        "core",  # storage, ownership checks, domain errors, canonical JSON, actors
        "jobs",
        "moderation",
        "notices",
        "uploads",
        "verification",
    }


def _run_with_env(args, **env):
    unwanted = {"DATABASE_URL", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full_env = {k: v for k, v in os.environ.items() if k not in unwanted}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "p7Qk2vX9sL4mN8rT1wY6zB3cF5hJ0dG-aE_iK7oU2pR9sV4xZ1nM6bC8eH3jL5qW",
    "DATABASE_URL": "postgres://likeness:secret@db.invalid:5432/likeness",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
    "ALLOWED_HOSTS": "likeness.example.org",
    "WATERMARK_KEY": "a-production-watermark-secret",
}


def test_check_deploy_with_production_settings_prints_no_warning():
    result = _run_with_env(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _run_with_env(["check"], **env, SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_come_from_the_environment():
    code = (
        "import os, sys; sys.path.append('platform');"
        "os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.ALLOWED_HOSTS)"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update(PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "redis://redis.invalid:6379/0",
        "['likeness.example.org']",
    ]


def test_embedded_default_needs_no_server(settings):
    code = (
        "import os, sys; sys.path.append('platform');"
        "os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ENV", "SECRET_KEY"}
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "filesystem://"]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_services_with_healthchecks_and_volumes(compose):
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "gpu-worker", "migrate"} <= services.keys()
    for name in ("postgres", "redis", "web", "worker", "gpu-worker"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    assert {"pgdata", "redisdata", "objects", "signing-keys"} <= compose["volumes"].keys()
    assert "gunicorn" in services["web"]["command"]
    for name in ("web", "worker", "gpu-worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert "migrate" in services["migrate"]["command"]


def test_compose_wires_the_queues(compose):
    services = compose["services"]

    def queues(name):
        command = services[name]["command"]
        return command[command.index("-Q") + 1].split(",")

    assert queues("worker") == ["default"]
    assert queues("gpu-worker") == ["gpu"]
    gpu = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]
    for name in ("web", "worker", "gpu-worker"):
        env = services[name]["environment"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["DJANGO_ENV"] == "production"
        # Workers on other machines share files only through object storage.
        assert env["S3_BUCKET"] and env["S3_ENDPOINT_URL"].startswith("http://minio")
    assert "volumes" not in services["gpu-worker"] or all(
        "private" not in v for v in services["gpu-worker"]["volumes"]
    )


def test_dockerfile_installs_torch_before_the_project():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.index("TORCH_SPEC}") < dockerfile.index("pip install .")
