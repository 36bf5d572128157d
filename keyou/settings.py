"""Keyou settings: everything comes from environment variables and one data dir."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from keyou.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("KEYOU_DATA_DIR", "var")).expanduser().resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env_secret("KEYOU_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Generated once per installation; the file is the installation's identity.
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("KEYOU_DEBUG", False)
ALLOWED_HOSTS = env_list("KEYOU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "huey.contrib.djhuey",
    "django_htmx",
    "keyou.people",
    "keyou.crm",
    "keyou.mail",
    "keyou.search",
    "keyou.web",
    "keyou.api",
    "keyou.audit",
    "keyou.automation",
    "keyou.deals",
    "keyou.pool",
    "keyou.analytics",
    # django-ninja: its templates and static Swagger UI, so /api/v1/docs needs no CDN.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "keyou.web.middleware.UserPreferencesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "keyou.urls"
WSGI_APPLICATION = "keyou.wsgi.application"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

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
                "django.template.context_processors.i18n",
                "keyou.web.context_processors.header",
            ],
        },
    },
]


def _database(url: str) -> dict:
    if url:
        config = dj_database_url.parse(url, conn_max_age=env_int("KEYOU_DB_CONN_MAX_AGE", 60))
        if config["ENGINE"] == "django.db.backends.postgresql":
            # The JIT compiler costs more than it saves on our report queries, whose row
            # estimates over scoped joins run high (up to ~1.8 s compiling per query).
            config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "keyou.sqlite3",
        "OPTIONS": {
            # WAL lets the web process read while the worker writes; IMMEDIATE
            # transactions avoid "database is locked" upgrades mid-transaction.
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=10000;PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database(env_str("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = env_str("KEYOU_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the app dirs; this stays empty
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Static files are served from the installed apps directly: no collectstatic step.
WHITENOISE_USE_FINDERS = True

# Where raw messages and attachments live, content-addressed by sha256.
KEYOU_BLOB_DIR = DATA_DIR / "blobs"
KEYOU_IMPORT_BATCH = env_int("KEYOU_IMPORT_BATCH", 200)
# Parser processes used by import and sync (0: parse in the importing process).
KEYOU_IMPORT_WORKERS = env_int("KEYOU_IMPORT_WORKERS", min(4, os.cpu_count() or 1))
KEYOU_SYNC_INTERVAL = env_int("KEYOU_SYNC_INTERVAL", 120)  # seconds between polls
# Alert a user's manager and the admins when someone views or exports this many
# customer records within the window (seconds).
KEYOU_ACCESS_ALERT_RECORDS = env_int("KEYOU_ACCESS_ALERT_RECORDS", 200)
KEYOU_ACCESS_ALERT_WINDOW = env_int("KEYOU_ACCESS_ALERT_WINDOW", 3600)
KEYOU_GRANT_MAX_DAYS = env_int("KEYOU_GRANT_MAX_DAYS", 90)  # longest temporary grant
# Sensitive actions (exports, role changes, grants, handover) ask for the password
# again when the last one was entered longer ago than this.
KEYOU_REAUTH_MINUTES = env_int("KEYOU_REAUTH_MINUTES", 15)
# Mail older than this when it is filed (a first sync, an import) is history: it is
# filed and clocked but runs no rules and no routing.
KEYOU_EVENT_LIVE_HOURS = env_int("KEYOU_EVENT_LIVE_HOURS", 24)
# Timers (SLA marks, no follow-up, due tasks) look this far back for moments they
# missed while the worker was down.
KEYOU_TIMER_LOOKBACK_DAYS = env_int("KEYOU_TIMER_LOOKBACK_DAYS", 7)

# Background work: SqliteHuey in the data dir by default (the consumer runs
# inside `keyou serve`); with KEYOU_REDIS_URL, RedisHuey so several
# `keyou worker` processes on several machines share one queue.
KEYOU_REDIS_URL = env_str("KEYOU_REDIS_URL")
HUEY = {
    "name": "keyou",
    "immediate": env_bool("KEYOU_TASKS_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": env_int("KEYOU_WORKER_THREADS", 2), "worker_type": "thread"},
}
if KEYOU_REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": KEYOU_REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "tasks.sqlite3")}

# Where people reach Keyou: links in chat-robot messages and digest emails.
KEYOU_BASE_URL = env_str("KEYOU_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Keyou's own outgoing mail (the notification digest), not the users' mailboxes.
# Without KEYOU_SMTP_HOST no digest is sent.
EMAIL_HOST = env_str("KEYOU_SMTP_HOST")
EMAIL_PORT = env_int("KEYOU_SMTP_PORT", 587)
EMAIL_HOST_USER = env_str("KEYOU_SMTP_USER")
EMAIL_HOST_PASSWORD = env_secret("KEYOU_SMTP_PASSWORD")
KEYOU_SMTP_SECURITY = env_str("KEYOU_SMTP_SECURITY", "starttls").strip().lower()
if KEYOU_SMTP_SECURITY not in {"none", "starttls", "ssl"}:
    from keyou.env import ConfigError

    raise ConfigError(
        f"KEYOU_SMTP_SECURITY must be none, starttls or ssl, not {KEYOU_SMTP_SECURITY!r}"
    )
EMAIL_USE_TLS = KEYOU_SMTP_SECURITY == "starttls"
EMAIL_USE_SSL = KEYOU_SMTP_SECURITY == "ssl"
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("KEYOU_MAIL_FROM", "keyou@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"keyou": {"handlers": ["console"], "level": env_str("KEYOU_LOG_LEVEL", "INFO")}},
}

# -- Security -------------------------------------------------------------------------
# Login throttling (django-axes), session expiry, security headers, HTTPS and optional
# two-factor login (django-otp). Kept together so the choices read as one policy.
from datetime import timedelta  # noqa: E402

from keyou.env import ConfigError  # noqa: E402

INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp"]


def _after(anchor: str, *names: str) -> None:
    """Insert NAMES into MIDDLEWARE right after ANCHOR, in order."""
    at = MIDDLEWARE.index(anchor) + 1
    MIDDLEWARE[at:at] = list(names)


# Headers go on every response, static files included (WhiteNoise answers below it).
_after(
    "django.middleware.security.SecurityMiddleware", "keyou.web.security.SecurityHeadersMiddleware"
)
# OTP before the user's preferences (they read request.user); expiry and the second
# login step after messages and htmx, which they use to say why and to redirect.
_after(
    "django.contrib.auth.middleware.AuthenticationMiddleware", "django_otp.middleware.OTPMiddleware"
)
_after(
    "django.contrib.messages.middleware.MessageMiddleware",
    "keyou.web.security.SessionExpiryMiddleware",
    "keyou.web.security.TwoFactorMiddleware",
)
# Axes turns a flagged login response into the lockout page: it must be last.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")

# Axes' backend refuses a locked account before ModelBackend checks the password (ours
# lets a login without a request, a script's or the test client's, pass unthrottled).
AUTHENTICATION_BACKENDS = [
    "keyou.people.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
KEYOU_LOGIN_FAILURE_LIMIT = env_int("KEYOU_LOGIN_FAILURE_LIMIT", 5)
KEYOU_LOGIN_LOCKOUT_MINUTES = env_int("KEYOU_LOGIN_LOCKOUT_MINUTES", 15)
AXES_FAILURE_LIMIT = KEYOU_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=KEYOU_LOGIN_LOCKOUT_MINUTES)
# Lock the account, whatever address the attempts come from: a guesser cannot go on by
# changing address (or a spoofable proxy header). The price is that anyone can lock a
# known username for the cool-off; it is short, an admin can lift it (`keyou unlock`),
# and locking by address as well would lock a whole office behind one NAT out.
AXES_LOCKOUT_PARAMETERS = ["username"]
# Axes warns when the address is not a lockout parameter, fearing limits a client dodges
# by rotating its User-Agent or cookies; the username alone counts here, whatever those are.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Attempts during a lockout do not restart the cool-off, so "try again in N minutes" holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "keyou.web.views.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The direct peer, as the audit log records it: forwarded headers are not trusted.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False

# Sessions end KEYOU_SESSION_HOURS after login, or after KEYOU_SESSION_IDLE_MINUTES
# without a request (keyou.web.security.SessionExpiryMiddleware).
KEYOU_SESSION_HOURS = env_int("KEYOU_SESSION_HOURS", 12)
KEYOU_SESSION_IDLE_MINUTES = env_int("KEYOU_SESSION_IDLE_MINUTES", 120)
SESSION_COOKIE_AGE = KEYOU_SESSION_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages carry the token; no script reads the cookie
CSRF_COOKIE_SAMESITE = "Lax"

# Headers Django's SecurityMiddleware sets (Content-Security-Policy and
# Permissions-Policy come from keyou.web.security.SecurityHeadersMiddleware).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# KEYOU_HTTPS=1 when Keyou is reached over HTTPS (usually through a proxy that sets
# X-Forwarded-Proto; the proxy must overwrite that header, never pass a client's on).
KEYOU_HTTPS = env_bool("KEYOU_HTTPS", False)
if KEYOU_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True

# Two-factor login with a TOTP app: "off", "optional" (anyone may turn it on) or
# "admins" (optional, and required for admins before they can do anything else).
KEYOU_2FA = env_str("KEYOU_2FA", "optional").strip().lower()
if KEYOU_2FA not in {"off", "optional", "admins"}:
    raise ConfigError(f"KEYOU_2FA must be off, optional or admins, not {KEYOU_2FA!r}")
OTP_TOTP_ISSUER = "Keyou"
