"""civicnet settings: one module, driven by the environment.

Every environment variable is read once, here at the top, with its type and
default. With nothing set the site runs on a laptop: SQLite, tasks executed
in-process, a local-memory cache and email printed to the console.
`DEBUG=0` switches production hardening on and then requires SECRET_KEY and
ALLOWED_HOSTS.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0/1, true/false, yes/no or on/off, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    try:
        return int(value) if value else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from error


# --- Environment ---------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
REDIS_URL = env_str("REDIS_URL")
# The broker may live in another Redis database than the cache, so clearing one spares the other.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://localhost/")
EMAIL_URL = env_str("EMAIL_URL", "console://")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "civicnet <hello@civicnet.example>")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
# Days a member whose renewal payment failed keeps access while Stripe retries the card.
MEMBERSHIP_GRACE_DAYS = env_int("MEMBERSHIP_GRACE_DAYS", 14)
# Staff must set up an authenticator app before the admin opens (off on a laptop so the
# printed demo staff login works as is).
STAFF_REQUIRE_2FA = env_bool("STAFF_REQUIRE_2FA", not DEBUG)
# How many proxies in front of the site append to X-Forwarded-For (rate limits key on the
# client address they report; 0 trusts no header and uses the socket address).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Newsletter (blog.newsletter): sender, confirmation link lifetime, delivery batch size,
# retries of transient SMTP errors (base * 2^attempt seconds), when a stalled send is resumed,
# and the shared secret the bounce/complaint webhook checks (unset: the webhook is off).
NEWSLETTER_FROM_EMAIL = env_str("NEWSLETTER_FROM_EMAIL", DEFAULT_FROM_EMAIL)
NEWSLETTER_CONFIRM_DAYS = env_int("NEWSLETTER_CONFIRM_DAYS", 3)
NEWSLETTER_BATCH_SIZE = env_int("NEWSLETTER_BATCH_SIZE", 500)
NEWSLETTER_MAX_ATTEMPTS = env_int("NEWSLETTER_MAX_ATTEMPTS", 5)
NEWSLETTER_RETRY_BASE_SECONDS = env_int("NEWSLETTER_RETRY_BASE_SECONDS", 30)
NEWSLETTER_STALL_SECONDS = env_int("NEWSLETTER_STALL_SECONDS", 300)
NEWSLETTER_WEBHOOK_SECRET = env_str("NEWSLETTER_WEBHOOK_SECRET")
# Newsletter: resuming a batch whose worker died. A running batch renews its lease at least
# every NEWSLETTER_HEARTBEAT_SECONDS; beat's resume sweep runs every NEWSLETTER_RESUME_EVERY_SECONDS
# and re-enqueues a batch whose lease is older than NEWSLETTER_LEASE_SECONDS. Worst case from a
# kill to the batch going again: lease + sweep period + heartbeat (50 s by default). A live
# batch held past its lease by a slow mail server just gets a twin that skips its locked row.
NEWSLETTER_HEARTBEAT_SECONDS = env_int("NEWSLETTER_HEARTBEAT_SECONDS", 5)
NEWSLETTER_LEASE_SECONDS = env_int("NEWSLETTER_LEASE_SECONDS", 30)
NEWSLETTER_RESUME_EVERY_SECONDS = env_int("NEWSLETTER_RESUME_EVERY_SECONDS", 15)
# Newsletter sign-up limits (counted in the shared cache): one confirmation email per address
# per window, and at most this many sign-up requests per client address (as reported through
# TRUSTED_PROXY_COUNT proxies) per window. Past either, the form answers as usual, sends nothing.
NEWSLETTER_SIGNUP_WINDOW_SECONDS = env_int("NEWSLETTER_SIGNUP_WINDOW_SECONDS", 3600)
NEWSLETTER_SIGNUPS_PER_CLIENT = env_int("NEWSLETTER_SIGNUPS_PER_CLIENT", 10)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# Errors (web and workers) go to Sentry when SENTRY_DSN is set, otherwise by email to ADMINS
# ("Name <address>, other@address"); with neither, only to the JSON log.
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
ADMINS = env_list("ADMINS")
# Seconds an anonymous visitor's page stays in the full-page cache (0 turns it off).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if DEBUG else 300)

if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0 (comma-separated).")
else:
    SECRET_KEY = SECRET_KEY or "django-insecure-civicnet-development-key-not-for-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]

# --- Applications --------------------------------------------------------------------------
INSTALLED_APPS = [
    "core",
    "civicnet",
    "members",
    "vitals",
    "events",
    "blog",
    "blog.newsletter",
    "library",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "civicnet.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions: a cached anonymous page is served without touching them.
    "civicnet.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "members.middleware.AdminLoginMiddleware",
    # After authentication: staff-capable sessions need their second factor on every URL.
    "core.staff.StaffSecondFactorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "civicnet.urls"
WSGI_APPLICATION = "civicnet.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "django.template.context_processors.csp",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except Exception as error:  # dj_database_url raises several types for one mistake
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL this site understands ({error}). "
        "Use sqlite:///path/to/db.sqlite3 or postgres://user@host:5432/name."
    ) from error
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Wagtail's search index uses PostgreSQL's full-text search fields on this database.
    INSTALLED_APPS.append("django.contrib.postgres")

# --- Cache, sessions, tasks ----------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "civicnet"),
            "TIMEOUT": 300,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery reads every CELERY_* setting (see civicnet/celery.py).
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL.startswith("memory://")  # no broker: in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# Redis redelivers an unacknowledged task after the visibility timeout: keep it well above
# the longest task (CELERY_TASK_TIME_LIMIT) so a slow task is never run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "civicnet")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING below (JSON, request ids, error reporting), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict = {}
# Members: renewal reminders before yearly renewals, and expiry of ended memberships; both
# are safe to run again, so a missed or doubled run does no harm.
CELERY_BEAT_SCHEDULE["members-send-renewal-reminders"] = {
    "task": "members.send_renewal_reminders",
    "schedule": 24 * 60 * 60.0,
}
CELERY_BEAT_SCHEDULE["members-expire-memberships"] = {
    "task": "members.expire_memberships",
    "schedule": 24 * 60 * 60.0,
}
# Newsletter: start scheduled editions, and resume a send whose worker died mid-batch.
CELERY_BEAT_SCHEDULE["newsletter-send-due-editions"] = {
    "task": "newsletter.send_due_editions",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["newsletter-resume-stalled-sends"] = {
    "task": "newsletter.resume_stalled_sends",
    "schedule": float(NEWSLETTER_RESUME_EVERY_SECONDS),
}
# Events: 24-hour and 1-hour reminders found in the database (no far-future ETA tasks),
# and any registration email a crashed worker left unsent.
CELERY_BEAT_SCHEDULE["events-send-due-reminders"] = {
    "task": "events.send_due_reminders",
    "schedule": 60.0,
}
# Events: settle ticket payments whose buyer never came back from Stripe Checkout.
CELERY_BEAT_SCHEDULE["events-reconcile-ticket-payments"] = {
    "task": "events.reconcile_ticket_payments",
    "schedule": 300.0,
}

# --- Email ---------------------------------------------------------------------------------
_email = urlsplit(EMAIL_URL)
_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
}
if _email.scheme not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"EMAIL_URL must start with one of {', '.join(_EMAIL_BACKENDS)}://, not {EMAIL_URL!r}."
    )
EMAIL_BACKEND = env_str("EMAIL_BACKEND", _EMAIL_BACKENDS[_email.scheme])
# A hung mail server must not hold a worker (and the delivery row it locked) for minutes.
EMAIL_TIMEOUT = 30
if _email.scheme in {"smtp", "smtps"}:
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = parse_qs(_email.query).get("tls", ["0"])[0] == "1"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Authentication (django-allauth) -------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/account/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
ACCOUNT_CHANGE_EMAIL = True  # one address per person; a new one replaces it once verified
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "civicnet: "
# allauth's default rate limits stay on; they count in the shared cache (Redis in production).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "signup": "20/m/ip"}
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "civicnet"
# --- Staff two-factor (see core/staff.py and README "Staff: two-factor and permissions") ---
# Adding, changing or removing an authenticator, or new recovery codes, needs a password or
# code entered in the last five minutes, and mails the owner a notice (allauth's
# notifications, ACCOUNT_EMAIL_NOTIFICATIONS above).
MFA_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300

# --- Wagtail -------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "civicnet"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_IMAGE_MODEL = "wagtailimages.Image"
TAGGIT_CASE_INSENSITIVE = True
# Scheduled publishing: Wagtail's "go live at" / "expire at" are applied every minute.
CELERY_BEAT_SCHEDULE["publish-scheduled-pages"] = {
    "task": "library.tasks.publish_scheduled_pages",
    "schedule": 60.0,
}

# --- Static and media files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 60 if DEBUG else 31536000

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

# --- Security ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Wagtail's preview views relax this to SAMEORIGIN themselves.
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # Wagtail's admin sets inline styles; the public site's own CSS is all in files.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF, "https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "frame-ancestors": [CSP.SELF],
    "form-action": [CSP.SELF, "https://checkout.stripe.com", "https://billing.stripe.com"],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [f"https://{host.lstrip('.')}" for host in ALLOWED_HOSTS]

# --- Logging: JSON lines, each with the request id of its request or task -----------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "civicnet.logging.JsonFormatter"}},
    "filters": {"request_id": {"()": "core.request_id.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}
# --- Error reporting -----------------------------------------------------------------------
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=0,
    )
elif ADMINS:
    LOGGING["root"]["handlers"].append("mail_admins")
