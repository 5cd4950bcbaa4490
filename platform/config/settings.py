"""Settings for every environment, driven by environment variables.

Without any variable set, the site runs on its embedded default: SQLite, files on local disk
under ``var/``, a Celery broker kept in local folders (no server to install) and mail written
to files. ``DJANGO_ENV=production`` switches to production values and refuses to start without
a real ``SECRET_KEY``. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` override the embedded
database and broker in any environment (CI runs the suite against PostgreSQL and Redis so).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

# ---------------------------------------------------------------- paths and environment
BASE_DIR = Path(__file__).resolve().parents[2]  # the repository root
VAR_DIR = Path(os.environ.get("LIKENESS_VAR_DIR", BASE_DIR / "var"))

ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _development_secret_key() -> str:
    """A per-checkout random key kept in var/, so dev sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
    return path.read_text().strip()


# ---------------------------------------------------------------- core
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = _development_secret_key()

DEBUG = _env_bool("DJANGO_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = _env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "core",  # shared plumbing without tables: storage, ownership, errors, actors
    "accounts",
    "audit",
    "consent",
    "uploads",
    "jobs",
    "verification",
    "moderation",
    "notices",  # e-mailed notices, each recorded and sent once
    "config",  # shared plumbing; owns the rate-limit counters
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CORS on the Soft Binding Resolution API's paths only; answers their preflights first.
    "config.cors.SoftBindingCorsMiddleware",
    "config.content_security.ContentSecurityPolicyMiddleware",
    "config.request_limits.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

if PRODUCTION:  # runserver serves static files in development
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
# SQLite runs every transaction as BEGIN IMMEDIATE so that writers queue up instead of
# failing mid-way; the audit chain relies on writers being serialised.
_SQLITE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": VAR_DIR / "db.sqlite3",
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # recursive_triggers: INSERT OR REPLACE's implicit delete then fires DELETE triggers,
        # so it cannot rewrite the append-only audit tables.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA recursive_triggers=ON;"
        ),
    },
    "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
}
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_ENV=production")
else:
    DATABASES = {"default": _SQLITE}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- accounts and auth
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
# How long an e-mailed invitation to join an organisation can be accepted.
ORGANISATION_INVITATION_MAX_AGE = timedelta(
    days=int(os.environ.get("ORGANISATION_INVITATION_DAYS", 7))
)
LOGIN_REDIRECT_URL = "dashboard"
MODERATOR_LOGIN_REDIRECT_URL = "moderation-queue"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ---------------------------------------------------------------- i18n
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------- static and stored files
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS: list[Path] = []
# Uploaded originals and generated media are private: they live outside the web root and are
# only served through views that check ownership. There is no public MEDIA_URL.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
# With S3_BUCKET set, private files live in S3-compatible object storage instead, so workers
# on other machines read inputs and write clips through the same storage API.
if os.environ.get("S3_BUCKET"):
    _PRIVATE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY"),
            "region_name": os.environ.get("S3_REGION") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _PRIVATE_STORAGE = {"BACKEND": "core.storage.PrivateFileStorage"}
STORAGES = {
    "default": _PRIVATE_STORAGE,
    "private": _PRIVATE_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: caps and quotas (bytes, pixels, seconds, counts).
UPLOAD_PORTRAIT_MAX_BYTES = int(os.environ.get("UPLOAD_PORTRAIT_MAX_BYTES", 20 * 1024 * 1024))
UPLOAD_AUDIO_MAX_BYTES = int(os.environ.get("UPLOAD_AUDIO_MAX_BYTES", 60 * 1024 * 1024))
UPLOAD_PORTRAIT_MAX_PIXELS = int(os.environ.get("UPLOAD_PORTRAIT_MAX_PIXELS", 25_000_000))
UPLOAD_PORTRAIT_MIN_SIDE = int(os.environ.get("UPLOAD_PORTRAIT_MIN_SIDE", 64))
UPLOAD_AUDIO_MAX_SECONDS = float(os.environ.get("UPLOAD_AUDIO_MAX_SECONDS", 300))
UPLOAD_QUOTA_FILES = int(os.environ.get("UPLOAD_QUOTA_FILES", 500))
UPLOAD_QUOTA_BYTES = int(os.environ.get("UPLOAD_QUOTA_BYTES", 5 * 1024 * 1024 * 1024))
VERIFY_MAX_BYTES = int(os.environ.get("VERIFY_MAX_BYTES", 60 * 1024 * 1024))
VERIFY_RATE_PER_MINUTE = int(os.environ.get("VERIFY_RATE_PER_MINUTE", 20))
# Verification results (hashes and findings) are deleted this many days after they were made;
# a permalink to a deleted one answers 410 Gone.
VERIFICATION_RETENTION_DAYS = int(os.environ.get("VERIFICATION_RETENTION_DAYS", 30))
# The shortest speech recording accepted (seconds).
UPLOAD_AUDIO_MIN_SECONDS = float(os.environ.get("UPLOAD_AUDIO_MIN_SECONDS", 1.0))
# Requests larger than the biggest allowed file are refused before they are read in full.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
# Large uploads spool to files with no name on disk, so a killed worker leaves none behind.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "config.upload_handlers.AnonymousFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# ---------------------------------------------------------------- examining untrusted media
# Every uploaded file (verification copies, portraits, recordings) is examined in a child
# process with these hard limits (see config/examination.py); past them the upload is refused
# with a 4xx ("took too long to examine", "too complex"). CPU counts the child's start-up
# (~1.2 s with torch for verification); memory is the child's private data (RLIMIT_DATA).
EXAMINE_CPU_SECONDS = float(os.environ.get("EXAMINE_CPU_SECONDS", 8))
EXAMINE_MEMORY_BYTES = int(os.environ.get("EXAMINE_MEMORY_BYTES", 768 * 1024 * 1024))
EXAMINE_WALL_SECONDS = float(os.environ.get("EXAMINE_WALL_SECONDS", 20))

# ---------------------------------------------------------------- e-mail
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Likeness <no-reply@likeness.invalid>")
if os.environ.get("EMAIL_URL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_URL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", True)
else:
    # Embedded default: each message is written to a file under var/mail/.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# ---------------------------------------------------------------- consent
CONSENT_CONFIRM_LINK_MAX_AGE = timedelta(days=int(os.environ.get("CONSENT_CONFIRM_DAYS", 14)))
CONSENT_MAX_DURATION = timedelta(days=int(os.environ.get("CONSENT_MAX_DAYS", 5 * 366)))

# ---------------------------------------------------------------- clients and rate limits
# How many reverse proxies of ours stand in front of the app. 0: X-Forwarded-For is the
# client's own claim and is ignored; N: the N-th address from its right is the client.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))
# One budget per client and action, shared by the page form and the API ("N/sec|min|hour|day").
RATE_LIMITS = {
    "consent_link": os.environ.get("THROTTLE_CONSENT_LINK", "30/min"),
    "verify": os.environ.get("THROTTLE_VERIFY", f"{VERIFY_RATE_PER_MINUTE}/min"),
    "report": os.environ.get("THROTTLE_REPORT", "10/hour"),
}
# Where the counts live; every web worker must see the same ones. "database": a counter table
# updated atomically (the embedded default). "cache": Django's cache, i.e. Redis when
# CACHE_URL/REDIS_URL is set (atomic INCR), which then becomes the default.
_CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL", "")
if _CACHE_URL:
    if not _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL/REDIS_URL must be a redis:// URL")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
            "KEY_PREFIX": "likeness",
        }
    }
RATE_LIMIT_STORE = os.environ.get("RATE_LIMIT_STORE", "cache" if _CACHE_URL else "database")
if RATE_LIMIT_STORE not in {"cache", "database"}:
    raise ImproperlyConfigured("RATE_LIMIT_STORE must be 'cache' or 'database'")
if RATE_LIMIT_STORE == "cache" and not _CACHE_URL:
    # Django's default cache lives in each process: N workers would give N budgets.
    raise ImproperlyConfigured("RATE_LIMIT_STORE=cache needs CACHE_URL or REDIS_URL")

# ---------------------------------------------------------------- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    # Throttled API views use config.rate_limits.ClientRateThrottle, which reads RATE_LIMITS.
    "DEFAULT_THROTTLE_RATES": RATE_LIMITS,
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PAGINATION_CLASS": "config.pagination.BoundedLimitOffsetPagination",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Likeness API",
    "DESCRIPTION": "Consent-first talking portraits with provable provenance.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a clip's status wherever it appears (clips, and a verification's clip).
    "ENUM_NAME_OVERRIDES": {"ClipStatusEnum": "jobs.models.Clip.Status"},
}

# ---------------------------------------------------------------- Celery
# Embedded default: a broker kept in folders under var/ (kombu's filesystem transport), so a
# real worker process runs with no server installed. Production sets CELERY_BROKER_URL.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(os.environ.get("CELERY_BROKER_DIR", VAR_DIR / "broker"))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 6 * 3600))
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_DEFAULT_QUEUE", "default")
CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Animation jobs run for minutes on GPU workers: acknowledge only when done, put the job back
# if its worker dies, take one job at a time, and keep the broker from redelivering a job that
# is still running (visibility timeout above the hard time limit).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("JOB_SOFT_TIME_LIMIT", 3600))
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 600
CELERY_TASK_ROUTES = {"jobs.animate": {"queue": "gpu"}}
CELERY_BEAT_SCHEDULE = {
    "consent-expire-due": {"task": "consent.tasks.consent_expire_due", "schedule": 60.0},
    "verification-purge-expired": {"task": "verification.purge_expired", "schedule": 3600.0},
    "audit-checkpoint": {
        "task": "audit.checkpoint",
        "schedule": float(os.environ.get("AUDIT_CHECKPOINT_SECONDS", 3600)),
    },
    "jobs-requeue-stalled": {
        "task": "jobs.requeue_stalled",
        "schedule": float(os.environ.get("JOBS_SWEEP_SECONDS", 60)),
    },
    "jobs-purge-withdrawn-clips": {"task": "jobs.purge_withdrawn_clips", "schedule": 3600.0},
}

# ---------------------------------------------------------------- jobs and provenance
JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "gpu")
# A clip whose consent was withdrawn or that was taken down is served to no one; its files are
# kept privately for audit this many days, then deleted (the record and its audit trail stay).
CLIPS_WITHDRAWN_RETENTION_DAYS = int(os.environ.get("CLIPS_WITHDRAWN_RETENTION_DAYS", 90))
# A running job's worker stamps it every JOBS_HEARTBEAT_SECONDS; a job unstamped for
# JOBS_STALE_AFTER_SECONDS is put back on the queue (its worker died).
JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", 5))
JOBS_STALE_AFTER_SECONDS = float(os.environ.get("JOBS_STALE_AFTER_SECONDS", 90))
# Jobs queued or running at once, per member and per organisation; more are refused (429).
JOBS_MAX_ACTIVE_PER_MEMBER = int(os.environ.get("JOBS_MAX_ACTIVE_PER_MEMBER", 3))
JOBS_MAX_ACTIVE_PER_ORGANISATION = int(os.environ.get("JOBS_MAX_ACTIVE_PER_ORGANISATION", 10))
# "cuda", "cpu" or empty: the worker picks CUDA when present, else the CPU.
ANIMATION_DEVICE = os.environ.get("ANIMATION_DEVICE", "")
# A worker process that animates loads its models when it starts (so its first job starts as
# fast as the next); a worker that only serves the default queue sets this to 0.
ANIMATION_WARM_UP = os.environ.get("ANIMATION_WARM_UP", "1") == "1"
# Signing credentials. Empty paths: a local root CA and signing certificate are created under
# var/keys/ on first use (embedded default). Production points these at a managed chain/key.
PROVENANCE_KEYS_DIR = Path(os.environ.get("PROVENANCE_KEYS_DIR", VAR_DIR / "keys"))
PROVENANCE_SIGNING_CHAIN = os.environ.get("PROVENANCE_SIGNING_CHAIN", "")
PROVENANCE_SIGNING_KEY = os.environ.get("PROVENANCE_SIGNING_KEY", "")
PROVENANCE_TRUST_ROOT = os.environ.get("PROVENANCE_TRUST_ROOT", "")
PROVENANCE_TRUST_BUNDLE = os.environ.get("PROVENANCE_TRUST_BUNDLE", "")
# RFC 3161 timestamp authority for every signature (empty: none). Timestamped credentials
# stay verifiable after the signing certificate expires.
PROVENANCE_TSA_URL = os.environ.get("PROVENANCE_TSA_URL", "") or None
# The operator's reversed Internet domain: manifests' soft-binding algorithm is
# "<domain>.ssw.v3". The default "com.likeness" is a placeholder and NOT registered on the
# C2PA soft-binding algorithm list (docs/soft-binding.md says what registering takes).
PROVENANCE_SOFT_BINDING_ALG_DOMAIN = os.environ.get(
    "PROVENANCE_SOFT_BINDING_ALG_DOMAIN", "com.likeness"
)
# The watermark key: who knows it can read (and forge) our watermark, so production sets it.
WATERMARK_KEY = os.environ.get("WATERMARK_KEY", "")
if not WATERMARK_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("WATERMARK_KEY must be set when DJANGO_ENV=production")
    WATERMARK_KEY = "likeness-development-watermark-key"
GENERATOR_NAME = "Likeness"

# ---------------------------------------------------------------- security
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31_536_000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# ---------------------------------------------------------------- logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
