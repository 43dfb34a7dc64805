"""Settings, all read from the environment (django-environ); see docs/operations.md."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HUB_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# Real environment variables win over both files (read_env does not overwrite).
for env_file in (BASE_DIR / ".env", VAR_DIR / "local.env"):
    if env_file.exists():
        env.read_env(str(env_file))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation, see docs/operations.md).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Networks the hub may connect to although they are not public (integration_manager/
# outbound.py): a 3PL's own FTP server, say. Empty: public internet addresses only.
HUB_OUTBOUND_ALLOW = env.list("HUB_OUTBOUND_ALLOW", default=[])
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
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "integration_manager",
    "accounts",
    "jobs",
    "alerts",
    "carts",
    "wms",
    "inventory",
    "orders",
    "csvfiles",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "integration_manager.urls"
WSGI_APPLICATION = "integration_manager.wsgi.application"

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
                "accounts.context_processors.membership",
            ],
        },
    },
]

# The embedded default is a SQLite file under var/; production and tests set DATABASE_URL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hub.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE takes the write lock
        # at BEGIN, so two writers queue instead of failing on a lock upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The throttle backend first: it refuses a locked-out login before a password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: EMAIL_URL such as smtp+tls://user:password@smtp.example.com:587; console by default.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Integration hub <hub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Counters for the password-reset and sign-up throttles (accounts/throttle.py): Redis, so
# every web process counts together; the embedded mode has one web process and no Redis.
if env.str("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_URL"),
            "KEY_PREFIX": "hub-cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Pages people open raise "the scheduler stopped" when the dispatcher has not ticked
# (alerts/checks.py); the test suite runs no beat, so it turns this off but for its own tests.
ALERT_SCHEDULER_CHECK = env.bool("ALERT_SCHEDULER_CHECK", default=True)

# HTTPS. The defaults suit the embedded mode on http://127.0.0.1; production sets them all
# (docs/operations.md, "Production checklist"; `manage.py check --deploy` lists what is off).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Browsers remember HSTS for this long: start small (3600) and raise it once HTTPS works.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies append to X-Forwarded-For in front of the hub; the client address that
# login throttling counts is the one the outermost of them saw. 0: REMOTE_ADDR.
PROXY_COUNT = env.int("PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): scripts, styles and fonts come from our own static
# files only, so markup injected through data (a name, an e-mail) cannot run code. No
# inline scripts, event handler attributes or style attributes: behaviour lives in
# static/js/hub.js, driven by data-* attributes. data: images are Bootstrap's SVG icons.
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
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Failed logins (django-axes): counted per account (the e-mail typed) and per client
# address, in the database; at its limit each is locked out for the cool-off, and every
# new failure starts it again. An address gets a higher limit (a warehouse behind one
# router is many people; accounts/throttle.py). Account admins unlock their members on
# the users screen, superusers in the Django admin. The login page, the admin login and
# anything else that calls authenticate() with a request are covered.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "accounts.throttle.LoginAttemptsHandler"
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # both login forms post the e-mail as "username"
AXES_USERNAME_CALLABLE = "accounts.throttle.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
# Not reset by a successful login: that would delete the address's failures too, and an
# attacker with an account of their own could log in between guesses to start again.
AXES_RESET_ON_SUCCESS = False
# The counts are what we need; a row per successful login is personal data nobody reads.
AXES_DISABLE_ACCESS_LOG = True

# Celery. Redis in production and tests; a broker that needs no server in the embedded mode.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if not CELERY_BROKER_URL:
    # kombu's file transport, writing each message whole (integration_manager/file_broker.py).
    CELERY_BROKER_URL = "hubfile://"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        # Without this kombu keeps its exchange table in ./control, in the working tree.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu looks for new messages once a second by default; a webhook's order passes
        # through several tasks (nudge, dispatch, run), so that second was paid several times.
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task not acknowledged within this window is handed to another worker; every
        # task's hard time limit stays well below it, so a slow task is never run twice.
        "visibility_timeout": 3600,
        # Without a socket timeout a connection that goes silent (no FIN, no RST) blocks the
        # worker's event loop for good; these let it notice within seconds and reconnect.
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 10,
    }
    # A Redis failover answers writes with READONLY for a moment; kombu's restore of
    # unacknowledged messages at reconnect meets it, and by default the worker exits
    # ("Unrecoverable error"). Retrying it as a connection error keeps the worker up.
    CELERY_BROKER_CHANNEL_ERROR_RETRY = True
    CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a long outage is waited out, not given up
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 660
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The dispatcher tick (seconds) and how often "Automatic" polls a source that has no push.
DISPATCH_INTERVAL_SECONDS = env.float("DISPATCH_INTERVAL_SECONDS", default=30.0)
AUTOMATIC_POLL_SECONDS = env.int("AUTOMATIC_POLL_SECONDS", default=60)
# One beat entry: the dispatcher tick. Every schedule lives in the database, not in beat.
CELERY_BEAT_SCHEDULE = {
    "dispatch": {
        "task": "jobs.dispatch",
        "schedule": DISPATCH_INTERVAL_SECONDS,
        # Ticks that nobody picked up are worthless later: do not let them pile up.
        "options": {"expires": DISPATCH_INTERVAL_SECONDS},
    },
}
# Ticks are short and must not wait behind connector work: their own queue. A worker
# started without -Q consumes both.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("dispatch"))
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"jobs.dispatch": {"queue": "dispatch"}}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "integration_manager.redaction.RedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Failures and lock-outs are warnings; every successful login at INFO is noise.
        "axes": {"level": "WARNING"},
        # One line per API request (method, path, process id, credential, outcome; no key).
        "api": {"level": "INFO"},
    },
}
