"""Production-style settings for the django-helpdesk peer site.

As close to how Steward's benchmark serves Steward as the peer allows: DEBUG off, a secret
key and allowed hosts from the environment, PostgreSQL with persistent connections, HTTPS
as a TLS-terminating proxy reports it (``X-Forwarded-Proto``), and an API token per user.
E-mail goes to ``PEER_EMAIL_BACKEND`` (Django's in-memory backend unless told otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path

from .environment import allowed_hosts, database_from_url, email_backend, required

DEBUG = False
SECRET_KEY = required(os.environ, "SECRET_KEY")
ALLOWED_HOSTS = allowed_hosts(os.environ.get("PEER_ALLOWED_HOSTS", "127.0.0.1,localhost"))
DATABASES = {"default": database_from_url(required(os.environ, "DATABASE_URL"))}
DATA_DIR = Path(required(os.environ, "PEER_DATA_DIR"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peer_site.urls"
WSGI_APPLICATION = "peer_site.wsgi.application"
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
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
LOGIN_URL = "helpdesk:login"

# Behind a TLS-terminating proxy, as the benchmark presents every request.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

EMAIL_BACKEND = email_backend(os.environ)
DEFAULT_FROM_EMAIL = "helpdesk@peer.invalid"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# django-helpdesk: its REST API on, no teams add-on (not installed). Its knowledge base
# stays on: 2.6.1's URLs do not load with HELPDESK_KB_ENABLED = False.
HELPDESK_API_ENABLED = True
HELPDESK_TEAMS_MODE_ENABLED = False

# Server errors to stderr (gunicorn's log), so a failing run says why.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
