"""NPP settings: one module, read from the environment, with embedded defaults.

With no environment at all the project runs on a fresh machine: SQLite in `var/`,
Celery on kombu's filesystem transport in `var/broker/`, console email. Production
sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, DEBUG=0 and NPP_HTTPS=1.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------

VAR_DIR = Path(env_str("NPP_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
else:
    # No default: a production process without a real key must not start.
    SECRET_KEY = env_str("SECRET_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("NPP_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    # Before allauth: its sign-in and account templates are overridden in portals/.
    "portals",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "npp.accounts",
    "orders",
    "billing",
    "documents",
    "notifications",
    "webhooks",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

# What follows a committed case event, in this order (orders.handlers): each is called
# with the CaseEvent after its transaction commits; one that fails is logged and the
# others still run. Every consumer also sweeps for events it never saw.
NPP_CASE_EVENT_HANDLERS = [
    "billing.handlers.invoice_on_delivery",  # the tax invoice, before its paper is asked for
    "documents.generation.requests.render_on_entry",  # the papers a state needs
    "documents.generation.adverse_event_report.prepare_on_report",  # CIOMS I to the supplier
    "notifications.tasks.notify_on_event",  # who is told, by inbox, email and text
    "webhooks.handlers.deliver_on_event",  # subscribers' signed webhooks
]
# What follows a committed change to a case's documents (stored, reviewed, signed):
# each is called with the case's id (documents.services.papers_changed).
NPP_DOCUMENT_CHANGE_HANDLERS = [
    "documents.generation.requests.refresh_on_document_change",  # papers that list them
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the browser's or the switcher's cookie, then (below, once the
    # user is known) the signed-in user's own choice.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "npp.middleware.UserLanguageMiddleware",
    "npp.middleware.SessionLifetimeMiddleware",
    "npp.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: a page's part, not the page
    "allauth.account.middleware.AccountMiddleware",
    "npp.accounts.middleware.CoordinatorSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "npp.urls"
WSGI_APPLICATION = "npp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_count",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'npp.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# A database that stops answering must not hold every request with it: connecting
# gives up after NPP_DB_CONNECT_TIMEOUT, a statement after NPP_DB_STATEMENT_TIMEOUT
# (workers: NPP_DB_WORKER_STATEMENT_TIMEOUT, set by npp.celery), and the page says
# the service is unavailable (npp.errors). 0 means no limit.
NPP_DB_CONNECT_TIMEOUT = env_int("NPP_DB_CONNECT_TIMEOUT", 5)
NPP_DB_STATEMENT_TIMEOUT = env_int("NPP_DB_STATEMENT_TIMEOUT", 30)
# A task may run as long as its soft time limit, and so may one of its statements.
NPP_DB_WORKER_STATEMENT_TIMEOUT = env_int(
    "NPP_DB_WORKER_STATEMENT_TIMEOUT", env_int("NPP_TASK_SOFT_TIME_LIMIT", 120)
)


def postgres_statement_timeout(seconds: int) -> str:
    """libpq's `options`, applied by the server to every statement of the session."""
    return f"-c statement_timeout={seconds * 1000}"


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server and the worker read while one writes; IMMEDIATE takes
        # the write lock at BEGIN, so two writers queue instead of failing mid-transaction,
        # for at most the busy timeout (then "database is locked", a 503 page).
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("NPP_SQLITE_BUSY_TIMEOUT", 20),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    if NPP_DB_CONNECT_TIMEOUT:
        _options["connect_timeout"] = NPP_DB_CONNECT_TIMEOUT
    if NPP_DB_STATEMENT_TIMEOUT:
        _options["options"] = postgres_statement_timeout(NPP_DB_STATEMENT_TIMEOUT)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The sign-in rate limits and used one-time codes live in the default cache, which
# every web process must share, or each process counts failures and remembers used
# codes on its own: the database (table npp_cache, created by `migrate`) unless
# NPP_CACHE_URL says Redis. locmem:// is per process: refused with DEBUG=0 (npp.checks).
CACHE_TABLE = "npp_cache"


def cache_from_url(url: str) -> dict:
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url == "db://":
        # Culling deletes the oldest third when full: high enough that no one can
        # push a sign-in counter out by filling the table with other keys.
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    if url == "locmem://":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(
        f"NPP_CACHE_URL must be redis://host:port/db, db:// or locmem://, not {url!r}."
    )


NPP_CACHE_URL = env_str("NPP_CACHE_URL", "db://")
CACHES = {"default": cache_from_url(NPP_CACHE_URL)}

# --- Accounts and security --------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "orders:home"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Sign-in (django-allauth): email and password, no self-service sign-up (accounts
# are opened by the service or by a physician inviting their patient), reset by email.
ACCOUNT_ADAPTER = "npp.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
# Choosing a password from an invitation (or a reset link) signs the person in and
# takes them home (a patient to their order), not to a dead end; a coordinator still
# passes the second factor first.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[NPP] "
# Failed sign-ins are counted per address and per (email, address): an attacker on a
# shared hospital network slows only their own guesses at one account from there and
# cannot lock its owner out elsewhere; every limit cools off by itself.
# The per-account limit also holds for typing one's password again to sign
# (npp.accounts.reentry), counted per account there.
NPP_LOGIN_FAILURES_PER_USER = env_int("NPP_LOGIN_FAILURES_PER_USER", 5)
NPP_LOGIN_COOL_OFF_MINUTES = env_int("NPP_LOGIN_COOL_OFF_MINUTES", 15)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{env_int('NPP_LOGIN_FAILURES_PER_ADDRESS', 30)}/m/ip,"
        f"{NPP_LOGIN_FAILURES_PER_USER}/{NPP_LOGIN_COOL_OFF_MINUTES}m/key"
    ),
}
# Who hears at once of something done to an account (re-entry locked after too many
# wrong passwords): called with an npp.accounts.reentry.AccountAlert.
NPP_ACCOUNT_ALERT_HANDLERS = ["notifications.alerts.account_alert"]
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "NPP"
# Accept the code of the 30-second step before or after too (RFC 6238 allows for clock
# drift); allauth refuses a code used once already.
MFA_TOTP_TOLERANCE = env_int("NPP_TOTP_TOLERANCE", 1)
MFA_PASSKEY_LOGIN_ENABLED = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle timeout and absolute lifetime are enforced by npp.middleware.SessionLifetimeMiddleware.
SESSION_IDLE_TIMEOUT = env_int("NPP_SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_LIFETIME = env_int("NPP_SESSION_MAX_HOURS", 12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A form refused for its CSRF token gets the site's page, in the visitor's language,
# saying to reload the page (Django's own is English and technical).
CSRF_FAILURE_VIEW = "npp.errors.csrf_failure"

HTTPS = env_bool("NPP_HTTPS", not DEBUG)
if HTTPS:
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure,
    # host-only and Path=/, so a sibling subdomain cannot plant or read it.
    SESSION_COOKIE_NAME = "__Host-npp-session"
    CSRF_COOKIE_NAME = "__Host-npp-csrf"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("NPP_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("NPP_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if env_bool("NPP_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Static and private files ----------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at every start when it is missing
# Uploaded and generated documents: never under STATIC/MEDIA URLs, served only by
# the authorised download view.
PRIVATE_STORAGE_ROOT = Path(env_str("NPP_PRIVATE_STORAGE", str(VAR_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(PRIVATE_STORAGE_ROOT),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# --- Electronic signatures ---------------------------------------------------

# Signatures are sealed (documents.seals) with keys of their own, so that a restore
# under another SECRET_KEY still verifies them. NPP_SIGNING_KEYS="2026a=<secret>,
# 2024b=<secret>": ids with secrets of 32+ characters (no commas). New signatures use
# NPP_SIGNING_KEY_ID (default: the first listed); every listed key keeps verifying
# what it sealed, so rotating means adding a key in front and keeping the old ones.
# "legacy" is the key every signature had before: derived from SECRET_KEY unless
# listed (list legacy=<the old SECRET_KEY> after changing it).
LEGACY_SIGNING_KEY_ID = "legacy"


def env_keys(name: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    for item in env_list(name, []):
        key_id, _, secret = item.partition("=")
        key_id = key_id.strip()
        if not key_id or not secret or len(key_id) > 32 or not key_id.replace("-", "").isalnum():
            raise ImproperlyConfigured(
                f"{name} must read id=secret,id=secret (ids of letters, digits and '-'), "
                f"not {key_id!r}=..."
            )
        keys[key_id] = secret
    return keys


_signing_keys = env_keys("NPP_SIGNING_KEYS")
NPP_SIGNING_KEY_ID = env_str("NPP_SIGNING_KEY_ID", next(iter(_signing_keys), LEGACY_SIGNING_KEY_ID))
NPP_SIGNING_KEYS = {LEGACY_SIGNING_KEY_ID: SECRET_KEY, **_signing_keys}
if NPP_SIGNING_KEY_ID not in NPP_SIGNING_KEYS:
    raise ImproperlyConfigured(
        f"NPP_SIGNING_KEY_ID {NPP_SIGNING_KEY_ID!r} is not in NPP_SIGNING_KEYS."
    )

# --- Uploads ------------------------------------------------------------------

NPP_UPLOAD_MAX_BYTES = env_int("NPP_UPLOAD_MAX_MB", 10) * 1024 * 1024
NPP_UPLOAD_MAX_PIXELS = env_int("NPP_UPLOAD_MAX_MEGAPIXELS", 40) * 1_000_000
# Uploads stay in memory and are cut off at the limit while they stream, so a
# refused file never reaches the disk, not even as a temporary file.
FILE_UPLOAD_HANDLERS = ["documents.uploads.LimitedMemoryUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = NPP_UPLOAD_MAX_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Email ------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "NPP <no-reply@npp.example>")

# --- Celery -----------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (worker control) messages: otherwise a "control" folder in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# No lost work: a task is acknowledged only after it ran; a worker that dies mid-task
# leaves it on the broker to be delivered again. Tasks are idempotent for that reason.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection before and after every task
# unless told to reuse it; a new PostgreSQL connection costs more than most of our
# tasks (notifications: 16 ms a task instead of 7). Reconnect every 100 tasks.
CELERY_DB_REUSE_MAX = 100
CELERY_TASK_SOFT_TIME_LIMIT = env_int("NPP_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("NPP_TASK_TIME_LIMIT", 150)
# A prefork child is replaced, after the task it is running, once it ran this many tasks
# or its resident memory passed this many MiB (0: no bound). Whatever a C library keeps
# per task (Pango, fontconfig and HarfBuzz under WeasyPrint), a worker's memory stays
# bounded: a PDF worker settles near 170 MiB (bench/README.md, bench_pdf_memory.py).
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("NPP_WORKER_MAX_TASKS_PER_CHILD", 1000) or None
CELERY_WORKER_MAX_MEMORY_PER_CHILD = (
    env_int("NPP_WORKER_MAX_MEMORY_PER_CHILD_MIB", 512) * 1024 or None  # Celery counts KiB
)
# Longest delay between retries (seconds); tasks use retry_backoff_max with it.
NPP_TASK_RETRY_BACKOFF_MAX = env_int("NPP_TASK_RETRY_BACKOFF_MAX", 600)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis redelivers an unacknowledged task after visibility_timeout; it must exceed
    # the longest run plus the longest retry wait, or a slow task runs twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("NPP_REDIS_VISIBILITY_TIMEOUT", 3600),
    }
    # Every key Celery keeps in Redis (queues, unacknowledged tasks and their redelivery
    # index) starts with this, so two installs, or two test processes, can share one
    # database without taking or redelivering each other's tasks.
    if NPP_REDIS_KEY_PREFIX := env_str("NPP_REDIS_KEY_PREFIX", ""):
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = NPP_REDIS_KEY_PREFIX
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Generated PDFs: an optional dedicated queue (the render sweep goes there too), and
# how often beat re-enqueues renders that never left or whose worker died.
NPP_RENDER_QUEUE = env_str("NPP_RENDER_QUEUE", "")  # empty: the default queue
NPP_RENDER_SWEEP_SECONDS = env_int("NPP_RENDER_SWEEP_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "close-delivered-cases": {
        "task": "orders.tasks.close_delivered_cases",
        "schedule": env_int("NPP_AUTO_CLOSE_SWEEP_SECONDS", 3600),
    },
    "billing-invoice-sweep": {
        "task": "billing.tasks.invoice_sweep",
        "schedule": env_int("NPP_AUTO_CLOSE_SWEEP_SECONDS", 3600),
    },
    "notifications-sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": env_int("NPP_NOTIFICATION_SWEEP_SECONDS", 300),
    },
    "notifications-reminders": {
        "task": "notifications.tasks.send_reminders",
        "schedule": env_int("NPP_REMINDER_SECONDS", 3600),
    },
    "webhooks-sweep": {
        "task": "webhooks.tasks.sweep",
        "schedule": env_int("NPP_WEBHOOK_SWEEP_SECONDS", 60),
    },
    "documents-sweep-adverse-event-reports": {
        "task": "documents.tasks.sweep_adverse_event_reports",
        "schedule": NPP_RENDER_SWEEP_SECONDS,
        "options": {"queue": NPP_RENDER_QUEUE} if NPP_RENDER_QUEUE else {},
    },
    "documents-requeue-stale-renders": {
        "task": "documents.tasks.requeue_stale_render_jobs",
        "schedule": NPP_RENDER_SWEEP_SECONDS,
        "options": {"queue": NPP_RENDER_QUEUE} if NPP_RENDER_QUEUE else {},
    },
}

# --- Domain -----------------------------------------------------------------

NPP_SYSTEM_USER_EMAIL = "system@npp.invalid"

# Who the service is, as printed on generated documents and patient sheets.
NPP_SERVICE_NAME = env_str("NPP_SERVICE_NAME", "NPP Named-Patient Import Service")
NPP_SERVICE_PHONE = env_str("NPP_SERVICE_PHONE", "+91 80 4718 2200")
NPP_SERVICE_EMAIL = env_str("NPP_SERVICE_EMAIL", "care@npp.example")
# The service as a supplier of taxable services on its invoices when no importer record
# (orders.Importer, edited in the admin) is active: GSTIN, address and state.
NPP_SERVICE_GSTIN = env_str("NPP_SERVICE_GSTIN", "29AABCN1234F1ZS")
NPP_SERVICE_ADDRESS = env_str(
    "NPP_SERVICE_ADDRESS", "4th Floor, 80 Feet Road, Koramangala, Bengaluru 560034"
)
NPP_SERVICE_STATE = env_str("NPP_SERVICE_STATE", "Karnataka")
# A quotation is valid this many days; an accepted one is due this many days later.
NPP_QUOTATION_VALID_DAYS = env_int("NPP_QUOTATION_VALID_DAYS", 30)
NPP_PAYMENT_DUE_DAYS = env_int("NPP_PAYMENT_DUE_DAYS", 7)
# Generated PDFs, time bounds innermost first (documents.checks refuses another
# order): one render's deadline < the task's soft limit < its hard limit < the lease a
# worker holds on the job. A lease that runs out means the worker died, so another
# takes the job over; it must outlast the hard limit or a slow, live render runs twice.
NPP_RENDER_TIMEOUT = env_int("NPP_RENDER_TIMEOUT", 45)
NPP_RENDER_SOFT_TIME_LIMIT = env_int("NPP_RENDER_SOFT_TIME_LIMIT", 60)
NPP_RENDER_TIME_LIMIT = env_int("NPP_RENDER_TIME_LIMIT", 90)
NPP_RENDER_LEASE_SECONDS = env_int("NPP_RENDER_LEASE_SECONDS", 120)
# A job still pending this long was never delivered (broker down at commit, message
# lost) and the next sweep enqueues it again: by default one sweep interval, so such
# a render is recovered within two intervals of its request.
NPP_RENDER_STALE_SECONDS = env_int("NPP_RENDER_STALE_SECONDS", NPP_RENDER_SWEEP_SECONDS)

# Notifications (notifications/): delivery, the sweep, and the reminders' clocks.
NPP_NOTIFICATION_QUEUE = env_str("NPP_NOTIFICATION_QUEUE", "")  # empty: the default queue
NPP_NOTIFICATION_LEASE_SECONDS = env_int("NPP_NOTIFICATION_LEASE_SECONDS", 300)
NPP_NOTIFICATION_MAX_ATTEMPTS = env_int("NPP_NOTIFICATION_MAX_ATTEMPTS", 8)
NPP_NOTIFICATION_SWEEP_GRACE_SECONDS = env_int("NPP_NOTIFICATION_SWEEP_GRACE_SECONDS", 60)
NPP_NOTIFICATION_SWEEP_WINDOW_HOURS = env_int("NPP_NOTIFICATION_SWEEP_WINDOW_HOURS", 24)
# New cases nobody has taken yet: one email to the coordinators' shared address or
# rota (empty: NPP_SERVICE_EMAIL); each coordinator still gets an inbox message.
NPP_COORDINATORS_EMAIL = env_str("NPP_COORDINATORS_EMAIL", "")
NPP_TEXT_MESSAGE_BACKEND = env_str(
    "NPP_TEXT_MESSAGE_BACKEND", "notifications.channels.LoggingTextMessageBackend"
)
NPP_URGENT_EXPECTED_PERCENT = env_int("NPP_URGENT_EXPECTED_PERCENT", 50)
NPP_ESCALATION_PERCENT = env_int("NPP_ESCALATION_PERCENT", 200)
NPP_INFORMATION_REMINDER_DAYS = env_int("NPP_INFORMATION_REMINDER_DAYS", 3)
NPP_PERMIT_EXPIRY_REMINDER_DAYS = [
    int(days) for days in env_list("NPP_PERMIT_EXPIRY_REMINDER_DAYS", ["30", "7"])
]
NPP_RESUPPLY_MARGIN_DAYS = env_int("NPP_RESUPPLY_MARGIN_DAYS", 14)
NPP_MONITORING_LEAD_DAYS = env_int("NPP_MONITORING_LEAD_DAYS", 2)

# --- The REST API (api/) and webhooks (webhooks/) ------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        # The browser, signed in: DRF's session authentication enforces CSRF.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerToken", "api.throttling.PerUser"],
    # Throttles count in the default cache: shared by every web process with Redis.
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("NPP_API_RATE_PER_TOKEN", "600/min"),
        "user": env_str("NPP_API_RATE_PER_USER", "1200/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NPP API",
    "DESCRIPTION": "Named-patient import cases, their documents, transitions and events. "
    "Authenticate with a personal access token (`Authorization: Bearer npp_...`).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "orders.states.CaseStatus",
        "DocumentKindEnum": "orders.papers.DocumentKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.problem_details",
        "api.schema.add_links",
    ],
}
# Longest life of a personal access token, in days.
NPP_API_TOKEN_MAX_DAYS = env_int("NPP_API_TOKEN_MAX_DAYS", 365)
# An Idempotency-Key is remembered this long; a request still running under a key
# for longer than the lease is taken to have died, and the key may be used again.
NPP_IDEMPOTENCY_HOURS = env_int("NPP_IDEMPOTENCY_HOURS", 24)
NPP_IDEMPOTENCY_LEASE_SECONDS = env_int("NPP_IDEMPOTENCY_LEASE_SECONDS", 300)

# Webhooks: each delivery is tried NPP_WEBHOOK_MAX_ATTEMPTS times with backoff; a
# subscription whose deliveries fail NPP_WEBHOOK_DISABLE_AFTER times in a row is
# disabled and its owner emailed. Destinations on private, loopback, link-local or
# other non-public addresses are refused unless NPP_WEBHOOK_ALLOW_PRIVATE (tests).
NPP_WEBHOOK_MAX_ATTEMPTS = env_int("NPP_WEBHOOK_MAX_ATTEMPTS", 8)
NPP_WEBHOOK_DISABLE_AFTER = env_int("NPP_WEBHOOK_DISABLE_AFTER", 20)
NPP_WEBHOOK_TIMEOUT_SECONDS = env_int("NPP_WEBHOOK_TIMEOUT_SECONDS", 10)
NPP_WEBHOOK_BACKOFF_SECONDS = env_int("NPP_WEBHOOK_BACKOFF_SECONDS", 30)
NPP_WEBHOOK_ALLOW_PRIVATE = env_bool("NPP_WEBHOOK_ALLOW_PRIVATE", False)
NPP_WEBHOOK_LEASE_SECONDS = env_int("NPP_WEBHOOK_LEASE_SECONDS", 120)
NPP_WEBHOOK_SWEEP_GRACE_SECONDS = env_int("NPP_WEBHOOK_SWEEP_GRACE_SECONDS", 60)
NPP_WEBHOOK_SWEEP_WINDOW_HOURS = env_int("NPP_WEBHOOK_SWEEP_WINDOW_HOURS", 24)
NPP_WEBHOOK_QUEUE = env_str("NPP_WEBHOOK_QUEUE", "")  # empty: the default queue

# --- Internationalisation and logging ----------------------------------------

LANGUAGE_CODE = "en"
# Everything a patient sees, receives or downloads exists in each of these; staff pages
# are marked for translation and fall back to English. Adding one: README "Languages".
LANGUAGES = [("en", "English"), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "npp" / "locale"]
# Indian conventions in every language: 3 December 2026, dd/mm/yyyy in date inputs.
FORMAT_MODULE_PATH = ["npp.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "refusals": {"()": "npp.logs.RefusalFilter"},
        "template_context": {"()": "npp.logs.TemplateContextFilter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # 403 and 404: one line with the route and the user, no traceback.
        "django.request": {"filters": ["refusals"]},
        # WeasyPrint logs every render step and pikepdf its start-up at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
        # Each variable a template could not resolve, without the page's context.
        "django.template": {"filters": ["template_context"]},
    },
}
