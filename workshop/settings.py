"""Settings, read from the environment (django-environ) in this one module.

Embedded defaults need no services: SQLite, Celery tasks run eagerly in-process, local-memory
cache, mail printed to the console. Set DATABASE_URL, REDIS_URL and EMAIL_URL for a real
deployment; README.md lists every variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

INSECURE_DEFAULT_SECRET_KEY = "insecure-development-key-do-not-use-in-production"

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
# Former keys, comma-separated, while a new key rolls out: sessions, password-reset links
# and archive signatures made with them stay valid.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off but DJANGO_SECRET_KEY is not set: refusing to start with the "
        "public development key. Set DJANGO_SECRET_KEY to a long random string, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "workshop",
    "submissions",
    "reviews",
    "programme",
    "transfer",
    "api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "workshop.security.SecurityHeadersMiddleware",
    # Outside sessions and views: SQLite's "database is locked" answers 503, never 500.
    "workshop.busy.DatabaseBusyMiddleware",
    # A NUL in a query string answers 400 (PostgreSQL refuses it: the searches answered 500).
    "workshop.nul.NulQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "workshop.security.LoginLockoutMiddleware",
    # The site's own 404 page even with DEBUG on (Django's technical one lists every URL).
    "workshop.security.SiteNotFoundMiddleware",
]

ROOT_URLCONF = "workshop.urls"
WSGI_APPLICATION = "workshop.wsgi.application"

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
                "workshop.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default under overlapping writes (autosaves): readers never wait for the
    # writer (WAL), a writer waits its turn (busy timeout) instead of failing with "database
    # is locked", and a transaction takes the write lock at BEGIN (IMMEDIATE), so that it is
    # never refused half-way when it turns from reading to writing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache; unset means eager tasks and a local-memory cache ---------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Degrades to a miss while Redis is unreachable (sessions fall back to the database).
            "BACKEND": "workshop.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# A broker that is down must not hang the request that enqueues: the outbox sweep catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues by kind, so a burst of one kind never delays another: a receipt never waits behind
# a thousand deep checks. Run a worker per queue (docker-compose.yml) or one worker on all
# (`make worker`, the tests): `celery -A workshop worker -Q mail,checks,matching,transfer,celery`.
# Imports, exports and restores (long: a 50,000-line committee list) have a queue of their
# own, so they never hold up mail or checks.
CELERY_TASK_DEFAULT_QUEUE = "celery"  # the rest: proceedings bundles
CELERY_TASK_ROUTES = {
    "workshop.tasks.outbox_*": {"queue": "mail"},
    "workshop.tasks.digests_send": {"queue": "mail"},
    "reviews.tasks.reminders_tick": {"queue": "mail"},
    "submissions.tasks.submission_file_check_task": {"queue": "checks"},
    "submissions.tasks.pending_checks_sweep": {"queue": "checks"},
    "reviews.tasks.review_copy_make_task": {"queue": "checks"},
    "reviews.tasks.matching_run_task": {"queue": "matching"},
    "reviews.tasks.text_embeddings_task": {"queue": "matching"},
    "reviews.tasks.embeddings_sweep_task": {"queue": "matching"},
    "transfer.tasks.*": {"queue": "transfer"},
}
CELERY_QUEUE_NAMES = ("mail", "checks", "matching", "transfer", "celery")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Every 15 s: a whole mail worker killed puts nothing back on the queue; the sweep
    # takes its rows back once their lease ran out.
    "outbox-sweep": {"task": "workshop.tasks.outbox_sweep", "schedule": 15.0},
    "reminders": {"task": "reviews.tasks.reminders_tick", "schedule": 15 * 60.0},
    "daily-digest": {
        "task": "workshop.tasks.digests_send",
        "schedule": crontab(hour=7, minute=0),
    },
    "pending-checks-sweep": {
        "task": "submissions.tasks.pending_checks_sweep",
        "schedule": 60.0,
    },
    "presenter-reminders": {
        "task": "programme.tasks.presenter_reminders_tick",
        "schedule": 15 * 60.0,
    },
    "transfer-jobs-sweep": {"task": "transfer.tasks.transfer_jobs_sweep", "schedule": 60.0},
    # Vectors still missing for the configured embedding model (all after a model change).
    "embeddings-sweep": {"task": "reviews.tasks.embeddings_sweep_task", "schedule": 5 * 60.0},
}
# Called (dotted paths, in order) at the end of `seed_demo`, so apps above `reviews` add
# their part of the demo without the command importing them.
DEMO_SEEDERS = ["programme.demo.seed_programme", "submissions.demo_tracks.seed_tracks"]

# --- Mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Workshop <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
# The lease on a message being sent: a sending worker renews it every third of this; a dead
# worker's messages come back this long after its last renewal.
OUTBOX_CLAIM_SECONDS = env.int("OUTBOX_CLAIM_SECONDS", default=15)
# Import and export (transfer): the largest upload, and what an uploaded zip may unpack to.
TRANSFER_MAX_UPLOAD_MB = env.int("TRANSFER_MAX_UPLOAD_MB", default=200)
TRANSFER_MAX_UNPACKED_MB = env.int("TRANSFER_MAX_UNPACKED_MB", default=2048)

# --- Files ----------------------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Downloads: on, the object store serves the bytes (a redirect to a signed URL that lasts this
# many seconds); off, the web process streams them. Only storages that sign URLs (S3) redirect.
FILES_SIGNED_URLS = env.bool("FILES_SIGNED_URLS", default=False)
FILES_SIGNED_URL_SECONDS = env.int("FILES_SIGNED_URL_SECONDS", default=300)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Accounts (django-allauth) --------------------------------------------------------------
AUTH_USER_MODEL = "workshop.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "workshop.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "workshop.forms.SignupExtraForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_MAX_EMAIL_ADDRESSES = 5
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# allauth's own defaults, spelled out so that nobody switches them off unknowingly.
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    # Per address, high enough for a conference's shared network; the lockout below is
    # per (account, address): the adapter puts the client address into the key.
    "login": "60/m/ip",
    "login_failed": "10/5m/key",
    "confirm_email": "1/3m/key",
}

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Strict CSP (django-csp 4): no inline script, no inline style, no eval; everything from us.
# Pico's icons are data: SVGs in CSS; KaTeX's fonts are vendored; PDFs open in <object>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'self'"],
        "frame-src": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # 'self': the reviewers' PDF viewer frames our own PDF view (<object>); no other site
        # may frame us (X-Frame-Options stays DENY for browsers without CSP).
        "frame-ancestors": ["'self'"],
    },
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Cookies only over https. False only where the site is served over plain http: the
    # demo of `make run`, which runs with DEBUG off for the site's own error pages.
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is an opt-in, hard-to-undo commitment for the whole domain (W021).
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

FORMS_URLFIELD_ASSUME_HTTPS = True

# --- REST API (issue 11): /api/v1/, bearer tokens or the browser session (with CSRF) ---------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScopeAllows",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.ApiRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per token (per user for browser sessions, per address for the anonymous).
API_RATE_LIMITS = {
    "token": env.str("API_RATE_LIMIT_TOKEN", default="600/min"),
    "session": env.str("API_RATE_LIMIT_SESSION", default="600/min"),
    "anon": "60/min",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Workshop paper submission and review API",
    "DESCRIPTION": "Every endpoint asks the same named permissions and calls the same "
    "actions as the browser. Authenticate with `Authorization: Bearer wsk_…` "
    '(tokens: /accounts/tokens/). Errors: `{"error": {"code", "message", "fields"}}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's refusals in the error shape (400, 401, 403, 404, 429; 415 with a body).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "workshop.models.Role",
        "CommitteeRoleEnum": "api.serializers.COMMITTEE_ROLES",
        "AssignmentRoleEnum": "reviews.models.assignment.ASSIGNMENT_ROLES",
        "VoteKindEnum": "reviews.models.tags.VoteKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Eager (embedded) mode runs every task in-process: its per-task lines are noise.
        **(
            {}
            if REDIS_URL
            else {
                "celery.app.trace": {"level": "WARNING"},
                "kombu.connection": {"level": "ERROR"},
            }
        ),
    },
}

# Reviewer expertise (issue 16): a local sentence-embedding model the deployer installed
# (a sentence-transformers directory, an ONNX export + tokenizer.json, or
# "python:module:factory"); empty = off, nothing is ever downloaded. Co-authors of
# publications from the last N years are conflicts.
EXPERTISE_EMBEDDING_MODEL = env.str("EXPERTISE_EMBEDDING_MODEL", default="")
# Called (dotted paths) with a list of paper ids when their text changes (submitted, edited,
# restored, imported), so apps above `submissions` react without it importing them: the
# papers' embeddings.
SUBMISSION_TEXT_CHANGED = ["reviews.services.embeddings.papers_text_changed"]
EXPERTISE_COAUTHOR_YEARS = env.int("EXPERTISE_COAUTHOR_YEARS", default=3)
