"""Django settings for Steward, read from the environment only.

Deployment knobs come from environment variables (``DATABASE_URL``, ``SECRET_KEY``,
``STEWARD_*``). Steward's own defaults live in ``STEWARD`` and are read lazily through
``steward.core.conf``. See docs/operations/configuration.md for the full list.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("STEWARD_DATA_DIR", Path.cwd() / "var")).resolve()

#: "development" (the embedded default), "production", or "test". pytest-django loads these
#: settings before any conftest runs, so a pytest run (PYTEST_VERSION set) defaults to "test".
ENVIRONMENT = (
    os.environ.get("STEWARD_ENV", "test" if "PYTEST_VERSION" in os.environ else "development")
    .strip()
    .lower()
)
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ImproperlyConfigured("STEWARD_ENV must be development, production or test")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = _env_bool("STEWARD_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("STEWARD_DEBUG must be off in production")

INSECURE_SECRET_PREFIX = "insecure-"


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if PRODUCTION:
        if len(key) < 50 or len(set(key)) < 5 or key.startswith(INSECURE_SECRET_PREFIX):
            raise ImproperlyConfigured(
                "Production mode needs a real SECRET_KEY (at least 50 random characters)."
            )
        return key
    if key:
        return key
    if ENVIRONMENT == "test":
        return INSECURE_SECRET_PREFIX + "test-only-key"
    # The embedded default keeps a generated key in its data directory so sessions and
    # signed links survive a restart without anybody having to set one.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    generated = INSECURE_SECRET_PREFIX + secrets.token_urlsafe(50)
    key_file.write_text(generated)
    key_file.chmod(0o600)
    return generated


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = _env_list(
    "STEWARD_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _env_list("STEWARD_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "steward.core",
    "steward.accounts",
    "steward.cmdb",
    "steward.tickets",
    "steward.sla",
    "steward.incidents",
    "steward.problems",
    "steward.changes",
    "steward.knowledge",
    "steward.servicedesk",
    "steward.interop",
]

MIDDLEWARE = [
    "steward.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "steward.accounts.middleware.SecondFactorMiddleware",
    "steward.servicedesk.middleware.RequesterPortalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "steward.config.urls"
WSGI_APPLICATION = "steward.config.wsgi.application"

# Forms render through the templates, select boxes in Python (core/forms.py).
FORM_RENDERER = "steward.core.forms.StewardFormRenderer"

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
                "steward.core.context_processors.navigation_menu",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    default_sqlite = f"sqlite:///{DATA_DIR / 'steward.sqlite3'}"
    url = os.environ.get("DATABASE_URL", default_sqlite)
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while a writer commits; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue instead of failing with "database is locked" mid-way.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
            ),
        }
        if config["NAME"] != ":memory:":
            Path(str(config["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    else:
        config["CONN_MAX_AGE"] = _env_int("STEWARD_DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    config["TEST"] = {"NAME": os.environ.get("STEWARD_TEST_DB_NAME") or None}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Person"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "steward.accounts.backends.RoleBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if ENVIRONMENT == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Sessions: an absolute lifetime, renewed on sign-in; expired sessions go back to sign-in.
SESSION_COOKIE_AGE = _env_int("STEWARD_SESSION_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = _env_bool("STEWARD_SESSION_BROWSER_CLOSE", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead

# Sign-in throttling (django-axes): lock the account+address pair after repeated failures.
AXES_FAILURE_LIMIT = _env_int("STEWARD_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = _env_int("STEWARD_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "steward.accounts.backends.lockout_username"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = _env_int("STEWARD_PROXY_COUNT", 0) or None

OTP_TOTP_ISSUER = os.environ.get("STEWARD_OTP_ISSUER", "Steward")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("STEWARD_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STEWARD_STATIC_ROOT", DATA_DIR / "static"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise wants it even when serving finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("STEWARD_MEDIA_ROOT", DATA_DIR / "media"))

DATA_UPLOAD_MAX_MEMORY_SIZE = _env_int("STEWARD_MAX_BODY_BYTES", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "steward.accounts.authentication.ApiTokenAuthentication",
        "steward.accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["steward.core.api.permissions.PolicyPermission"],
    "DEFAULT_PAGINATION_CLASS": "steward.core.api.pagination.StewardCursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "steward.core.api.filters.StrictFilterBackend",
        "steward.core.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "steward.core.api.problems.problem_exception_handler",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Steward API",
    "DESCRIPTION": "REST API of Steward, the IT Service Management platform.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {
        "RoleCodeEnum": "steward.accounts.choices.RoleCode",
        # Several models have a ``status``: each enum is named after its own choices.
        "InboundStatusEnum": "steward.servicedesk.models.inbound.InboundStatus",
        "OutboundStatusEnum": "steward.servicedesk.models.outbound.OutboundStatus",
        "ReviewStatusEnum": "steward.incidents.choices.ReviewStatus",
        "CIStatusEnum": "steward.cmdb.choices.CIStatus",
        # ``impact`` of a ticket (1-3) and of a relationship type (its direction); ``method``
        # of an assignment rule and of a root-cause analysis.
        "ImpactEnum": "steward.tickets.choices.Impact",
        "ImpactDirectionEnum": "steward.cmdb.choices.ImpactDirection",
        "AssignmentRuleMethodEnum": "steward.incidents.choices.AssignmentRuleMethod",
        "RcaMethodEnum": "steward.problems.choices.RcaMethod",
        "ChangeTypeEnum": "steward.changes.choices.ChangeType",
        "RiskClassEnum": "steward.changes.choices.RiskClass",
        "OutcomeEnum": "steward.changes.choices.Outcome",
    },
}


def _smtp(url: str) -> dict[str, object]:
    """EMAIL_* settings from ``smtp://``, ``smtp+starttls://`` or ``smtps://user:pass@host:port``."""
    from urllib.parse import unquote, urlsplit

    if not url:
        return {}
    parts = urlsplit(url)
    schemes = {
        "smtp": (25, False, False),
        "smtp+starttls": (587, True, False),
        "smtps": (465, False, True),
    }
    if parts.scheme not in schemes or not parts.hostname:
        raise ImproperlyConfigured(
            "STEWARD_SMTP_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587 "
            "or smtps://user:pass@host:465"
        )
    port, starttls, implicit_tls = schemes[parts.scheme]
    try:
        port = parts.port or port
    except ValueError as exc:
        raise ImproperlyConfigured("STEWARD_SMTP_URL has an invalid port") from exc
    return {
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": starttls,
        "EMAIL_USE_SSL": implicit_tls,
    }


# Outgoing mail (notifications) through one SMTP server; see docs/operations/configuration.md.
SMTP_URL = os.environ.get("STEWARD_SMTP_URL", "").strip()
_SMTP = _smtp(SMTP_URL)
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = str(_SMTP.get("EMAIL_HOST", "localhost"))
EMAIL_PORT = int(str(_SMTP.get("EMAIL_PORT", 25)))
EMAIL_HOST_USER = str(_SMTP.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = str(_SMTP.get("EMAIL_HOST_PASSWORD", ""))
EMAIL_USE_TLS = bool(_SMTP.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_SMTP.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = _env_int("STEWARD_SMTP_TIMEOUT", 30)

TASKS = {
    "default": {
        "BACKEND": os.environ.get("STEWARD_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Production hardening; `manage.py check --deploy --fail-level WARNING` passes with these.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("STEWARD_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _env_int("STEWARD_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("STEWARD_HSTS_PRELOAD", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = os.environ.get("STEWARD_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "steward.core.logging.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "steward.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": os.environ.get("STEWARD_LOG_FORMAT", "json"),
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Steward's own knobs. Read them through steward.core.conf.get(), never at import time.
STEWARD = {
    "SITE_NAME": os.environ.get("STEWARD_SITE_NAME", "Steward"),
    "METRICS_TOKEN": os.environ.get("STEWARD_METRICS_TOKEN", ""),
    "WORKER_HEARTBEAT_MAX_AGE": _env_int("STEWARD_WORKER_HEARTBEAT_MAX_AGE", 120),
    "API_TOKEN_DEFAULT_DAYS": _env_int("STEWARD_API_TOKEN_DAYS", 90),
    "API_TOKEN_MAX_DAYS": _env_int("STEWARD_API_TOKEN_MAX_DAYS", 366),
    "SCHEDULER_INTERVAL": _env_int("STEWARD_SCHEDULER_INTERVAL", 15),
    "ATTACHMENT_MAX_BYTES": _env_int("STEWARD_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024),
    "BUSINESS_HOURS": os.environ.get("STEWARD_BUSINESS_HOURS", "08:00-18:00"),
    "BUSINESS_WEEKDAYS": [
        int(day) for day in _env_list("STEWARD_BUSINESS_WEEKDAYS", ["0", "1", "2", "3", "4"])
    ],
    "BUSINESS_HOLIDAY_COUNTRY": os.environ.get("STEWARD_BUSINESS_HOLIDAY_COUNTRY", ""),
    "INCIDENT_AUTO_CLOSE_BUSINESS_DAYS": _env_int("STEWARD_INCIDENT_AUTO_CLOSE_BUSINESS_DAYS", 3),
    "MAIL_ENABLED": _env_bool("STEWARD_MAIL_ENABLED", default=bool(SMTP_URL)),
    "MAIL_FROM": os.environ.get("STEWARD_MAIL_FROM", ""),
    "MAIL_DOMAIN": os.environ.get("STEWARD_MAIL_DOMAIN", "localhost"),
    "MAIL_MAX_ATTEMPTS": _env_int("STEWARD_MAIL_MAX_ATTEMPTS", 6),
    "MAIL_RETRY_SECONDS": _env_int("STEWARD_MAIL_RETRY_SECONDS", 60),
    "PUBLIC_URL": os.environ.get("STEWARD_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
    "SATISFACTION_LINK_DAYS": _env_int("STEWARD_SATISFACTION_LINK_DAYS", 30),
    "PORTAL_FOR_REQUESTERS": _env_bool("STEWARD_PORTAL_FOR_REQUESTERS", True),
    "MAIL_IN_MAX_MESSAGE_BYTES": _env_int("STEWARD_MAIL_IN_MAX_MESSAGE_BYTES", 30 * 1024 * 1024),
    "MAIL_IN_RATE_LIMIT": _env_int("STEWARD_MAIL_IN_RATE_LIMIT", 20),
    "MAIL_IN_RATE_WINDOW_MINUTES": _env_int("STEWARD_MAIL_IN_RATE_WINDOW_MINUTES", 10),
    "MAIL_IN_INTERNAL_DOMAINS": [
        d.lower() for d in _env_list("STEWARD_MAIL_IN_INTERNAL_DOMAINS", [])
    ],
}
