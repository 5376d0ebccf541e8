"""Django settings; everything deployment-specific comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from terrinum.config import data_dir, secret_key
from terrinum.journaux import logging_config

DATA_DIR = data_dir()
SECRET_KEY = secret_key()
DEBUG = os.environ.get("TERRINUM_DEBUG", "") == "1"
# Server errors with their traceback to standard error and to journaux/erreurs.log in the
# data directory, personal data masked (web/journaux.py, docs/exploitation.md).
LOGGING = logging_config(DATA_DIR / "journaux")
ALLOWED_HOSTS = [h for h in os.environ.get("TERRINUM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # django-ninja: its API documentation page then loads Swagger UI from the application's own
    # static files (the wheel ships them) instead of a CDN.
    "ninja",
    "terrinum.territories",
    "terrinum.accounts",
    "terrinum.apps.inclusion",
    "terrinum.apps.pass_numerique",
    "terrinum.apps.rgpd",
    "terrinum.apps.concertation",
    "terrinum.apps.signalements",
    "terrinum.planning",
    "terrinum.diagnostic",
    "terrinum.web",
    "csp",
    "axes",  # failed-login throttling and the access log (after our apps: its templates are overridden)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # public indicator answers, the same bytes for everyone until the next publication:
    # served before sessions and authentication, with an entity tag (web/publies.py)
    "terrinum.web.publies.PublishedAnswers",
    # pages a visitor without account reads most, kept whole per version, registry state and
    # day: served before sessions too (web/publies.py)
    "terrinum.web.publies.VisitorPages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy: every script, style, image and font comes from the application
# itself (no CDN, no inline script or style); maps are inline SVG, images may be data: URLs
# (Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Logins: django-axes counts failed attempts per account and per address; after
# AXES_FAILURE_LIMIT either is locked for AXES_COOLOFF_TIME (web form, admin, any path through
# Django's authenticate). Its access log keeps logins, logouts and failures (audit).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("TERRINUM_ECHECS_CONNEXION", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("TERRINUM_VERROU_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one reaching the limit locks
# The real client address behind the trusted reverse proxy (TERRINUM_MANDATAIRES), never the
# proxy's own: accounts/addresses.py, docs/exploitation.md.
AXES_CLIENT_IP_CALLABLE = "terrinum.accounts.addresses.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/verrou.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Passwords: Django's validators on every path (web, admin, `terrinum compte creer`).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ROOT_URLCONF = "terrinum.web.urls"
WSGI_APPLICATION = "terrinum.web.wsgi.application"

# What the operational apps read from the pillars (terrinum.config.reading): the apps sit
# below the pillars, which may read the apps' models; the web project wires the two.
TERRINUM_LECTURES = {
    "couverture.verifier": "terrinum.pillars.couverture.verification.check",
    "couverture.calques": "terrinum.pillars.couverture.verification.layers",
    "couverture.sites-new-deal": "terrinum.pillars.couverture.verification.new_deal_sites",
    "pass-numerique.personnes-a-risque": "terrinum.pillars.pass_numerique.reach.people_at_risk",
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each pillar folder holds its section template (terrinum/pillars/<pillar>/section.html).
        "DIRS": [Path(__file__).resolve().parents[1] / "pillars"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{DATA_DIR / 'terrinum.sqlite3'}",
        conn_max_age=60,
    )
}

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
LOGIN_URL = "connexion"
LOGIN_REDIRECT_URL = "mes-lieux"
LOGOUT_REDIRECT_URL = "accueil"

# Production (TERRINUM_PRODUCTION=1, behind an HTTPS reverse proxy): secure cookies, HTTPS
# redirect and HSTS; `terrinum` then refuses to start without TERRINUM_SECRET_KEY. With it,
# `django-admin check --deploy` reports nothing (tested).
# Mail (reminders, notices to reporters): sent through an SMTP server when one is given, kept as
# files in TERRINUM_COURRIELS_DOSSIER when that is set, printed on the console otherwise.
if os.environ.get("TERRINUM_SMTP_HOTE"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["TERRINUM_SMTP_HOTE"]
    EMAIL_PORT = int(os.environ.get("TERRINUM_SMTP_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("TERRINUM_SMTP_UTILISATEUR", "")
    EMAIL_HOST_PASSWORD = os.environ.get("TERRINUM_SMTP_MOT_DE_PASSE", "")
    EMAIL_USE_TLS = os.environ.get("TERRINUM_SMTP_TLS", "1") == "1"
elif os.environ.get("TERRINUM_COURRIELS_DOSSIER"):  # no server: each mail kept as a file there (to read or forward)
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["TERRINUM_COURRIELS_DOSSIER"]
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("TERRINUM_COURRIEL_EXPEDITEUR", "terrinum@localhost")

PRODUCTION = os.environ.get("TERRINUM_PRODUCTION", "") == "1"
if PRODUCTION:
    if not os.environ.get("TERRINUM_SECRET_KEY"):
        raise RuntimeError("TERRINUM_PRODUCTION=1 demande TERRINUM_SECRET_KEY (clé secrète longue et aléatoire).")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The public address(es) behind the proxy, for the CSRF check of forms (https://…).
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("TERRINUM_ORIGINES", "").split(",") if o]
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("TERRINUM_HSTS_SECONDES", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("TERRINUM_HSTS_SOUS_DOMAINES", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("TERRINUM_HSTS_PRELOAD", "1") == "1"
