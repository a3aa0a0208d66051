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
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from kombu import Exchange, Queue

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
# The public address, as visitors reach it. Links in emails, allauth's protocol and every
# https-only setting follow its scheme (see "Security" below). With DEBUG=0 it defaults to
# https on the first ALLOWED_HOSTS entry; a stack served over plain http sets it to http://...
SITE_URL = env_str("SITE_URL").rstrip("/")
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
# City Vitals refresh (`manage.py fetch_vitals`): the agencies' API keys and base addresses
# (tests point the bases at loopback). Each API needs its key (the Census Data API since
# May 2026); the Census population estimates file needs none. A request waits at most
# VITALS_FETCH_TIMEOUT_SECONDS and is tried up to VITALS_FETCH_ATTEMPTS times on a network
# error, 429 or 5xx, waiting VITALS_FETCH_RETRY_SECONDS * 2^attempt (or the Retry-After).
CENSUS_API_KEY = env_str("CENSUS_API_KEY")
BLS_API_KEY = env_str("BLS_API_KEY")
BEA_API_KEY = env_str("BEA_API_KEY")
CENSUS_API_BASE = env_str("CENSUS_API_BASE", "https://api.census.gov/data").rstrip("/")
CENSUS_PEP_FILES_BASE = env_str(
    "CENSUS_PEP_FILES_BASE", "https://www2.census.gov/programs-surveys/popest/datasets"
).rstrip("/")
BLS_API_BASE = env_str("BLS_API_BASE", "https://api.bls.gov/publicAPI/v2").rstrip("/")
BEA_API_BASE = env_str("BEA_API_BASE", "https://apps.bea.gov/api").rstrip("/")
VITALS_FETCH_TIMEOUT_SECONDS = env_int("VITALS_FETCH_TIMEOUT_SECONDS", 60)
VITALS_FETCH_ATTEMPTS = env_int("VITALS_FETCH_ATTEMPTS", 4)
VITALS_FETCH_RETRY_SECONDS = env_int("VITALS_FETCH_RETRY_SECONDS", 2)
# Days a member whose renewal payment failed keeps access while Stripe retries the card.
MEMBERSHIP_GRACE_DAYS = env_int("MEMBERSHIP_GRACE_DAYS", 14)
# Staff must set up an authenticator app before the admin opens (off on a laptop so the
# printed demo staff login works as is).
STAFF_REQUIRE_2FA = env_bool("STAFF_REQUIRE_2FA", not DEBUG)
# How many proxies in front of the site append to X-Forwarded-For (rate limits key on the
# client address they report; 0 trusts no header and uses the socket address).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Newsletter (newsletter): sender, confirmation link lifetime, delivery batch size,
# retries of transient SMTP errors (base * 2^attempt seconds), when a stalled send is resumed,
# and the shared secret the bounce/complaint webhook checks (unset: the webhook is off).
NEWSLETTER_FROM_EMAIL = env_str("NEWSLETTER_FROM_EMAIL", DEFAULT_FROM_EMAIL)
NEWSLETTER_CONFIRM_DAYS = env_int("NEWSLETTER_CONFIRM_DAYS", 3)
NEWSLETTER_BATCH_SIZE = env_int("NEWSLETTER_BATCH_SIZE", 500)
NEWSLETTER_MAX_ATTEMPTS = env_int("NEWSLETTER_MAX_ATTEMPTS", 5)
NEWSLETTER_RETRY_BASE_SECONDS = env_int("NEWSLETTER_RETRY_BASE_SECONDS", 30)
NEWSLETTER_STALL_SECONDS = env_int("NEWSLETTER_STALL_SECONDS", 300)
NEWSLETTER_WEBHOOK_SECRET = env_str("NEWSLETTER_WEBHOOK_SECRET")
# Newsletter engagement: count opens (a tracking image) and clicks (signed redirects) per
# delivery, unless a subscriber opts out; off, copies carry plain links and no image. The
# "opened or clicked lately" audience looks back NEWSLETTER_ENGAGED_DAYS.
NEWSLETTER_TRACKING = env_bool("NEWSLETTER_TRACKING", True)
NEWSLETTER_ENGAGED_DAYS = env_int("NEWSLETTER_ENGAGED_DAYS", 90)
# Bounces, complaints and unsubscribes from the mail provider arrive through django-anymail's
# tracking webhook at /newsletter/webhook/anymail/<provider>/tracking/, which the provider
# calls with HTTP basic auth "user:password" = ANYMAIL_WEBHOOK_SECRET (unset: the webhook is
# off). Providers that also sign their webhooks need their key, e.g. MAILGUN_WEBHOOK_SIGNING_KEY.
# Only the keys that are set: anymail would take an empty one as a key.
ANYMAIL = {
    name: value
    for name, value in {
        "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET"),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAILGUN_WEBHOOK_SIGNING_KEY"),
    }.items()
    if value
}
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
# Files (core.files, core.body_limit). Public uploads (images, renditions, profile photos)
# live under MEDIA_ROOT, served at /media/; members-only files (documents, challenge
# attachments, import uploads) under PRIVATE_MEDIA_ROOT, which no URL maps onto. Behind nginx,
# PRIVATE_FILES_ACCEL_PREFIX names its internal location (e.g. "/_private/", an alias of
# PRIVATE_MEDIA_ROOT) and gated views answer with X-Accel-Redirect; empty, Django streams.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private")))
PRIVATE_FILES_ACCEL_PREFIX = env_str("PRIVATE_FILES_ACCEL_PREFIX")
# Largest request body for any view; upload views allow more (see REQUEST_BODY_MAX_BYTES_BY_*).
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 3 * 1024 * 1024)
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# Errors (web and workers) go to Sentry when SENTRY_DSN is set, otherwise by email to ADMINS
# ("Name <address>, other@address"); with neither, only to the JSON log.
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
ADMINS = env_list("ADMINS")
# Seconds an anonymous visitor's page stays in the full-page cache (0 turns it off).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if DEBUG else 300)
# `make bench` only: mounts its no-database baseline view at /bench/hello/ (bench/hello.py).
BENCH_HELLO = env_bool("BENCH_HELLO", False)
# --- Resilience (page cache bounds, outages of the cache, broker and database) -------------
# How many new pages one client (by address, see TRUSTED_PROXY_COUNT) may make the page cache
# store per minute; past it their pages are still served, just not stored.
PAGE_CACHE_STORES_PER_CLIENT = env_int("PAGE_CACHE_STORES_PER_CLIENT", 60)
# Seconds the front proxy may keep an anonymous page that is the same for every visitor (a
# micro-cache in nginx, see core/page_cache.py); what staff publish shows within this. 0: never.
FRONT_CACHE_SECONDS = env_int("FRONT_CACHE_SECONDS", 2)
# The page cache (core.page_cache) keys a page on the query parameters its view reads (a
# full-match pattern on the name), by path (a full-match pattern). A page is cached once per combination of these; a request
# carrying any other parameter is rendered and served but not cached. A view that starts
# reading a new parameter must add it here, or its pages with it are simply not cached.
_RANKINGS_FILTERS = r"q|year|peer|region|state|band|sort|dir|w_[\w-]{1,40}"
PAGE_CACHE_QUERY_PARAMETERS = [
    (r"/vitals/", _RANKINGS_FILTERS),
    (r"/vitals/(rankings\.csv|api/rankings\.json)", _RANKINGS_FILTERS + "|indicator"),
    (r"/vitals/metros/[\w-]+/(data\.csv)?", r"peer"),
    (r"/vitals/(metros/[\w-]+/)?dividends/", r"peer|attainment|miles|poverty"),
    (r"/vitals/indicators/[\w-]+/", r"peer|series|metro"),
    (r"/vitals/compare/", r"metro|peer"),
    (r"/events/(past/)?", r"kind|topic|page"),
    (r"/blog/.*", r"page"),
    (r"/library/", r"type|topic|city|sort|page"),
    (r"/search/", r"q|type|page"),
]
# Milliseconds to wait for the cache Redis (connect, then each reply) before giving up on it,
# and seconds a web process then leaves it alone before trying again.
CACHE_TIMEOUT_MS = env_int("CACHE_TIMEOUT_MS", 250)
CACHE_RETRY_SECONDS = env_int("CACHE_RETRY_SECONDS", 2)
# Seconds to wait for PostgreSQL to accept a connection (a blackholed database must not
# hold a worker thread for minutes).
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)
# Seconds the database-down page asks clients to wait (Retry-After).
UNAVAILABLE_RETRY_AFTER = env_int("UNAVAILABLE_RETRY_AFTER", 30)
# Seconds a process holds tasks in the database (core.HeldTask) without trying the broker
# after it found the broker unreachable.
BROKER_RETRY_SECONDS = env_int("BROKER_RETRY_SECONDS", 5)

_media, _private = MEDIA_ROOT.resolve(), PRIVATE_MEDIA_ROOT.resolve()
if _media == _private or _media in _private.parents or _private in _media.parents:
    raise ImproperlyConfigured("MEDIA_ROOT and PRIVATE_MEDIA_ROOT must not contain each other.")
if PRIVATE_FILES_ACCEL_PREFIX and not PRIVATE_FILES_ACCEL_PREFIX.startswith("/"):
    raise ImproperlyConfigured("PRIVATE_FILES_ACCEL_PREFIX must be a path such as /_private/.")

if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0 (comma-separated).")
    SITE_URL = SITE_URL or f"https://{ALLOWED_HOSTS[0].lstrip('.')}"
else:
    SECRET_KEY = SECRET_KEY or "django-insecure-civicnet-development-key-not-for-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
    SITE_URL = SITE_URL or "http://127.0.0.1:8000"
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL must be http(s)://host[:port], not {SITE_URL!r}.")
SITE_IS_HTTPS = _site.scheme == "https"

# --- Applications --------------------------------------------------------------------------
INSTALLED_APPS = [
    "core",
    "civicnet",
    "members",
    "vitals",
    "events",
    "blog",
    "newsletter",
    "library",
    "anymail",
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
    "core.middleware.PermissionsPolicyMiddleware",
    # Before the page cache and every lookup: a NUL byte in a URL is a 400, not a 500.
    "core.middleware.RejectControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions: a cached anonymous page is served without touching them.
    "core.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the person, their session's row and "holds a permission?" in one query.
    "core.auth.OneQueryAuthenticationMiddleware",
    # Wraps everything below it: any response to a signed-in visitor is Cache-Control: private.
    "core.middleware.PrivateForSignedInMiddleware",
    # Before anything reads the body (CSRF reads POST in process_view): oversized bodies are
    # refused unread. After authentication, which decides who may send an upload.
    "core.body_limit.RequestBodyLimitMiddleware",
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
                # Overrides Django's built-in csrf processor: notes the tokens handed out,
                # so the page cache can take them out of the page it stores.
                "core.context_processors.csrf",
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
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT
    # Values sent apart from the SQL (psycopg's server-side binding), and a statement run five
    # times on a connection prepared (psycopg's prepare_threshold; Django turns it off unless
    # asked): PostgreSQL plans the queries every request runs (the person, the site, the pages
    # along the path) once per connection, not once per request (0.5-0.8 ms for the person's
    # alone). Connections go straight to PostgreSQL; a transaction-mode pooler (PgBouncer)
    # put between would need prepare_threshold None.
    DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
    # Wagtail's search index uses PostgreSQL's full-text search fields on this database.
    INSTALLED_APPS.append("django.contrib.postgres")

# --- Cache, sessions, tasks ----------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            # Answers as an empty cache while Redis is down (core/cache.py): the site serves
            # on, only slower; short timeouts so a hung Redis costs little.
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "civicnet"),
            "TIMEOUT": 300,
            "RETRY_SECONDS": CACHE_RETRY_SECONDS,
            "OPTIONS": {
                "socket_connect_timeout": CACHE_TIMEOUT_MS / 1000,
                "socket_timeout": CACHE_TIMEOUT_MS / 1000,
            },
        }
    }
    # Sessions are read from the cache and written through to the database (cached_db): a
    # signed-in request asks PostgreSQL nothing for its session while Redis has it. A cache
    # outage signs nobody out: the cache answers as empty (core.cache) and the row is read
    # instead; core.auth checks the row still exists on every signed-in request, so a copy
    # left in the cache by a sign-out made while Redis was away is refused.
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
# --- Celery queues: transactional mail never waits behind bulk or slow work ---------------
# Three queues, each with its own worker service in docker-compose.yml: "mail" (one email to
# one person: registrations, confirmations, reminders), "bulk" (newsletter batches, which can
# take many minutes) and "default" (everything else). CELERY_QUEUE renames the default queue
# and prefixes the other two, so each test run keeps queues of its own; a worker started
# without -Q consumes all three.
CELERY_QUEUE = env_str("CELERY_QUEUE", "default")
_queue_prefix = "" if CELERY_QUEUE == "default" else f"{CELERY_QUEUE}-"
CELERY_MAIL_QUEUE = f"{_queue_prefix}mail"
CELERY_BULK_QUEUE = f"{_queue_prefix}bulk"
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in (CELERY_QUEUE, CELERY_MAIL_QUEUE, CELERY_BULK_QUEUE)
]
CELERY_TASK_ROUTES = {
    "events.send_registration_email": {"queue": CELERY_MAIL_QUEUE},
    "events.send_due_reminders": {"queue": CELERY_MAIL_QUEUE},
    "members.send_renewal_reminders": {"queue": CELERY_MAIL_QUEUE},
    "members.send_retention_emails": {"queue": CELERY_MAIL_QUEUE},
    "members.send_join_request_emails": {"queue": CELERY_MAIL_QUEUE},
    "civicnet.send_contact_message": {"queue": CELERY_MAIL_QUEUE},
    "newsletter.send_confirmation_email": {"queue": CELERY_MAIL_QUEUE},
    "newsletter.prepare_edition": {"queue": CELERY_BULK_QUEUE},
    "newsletter.send_batch": {"queue": CELERY_BULK_QUEUE},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING below (JSON, request ids, error reporting), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A page that queues a task must not wait seconds for a dead broker: fail fast, and the
# task is held in the database (core.tasks.HoldingTask) and queued again by beat.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] = 1
CELERY_BEAT_SCHEDULE: dict = {}
# Tasks held in the database while the broker was down go out again within a minute of
# its return; expired sessions (database-only) are deleted daily.
CELERY_BEAT_SCHEDULE["core-release-held-tasks"] = {
    "task": "core.release_held_tasks",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["core-clear-expired-sessions"] = {
    "task": "core.clear_expired_sessions",
    "schedule": 24 * 60 * 60.0,
}
# Members: the retention ladder (members.services.retention: renewal reminders 30 and 7 days
# before a yearly renewal, 3 days before a monthly end without auto-renew, lapse and win-back)
# runs after the night's expiries; both are safe to run again, so a missed or doubled run does
# no harm. The older single 14-day reminder (members.send_renewal_reminders) is not scheduled:
# the ladder replaces it.
# Daily jobs run at a fixed time of day (crontab, in TIME_ZONE): a 24-hour interval would
# drift with every redeploy of beat.
CELERY_BEAT_SCHEDULE["members-send-retention-emails"] = {
    "task": "members.send_retention_emails",
    "schedule": crontab(hour=9, minute=15),
}
CELERY_BEAT_SCHEDULE["members-expire-memberships"] = {
    "task": "members.expire_memberships",
    "schedule": crontab(hour=0, minute=30),
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
# Events: withdraw lapsed waitlist offers and offer freed places to the next person waiting.
CELERY_BEAT_SCHEDULE["events-offer-waitlist-places"] = {
    "task": "events.offer_waitlist_places",
    "schedule": 60.0,
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
# One-to-one rows core.auth reads with the signed-in person, in the same query: every
# members-only page asks for the membership (members.selectors.membership_is_active); the
# profile and its metro are the account page's card and the directory's "are you listed".
AUTH_USER_SELECT_RELATED = ["membership", "profile__home_metro"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/account/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# The confirmation link signs in the person who just signed up (in the same browser).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Links in account emails use the scheme the site is served on (SITE_URL), never a guess.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _site.scheme
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
ACCOUNT_CHANGE_EMAIL = True  # one address per person; a new one replaces it once verified
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "civicnet: "
# allauth's default rate limits stay on; they count in the shared cache (Redis in production).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    # Sign-in codes: a few per address in ten minutes, so nobody floods an inbox.
    "request_login_code": "10/m/ip,3/10m/key",
}
# Sign in with a code mailed to the address, as an alternative to the password. A code lasts
# ten minutes and takes three wrong tries; staff still need their second factor afterwards.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 600
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Input, headers and sign-in hardening (issue 11): failed logins count per client address
# and per (client address, account), so nobody can lock the owner out from elsewhere
# (behind a proxy TRUSTED_PROXY_COUNT must be set, or every visitor shares the proxy's
# address); sign-up hashes the password whether or not the address is taken.
ACCOUNT_ADAPTER = "members.accounts.AccountAdapter"
ACCOUNT_USER_DISPLAY = "members.accounts.user_display"  # the name, never the username
ACCOUNT_FORMS = {"login": "members.accounts.LoginForm", "signup": "members.accounts.SignupForm"}
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
# The admin's avatars would come from Gravatar, which the CSP (img-src self) blocks: none.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
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
    # Public folders under MEDIA_ROOT, every other name (Wagtail documents too) private.
    "default": {"BACKEND": "core.files.MediaStorage"},
    "private": {"BACKEND": "core.files.PrivateStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 60 if DEBUG else 31536000
WAGTAILDOCS_MAX_UPLOAD_SIZE = 100 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# Bodies larger than REQUEST_BODY_MAX_BYTES are accepted only from a signed-in person, and only
# by upload views: ours say so with @core.body_limit.request_body_limit, Wagtail's admin
# uploads are listed here by URL namespace. The margin covers multipart framing and fields.
_UPLOAD_MARGIN = 1024 * 1024
REQUEST_BODY_MAX_BYTES_BY_NAMESPACE = {
    "wagtaildocs": WAGTAILDOCS_MAX_UPLOAD_SIZE + _UPLOAD_MARGIN,
    "wagtaildocs_chooser": WAGTAILDOCS_MAX_UPLOAD_SIZE + _UPLOAD_MARGIN,
    "wagtailimages": WAGTAILIMAGES_MAX_UPLOAD_SIZE + _UPLOAD_MARGIN,
    "wagtailimages_chooser": WAGTAILIMAGES_MAX_UPLOAD_SIZE + _UPLOAD_MARGIN,
}

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
CELERY_TIMEZONE = TIME_ZONE  # beat's crontab schedules are in the site's time zone
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
# --- Deployment: https follows SITE_URL ---------------------------------------------------
# The front proxy (nginx) terminates the client connection and says which scheme it used in
# X-Forwarded-Proto. When SITE_URL is https (production), cookies are secure, http is
# redirected and HSTS is sent; when it is http (a local stack, or TLS not set up yet), none of
# these is on, so sessions, CSRF and the links in emails work on the address actually served.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SITE_IS_HTTPS)
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SITE_IS_HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SITE_IS_HTTPS
    SECURE_HSTS_PRELOAD = SITE_IS_HTTPS
    SESSION_COOKIE_SECURE = SITE_IS_HTTPS
    CSRF_COOKIE_SECURE = SITE_IS_HTTPS
    CSRF_TRUSTED_ORIGINS = list(
        dict.fromkeys(
            [f"{_site.scheme}://{_site.netloc}"]
            + [f"{_site.scheme}://{host.lstrip('.')}" for host in ALLOWED_HOSTS]
        )
    )

# --- Input, headers and caching of signed-in pages (issue 11) ----------------------------
# Browser features no page of the site uses; video embeds may go full screen.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "fullscreen": ["self", '"https://www.youtube-nocookie.com"', '"https://player.vimeo.com"'],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": ["self"],
    "usb": [],
    "browsing-topics": [],
}
# "Was this page helpful?": new anonymous votes one client address may cast on one page
# per hour (a returning visitor's signed cookie changes their vote instead).
FEEDBACK_ANONYMOUS_VOTES_PER_HOUR = 3
# Stripe signs a timestamp; the stripe library refuses old ones, we also refuse ones this
# far in the future (a clock skew allowance), which a replayed or forged header could carry.
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300

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
        "weasyprint": {"level": "WARNING"},  # it logs every rendering step at INFO
        "fontTools": {"level": "WARNING"},
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
