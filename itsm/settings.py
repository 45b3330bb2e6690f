"""One settings module, driven by environment variables (see .env.example).

With no server variables set, the product runs on its embedded default: SQLite and a
filesystem Celery transport under var/. DEBUG is off unless DJANGO_DEBUG says otherwise:
`make run` sets DJANGO_DEBUG=1 (development: a fixed insecure key, console email, plain
static files); anything else that forgets it gets production behaviour and refuses to start
without SECRET_KEY, never debug pages by surprise. Production sets SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and CELERY_BROKER_URL.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ITSM_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)  # on only when asked for (make run, the tests)



def embedded_secret_key(var_dir: Path) -> str:
    """The embedded default's own key: made once, kept in var/ (readable by its owner only)
    and shared by web, worker and beat, which run on this one host."""
    path = var_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as file:
        file.write(key)
    return key


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        # Development only: a key that is not secret and never used in production.
        SECRET_KEY = "django-insecure-development-key-not-for-production"
    elif not os.environ.get("DATABASE_URL"):
        # The embedded default without DJANGO_DEBUG (manage.py by hand): DEBUG stays off, and
        # a key of its own keeps commands working without a secret in the repository.
        SECRET_KEY = embedded_secret_key(VAR_DIR)
    else:
        raise RuntimeError("SECRET_KEY must be set when DJANGO_DEBUG is off.")
# Rotation: put the old key here while the new one takes over, so sessions and signed links
# made with it stay valid; remove it once they have expired (docs/operations.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "django_htmx",
    "itsm",
    # Process apps, in dependency order (DESIGN.md §2).
    "config_items",
    "slas",
    "incidents",
    "problems",
    "changes",
    "audits",  # the audit trail: last, it listens to every app before it
]

MIDDLEWARE = [
    # First: it sees every answer, and turns an error under /api/ into the API's JSON shape.
    "itsm.api.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "itsm.middleware.QueryTextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the address, user agent and token of the request on audit trail entries.
    "audits.context.AuditContextMiddleware",
    "itsm.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of the authentication backends.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"
AUTH_USER_MODEL = "itsm.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "itsm.context_processors.shell",
            ],
        },
    },
]

# Forms render with the project's templates (templates/itsm/forms/), like every other page.
FORM_RENDERER = "itsm.renderers.FormRenderer"  # TemplatesSetting, with selects written in Python

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'itsm.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web, worker and beat processes read while one of them writes;
    # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if os.environ.get("ITSM_TEST_SQLITE_FILE"):
        # Tests that start a real worker process need a database file both can open.
        DATABASES["default"]["TEST"] = {"NAME": os.environ["ITSM_TEST_SQLITE_FILE"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (API throttling, counts kept for seconds) ---------------------------------------
# A convenience only: it fails open when Redis is down (itsm/cache.py). Sessions and the login
# lock-out live in the database, so a cache outage signs nobody out and locks nobody in.
CACHE_URL = os.environ.get("CACHE_URL", "")


def cache_settings(url: str) -> dict:
    if url.startswith("redis"):
        return {"default": {"BACKEND": "itsm.cache.FailOpenRedisCache", "LOCATION": url}}
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


CACHES = cache_settings(CACHE_URL)

# --- Authentication -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "itsm.backends.RoleAwareModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins are throttled per account and, separately, per address; the login page
# answers the same way whether or not the account exists.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "itsm.views.auth.lockout_response"
AXES_VERBOSE = False
# The proxies in front of gunicorn: the client's address is the PROXY_COUNT-th from the right of
# X-Forwarded-For (0: the header is ignored). One rule for axes, the API throttles and the
# access log: itsm/client_address.py.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0") or 0)
AXES_CLIENT_IP_CALLABLE = "itsm.client_address.client_address"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))  # outside the web root
# Attachments: downloaded only through views that check who may see the record.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    "txt,log,csv,json,xml,pdf,png,jpg,jpeg,gif,webp,doc,docx,xls,xlsx,ppt,pptx,odt,ods,zip,eml,msg",
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads stream to a temporary file

# --- Security -----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # A page that needs a library to inject <style> (the change calendar) hands it
        # `request.csp_nonce`; the nonce is sent only when a page used it (django-csp).
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Asking browsers to preload HSTS binds the whole registrable domain and every
        # subdomain for months; only the domain's owner can decide that, so it is opt-in and
        # `check --deploy` does not nag about it.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Request bodies beyond this size are refused (API: 413 with a message).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BYTES", str(2 * 1024 * 1024)))

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Where django.core.mail.backends.filebased.EmailBackend writes (one file per connection).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "itsm@localhost")
# The address people reach the product at, for links in emails (empty: links are paths).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------------------
# Embedded default: a filesystem transport under var/ (no server). Production: Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")


def filesystem_broker_options(var_dir: Path) -> dict:
    """Folders of the filesystem transport under `var_dir`/broker (created if missing)."""
    broker_dir = var_dir / "broker"
    for sub in ("queue", "processed", "control"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "processed_folder": str(broker_dir / "processed"),
        "control_folder": str(broker_dir / "control"),
        "store_processed": False,
        # Look for new task files ten times a second (the default, once a second, lets a burst
        # of notifications hold up the SLA sweep for minutes).
        "polling_interval": 0.1,
    }


# A publish that cannot connect fails at once (max_retries 0) instead of reconnecting until
# broker_connection_timeout: the outbox keeps the message for its sweep (itsm/outbox.py).
BROKER_FAIL_FAST = {"max_retries": 0, "socket_connect_timeout": 0.5}
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT = "itsm.broker:FilesystemTransport"  # kombu's, with atomic writes
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR)
else:
    # A task not acknowledged within this time is delivered again; nothing we run takes
    # nearly this long, and no task is scheduled with a long countdown (see DESIGN.md §5).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **BROKER_FAIL_FAST}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One queue unless an operator splits the work; tests give each run a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Nothing retries a publish while a request waits: a message that cannot be published stays in
# the outbox for the sweep, and beat publishes its periodic tasks again at the next tick.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 0.5  # seconds to connect to the broker (same network)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Runs the schedule only while it holds the scheduler lease: a second beat runs nothing.
CELERY_BEAT_SCHEDULER = "itsm.beat:GuardedScheduler"
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "itsm.tasks.sweep_outbox", "schedule": 15.0},
    "worker-heartbeat": {"task": "itsm.tasks.record_heartbeat", "schedule": 30.0},
    "purge-idempotency-keys": {"task": "itsm.tasks.purge_idempotency_keys", "schedule": 3600.0},
    "sla-sweep": {"task": "slas.tasks.sweep_timers", "schedule": 10.0},
    # Public holidays: a new calendar version when the year window moves (see docs/slas.md).
    "sla-republish-calendars": {"task": "slas.tasks.republish_calendars", "schedule": 86400.0},
    "incident-auto-close": {"task": "incidents.tasks.close_resolved_incidents", "schedule": 600.0},
    # Problems: recurring incidents proposed as candidate problems (docs/problems.md); hourly, so a
    # pattern shows the same working day, and a run costs seconds (bench/problem_trends.py).
    "problem-trends": {"task": "problems.tasks.detect_trends", "schedule": 3600.0},
    # Changes (docs/changes.md): conflicts of scheduled changes re-checked; CI changes in the CMDB
    # history that no change covered; overdue implementations and due reviews reminded.
    "change-conflicts": {"task": "changes.tasks.recheck_conflicts", "schedule": 900.0},
    "change-unauthorised": {"task": "changes.tasks.detect_unauthorised", "schedule": 300.0},
    "change-reminders": {"task": "changes.tasks.send_reminders", "schedule": 900.0},
    # The audit trail: seal new entries into the hash chain; anchor its head daily (docs/audits.md).
    "audit-seal": {"task": "audits.tasks.seal_trail", "schedule": 5.0},
    "audit-anchor": {"task": "audits.tasks.record_anchor", "schedule": 86400.0},
    # Evidence bundles whose worker died while building are queued again (docs/audits.md).
    "audit-evidence-resume": {"task": "audits.tasks.resume_bundles", "schedule": 60.0},
}
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
# Audit trail entries older than this many days may be archived to a file (docs/audits.md).
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "2555"))
# Evidence bundles (docs/audits.md): the installation's Ed25519 signing key, made on first use
# and kept outside the database (owner-only file), and the directory of the built ZIPs.
EVIDENCE_KEY_PATH = Path(os.environ.get("EVIDENCE_KEY_PATH", VAR_DIR / "evidence-key.pem"))
EVIDENCE_DIR = Path(os.environ.get("EVIDENCE_DIR", VAR_DIR / "evidence"))
# SLA: when a timer moves to a target on another calendar, its elapsed time is recounted on the
# new calendar from the timer's start ("start", retroactive) or kept as counted so far and
# counted on the new calendar from the change on ("change"). See docs/slas.md.
SLA_RETARGET_RECOUNT = os.environ.get("SLA_RETARGET_RECOUNT", "change")
if SLA_RETARGET_RECOUNT not in ("change", "start"):
    raise ImproperlyConfigured(f"SLA_RETARGET_RECOUNT must be change or start, not {SLA_RETARGET_RECOUNT!r}.")
# Incidents: a resolution may be reopened for this many days; it closes itself after that many.
INCIDENT_REOPEN_DAYS = int(os.environ.get("INCIDENT_REOPEN_DAYS", "7"))
INCIDENT_AUTO_CLOSE_DAYS = int(os.environ.get("INCIDENT_AUTO_CLOSE_DAYS", "3"))
# Problem management (docs/problems.md): days a resolved problem must go without a recurrence
# before it may close; age after which a known error without a fix is flagged; the window and
# the count at which recurring incidents are proposed as a problem.
PROBLEM_QUIET_DAYS = int(os.environ.get("PROBLEM_QUIET_DAYS", "28"))
KNOWN_ERROR_STALE_DAYS = int(os.environ.get("KNOWN_ERROR_STALE_DAYS", "90"))
PROBLEM_TREND_WINDOW_DAYS = int(os.environ.get("PROBLEM_TREND_WINDOW_DAYS", "30"))
PROBLEM_TREND_THRESHOLD = int(os.environ.get("PROBLEM_TREND_THRESHOLD", "3"))
PROBLEM_TREND_MAX_NEW = int(os.environ.get("PROBLEM_TREND_MAX_NEW", "50"))
# Change management (docs/changes.md): how deep the CMDB is followed for impacted services and
# for collisions; from how many customers of the impacted services the impact is high, medium;
# what each kind of conflict does to scheduling (block / override / warn); how long a one-click
# approval link in a notification stays valid.
CHANGE_IMPACT_DEPTH = int(os.environ.get("CHANGE_IMPACT_DEPTH", "5"))
CHANGE_IMPACT_CUSTOMERS = (int(os.environ.get("CHANGE_IMPACT_CUSTOMERS_HIGH", "10")),
                           int(os.environ.get("CHANGE_IMPACT_CUSTOMERS_MEDIUM", "2")))
CHANGE_CONFLICT_DEPTH = int(os.environ.get("CHANGE_CONFLICT_DEPTH", "2"))
CHANGE_CONFLICT_POLICY = {
    "same_ci": os.environ.get("CHANGE_CONFLICT_SAME_CI", "override"),
    "related_ci": os.environ.get("CHANGE_CONFLICT_RELATED_CI", "warn"),
    "blackout": os.environ.get("CHANGE_CONFLICT_BLACKOUT", "override"),
    "outside_maintenance": os.environ.get("CHANGE_CONFLICT_OUTSIDE_MAINTENANCE", "warn"),
}
if not set(CHANGE_CONFLICT_POLICY.values()) <= {"block", "override", "warn"}:
    raise ImproperlyConfigured("CHANGE_CONFLICT_* must each be block, override or warn.")
CHANGE_APPROVAL_LINK_HOURS = int(os.environ.get("CHANGE_APPROVAL_LINK_HOURS", "72"))
# A change implemented this many days ago and not yet reviewed is reminded (review due).
CHANGE_REVIEW_DUE_DAYS = int(os.environ.get("CHANGE_REVIEW_DUE_DAYS", "2"))
WORKER_HEARTBEAT_MAX_AGE = timedelta(seconds=int(os.environ.get("WORKER_HEARTBEAT_MAX_AGE", "120")))

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "itsm.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["itsm.api.permissions.RolePermission"],
    "DEFAULT_PARSER_CLASSES": ["itsm.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "itsm.api.filters.StrictFilterBackend",
        "itsm.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "itsm.api.pagination.StablePageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "itsm.api.throttling.AddressRateThrottle",
        "itsm.api.throttling.WindowUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "6000/minute"),
    },
    "EXCEPTION_HANDLER": "itsm.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "itsm.api.schema.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ITSM API",
    "DESCRIPTION": "REST API of the ITSM service management system. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["itsm.api.permissions.SignedInReadOnly"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Enumerations that share a field name ("state", "kind") across apps get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStateEnum": "incidents.choices.IncidentState",
        "TimerStateEnum": "slas.choices.TimerState",
        "TimerEventKindEnum": "slas.choices.TimerEventKind",
        "CalendarDayKindEnum": "slas.choices.DayKind",
        "JournalKindEnum": "itsm.choices.JournalKind",
        "ProblemStateEnum": "problems.choices.ProblemState",
        "ProblemTaskStateEnum": "problems.choices.TaskState",
        "ProposalStateEnum": "problems.choices.ProposalState",
        "ProblemResolutionCodeEnum": "problems.choices.ProblemResolutionCode",
        "ResolutionCodeEnum": "incidents.choices.ResolutionCode",
        "RiskLevelEnum": "changes.choices.RiskLevel",
        "ChangeStateEnum": "changes.choices.ChangeState",
        "ChangeModelEnum": "changes.choices.ChangeModel",
        "ChangeSourceEnum": "changes.choices.ChangeSource",
        "CloseCodeEnum": "changes.choices.CloseCode",
        "WindowKindEnum": "changes.choices.WindowKind",
        "ConflictKindEnum": "changes.choices.ConflictKind",
        "ProposalKindEnum": "changes.choices.ProposalKind",
        "ExceptionStateEnum": "changes.choices.ExceptionState",
        "MeetingStateEnum": "changes.choices.MeetingState",
        "AgendaDecisionEnum": "changes.choices.AgendaDecision",
        "ApprovalStateEnum": "itsm.approval_models.ApprovalState",
        "ApprovalOutcomeEnum": "itsm.approval_models.Outcome",
        "QuorumEnum": "itsm.approval_models.Quorum",
        "ProblemSourceEnum": "problems.choices.ProblemSource",
        "ProposalBasisEnum": "problems.choices.ProposalBasis",
        "TargetKindEnum": "slas.choices.TargetKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "itsm.api.schema.add_conventions",
    ],
}
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("API_TOKEN_DEFAULT_DAYS", "90"))
IDEMPOTENCY_KEY_TTL = timedelta(hours=int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24")))

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
