"""chatsite settings: every knob is read from the environment, here and only here.

With nothing set you get the embedded default: debug on, SQLite next to
manage.py, the in-memory channel layer, one process. Setting DATABASE_URL and
REDIS_URL moves the same code to PostgreSQL and Redis for scale-out. With
DJANGO_DEBUG off the site refuses to start without a real DJANGO_SECRET_KEY and
DJANGO_ALLOWED_HOSTS. Every variable is listed in .env.example.
"""

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    value = env_str(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-chatsite-development-only-never-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves HTTP and WebSockets
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "chatsite",  # for its make_icons command (static/icons/README.md)
    "chatsite.accounts",
    "allauth",  # sign-up, login, password reset, email verification and their rate limits
    "allauth.account",
    "rooms",
]

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so it sees a view's exception first: a database outage is a 503 page, not a 500 (rooms/web/outage.py).
    "rooms.web.outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "chatsite.urls"
ASGI_APPLICATION = "chatsite.asgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections: every WebSocket database call runs in the one
        # sync_to_async thread, and reconnecting for each (the default, 0) was a
        # quarter of that thread's time under load (docs/performance.md).
        # A broken connection is dropped after the call that hit the error.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
        # A kept connection can die while idle (the database restarted, a proxy or failover cut it):
        # checked before each call reuses it, and replaced, so the first call after a quiet restart
        # succeeds instead of failing and being answered `unavailable` (docs/deploy.md).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of failing with "locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that stops answering fails a connection attempt after 5 s instead of never
    # (libpq waits for ever by default), so /healthz and the chat report it rather than hang.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer and cache ------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
# One subscription per server process carries every room of that process
# (rooms/realtime/), so the layer's capacity is per process, not per socket (the
# in-memory layer and REDIS_CHANNEL_LAYER=core; pub/sub has no queue).
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 5000, minimum=1)
# Processes that share a database are one site. Sites (or test runs) that share a Redis must
# not hear each other's rooms or share rate-limit counters, so their keys are named after it.
_database = DATABASES["default"]
_site = f"{_database.get('HOST', '')}:{_database.get('PORT', '')}/{_database['NAME']}"
SITE_KEY = "chatsite." + hashlib.sha256(_site.encode()).hexdigest()[:12]
if REDIS_URL:
    # "pubsub" (the default): channels_redis's RedisPubSubChannelLayer, plain PUBLISH and
    # SUBSCRIBE: one round trip per send, none per receive, no queue to overflow or expire,
    # and a crashed process's subscriptions die with its connection. "core":
    # RedisChannelLayer, a queue per channel in Redis; four round trips per send and per
    # receive. Messages either loses in an outage are refilled from the database by the hub.
    # docs/performance.md measures both.
    REDIS_CHANNEL_LAYER = env_str("REDIS_CHANNEL_LAYER", "pubsub")
    if REDIS_CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [REDIS_URL], "prefix": SITE_KEY},
            }
        }
    elif REDIS_CHANNEL_LAYER == "core":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [REDIS_URL],
                    "prefix": SITE_KEY,
                    "capacity": CHANNEL_CAPACITY,
                    # A message not received within a minute is dropped; the hub refills from the database.
                    "expiry": 60,
                    # Each hub renews its subscriptions every housekeeping round (5 s at most), so this
                    # need not cover a socket's lifetime (daphne's --websocket_timeout); it is how long a
                    # crashed process's channel keeps receiving copies of its rooms (docs/deploy.md).
                    "group_expiry": 300,
                },
            }
        }
    else:
        raise ImproperlyConfigured(f"REDIS_CHANNEL_LAYER must be pubsub or core, not {REDIS_CHANNEL_LAYER!r}")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": SITE_KEY,
            # Rate-limit checks run on the database thread: a Redis that hangs must not stall it.
            # Past these, throttle.py lets the request through and logs the outage.
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY, "expiry": 60},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Sessions, auth, security -----------------------------------------------

SESSION_ENGINE = "chatsite.sessions"  # the database store, its read prepared (chatsite/sessions.py)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 30, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts, styles and sockets from this site only; no inline script, no plugins, no framing.
# One narrow exception, for the vendored emoji picker (static/vendor/emoji-picker-element,
# see its README): its shadow DOM brings one fixed <style> element, allowed by its hash
# only, and sets style attributes (grid sizes, the category indicator's position).
# style-src-attr cannot run script or load anything (img-src and font-src stay 'self');
# no <style> element or stylesheet from anywhere else is allowed.
EMOJI_PICKER_STYLE_HASH = "'sha256-rg2BpwZ4T9EADaas/dlxn0KsISPDXXIabE9pnJ++3UQ='"  # emoji-picker-element 1.29.1
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-elem": [SELF, EMOJI_PICKER_STYLE_HASH],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts (optional: guests never need one) ----------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # the admin's staff logins
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"username"}
# Email is optional at sign-up; without one a forgotten password cannot be reset.
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_USERNAME_MIN_LENGTH = 2
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_ADAPTER = "chatsite.accounts.adapter.AccountAdapter"
# allauth's own limits (its defaults, stated here so docs/security.md can cite them): wrong
# passwords per address and per account, sign-ups and reset mails per address.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("ACCOUNT_LOGIN_FAILED_LIMIT", "10/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "chatsite <chatsite@localhost>")
# Mail goes to the console unless an SMTP server is configured.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)

# Avatars (chatsite/accounts/avatars.py): the largest upload taken, and the most pixels its
# header may claim before Pillow decodes it (a decompression bomb is small on the wire).
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 5_000_000, minimum=1)
AVATAR_MAX_PIXELS = env_int("AVATAR_MAX_PIXELS", 25_000_000, minimum=1)
# Attachments (rooms/media.py): the most bytes one file, and all of one message's files together, may have;
# the most pixels a picture may have (decompression bombs); uploads per person per window; files per message.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 25_000_000, minimum=1)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 50_000_000, minimum=1)
UPLOAD_RATE_LIMIT = env_int("UPLOAD_RATE_LIMIT", 30, minimum=1)
UPLOAD_RATE_WINDOW_SECONDS = env_int("UPLOAD_RATE_WINDOW_SECONDS", 60, minimum=1)
ATTACHMENTS_PER_MESSAGE_MAX = env_int("ATTACHMENTS_PER_MESSAGE_MAX", 10, minimum=1)
# An upload never sent (a closed page, a cancelled message) is swept with its files after this many
# seconds, by every process's housekeeping (rooms/realtime/housekeeping.py).
UPLOAD_UNSENT_TTL = env_int("UPLOAD_UNSENT_TTL", 3600, minimum=60)
# Uploads read and drawn again at once per process, pictures in worker processes (rooms/drawing.py), and
# how many more may wait for a place; past that an upload is refused at once (uploads_busy, HTTP 429).
UPLOAD_CONCURRENCY = env_int("UPLOAD_CONCURRENCY", 2, minimum=1)
UPLOAD_QUEUE_MAX = env_int("UPLOAD_QUEUE_MAX", 32, minimum=0)
# Link previews (rooms/previews.py, rooms/services/previews.py): the card under a message's first link,
# fetched by the server through an SSRF guard. Off with DJANGO_LINK_PREVIEWS=0 (then nothing is fetched).
LINK_PREVIEWS = env_bool("DJANGO_LINK_PREVIEWS", True)
# Hosts the fetcher may reach whatever they resolve to (loopback included): for tests only, empty otherwise.
LINK_PREVIEW_ALLOWED_HOSTS = env_list("DJANGO_LINK_PREVIEW_ALLOWED_HOSTS", [])
LINK_PREVIEW_TIMEOUT = env_float("LINK_PREVIEW_TIMEOUT", 5.0, minimum=0.1)  # seconds for page, redirects and picture
LINK_PREVIEW_MAX_BYTES = env_int("LINK_PREVIEW_MAX_BYTES", 1_000_000, minimum=1)  # read of the page, and the picture
LINK_PREVIEW_MAX_REDIRECTS = env_int("LINK_PREVIEW_MAX_REDIRECTS", 3)
LINK_PREVIEW_CONCURRENCY = env_int("LINK_PREVIEW_CONCURRENCY", 2, minimum=1)  # fetches at once per process
LINK_PREVIEW_QUEUE_MAX = env_int("LINK_PREVIEW_QUEUE_MAX", 100, minimum=1)  # links waiting per process; more: none
LINK_PREVIEW_CACHE_SECONDS = env_int("LINK_PREVIEW_CACHE_SECONDS", 600)  # one fetch per URL per process meanwhile
# Behind nginx: the internal location that serves MEDIA_ROOT (docs/deploy/nginx.conf), so Django checks
# who may read a file and nginx sends it. Empty: Django streams the file itself.
MEDIA_X_ACCEL_PREFIX = env_str("MEDIA_X_ACCEL_PREFIX")

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind the documented nginx, which sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A load balancer polls /healthz over plain HTTP on each server process (docs/deploy.md).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
# Where collectstatic puts the files whitenoise serves in production (docs/deploy.md).
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (avatars, attachments), through Django's storage API: on disk by default, served by
# chatsite's views in development and by nginx in production (docs/deploy.md); or, with
# DJANGO_STORAGE=s3 (or AWS_STORAGE_BUCKET_NAME set), in an S3-compatible bucket (below).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
DJANGO_STORAGE = env_str("DJANGO_STORAGE").lower() or ("s3" if env_str("AWS_STORAGE_BUCKET_NAME") else "filesystem")
if DJANGO_STORAGE not in {"filesystem", "s3"}:
    raise ImproperlyConfigured(f"DJANGO_STORAGE must be filesystem or s3, not {DJANGO_STORAGE!r}")
# How long a signed URL to a private file in the bucket stays good (the attachment view checks the
# reader, then redirects there: rooms/web/attachments.py). Short: a URL passed on stops working soon.
MEDIA_SIGNED_URL_SECONDS = env_int("MEDIA_SIGNED_URL_SECONDS", 300, minimum=1)
MEDIA_S3 = DJANGO_STORAGE == "s3"
if MEDIA_S3:
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("DJANGO_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    _S3_ENDPOINT = env_str("AWS_S3_ENDPOINT_URL")  # empty: AWS itself; else MinIO, Ceph, R2, moto...
    _S3_ADDRESSING = env_str("AWS_S3_ADDRESSING_STYLE") or ("path" if _S3_ENDPOINT else "virtual")
    if _S3_ADDRESSING not in {"path", "virtual"}:
        raise ImproperlyConfigured(f"AWS_S3_ADDRESSING_STYLE must be path or virtual, not {_S3_ADDRESSING!r}")
    _S3_OPTIONS = {
        "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": _S3_ENDPOINT or None,
        "region_name": env_str("AWS_S3_REGION_NAME") or None,
        # Empty: boto3 finds credentials itself (an instance role, ~/.aws); set, they are these.
        "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
        "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
        "location": env_str("AWS_LOCATION"),  # a folder inside the bucket, if it is shared
        "addressing_style": _S3_ADDRESSING,
        "signature_version": "s3v4",
        # Every object is private (the bucket's own default, no public-read ACL) and read only through
        # a URL signed for MEDIA_SIGNED_URL_SECONDS; a custom domain would serve them unsigned, so none.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": MEDIA_SIGNED_URL_SECONDS,
        "custom_domain": None,
        # Names are chatsite's own (random folders): never overwrite one by accident.
        "file_overwrite": False,
    }
    # Pages load pictures (avatars, thumbnails) and media from the bucket's address, so the CSP allows it.
    _S3_HOST = (
        urlsplit(_S3_ENDPOINT).netloc
        if _S3_ENDPOINT
        else f"s3.{_S3_OPTIONS['region_name'] or 'us-east-1'}.amazonaws.com"
    )
    _S3_SCHEME = urlsplit(_S3_ENDPOINT).scheme if _S3_ENDPOINT else "https"
    if _S3_ADDRESSING == "virtual":
        _S3_HOST = f"{_S3_OPTIONS['bucket_name']}.{_S3_HOST}"
    MEDIA_ORIGIN = env_str("MEDIA_ORIGIN") or f"{_S3_SCHEME}://{_S3_HOST}"
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(MEDIA_ORIGIN)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["media-src"] = [SELF, MEDIA_ORIGIN]
    _DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _S3_OPTIONS}
else:
    MEDIA_ORIGIN = ""
    _DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "chatsite.staticstorage.StaticFilesStorage"
        )
    },
}
# Serve straight from static/ in development, so `daphne chatsite.asgi:application`
# works without collectstatic; production serves the collected, hashed files.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# whitenoise knows no .webmanifest (it would say application/octet-stream).
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "layer_outage": {"()": "rooms.realtime.outages.LayerOutageFilter"},
        "refusal": {"()": "chatsite.logs.RefusalWithoutTraceback"},
        "health_answer": {"()": "chatsite.logs.HealthAnswer"},
        "unparsable_body": {"()": "chatsite.logs.UnparsableBody"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # A Redis outage, once a minute in one line instead of a traceback a second (rooms/realtime/outages.py).
        "channels_redis.pubsub": {"filters": ["layer_outage"]},
        # An oversized form or upload is answered 400; one line, not a traceback (chatsite/logs.py).
        # /healthz's 503 during an outage is its answer, not a fault (chatsite/logs.py).
        # A multipart body with no or a broken boundary is answered 400; one line too (chatsite/logs.py).
        "django.request": {"filters": ["health_answer", "unparsable_body"]},
        "django.security.RequestDataTooBig": {"filters": ["refusal"]},
        "django.security.TooManyFieldsSent": {"filters": ["refusal"]},
        "django.security.TooManyFilesSent": {"filters": ["refusal"]},
    },
}

# --- Chat -------------------------------------------------------------------

MAX_MESSAGE_LENGTH = env_int("MAX_MESSAGE_LENGTH", 2000, minimum=1)
MAX_USERNAME_LENGTH = 32
# Display names nobody may take, nor any look-alike of them (chatsite/names.py): they could pass for the server's own notices.
RESERVED_NAMES = env_list(
    "RESERVED_NAMES", ["system", "server", "chatsite", "admin", "administrator", "moderator", "staff", "notice"]
)
TOPIC_ROOMS = env_list("TOPIC_ROOMS", ["general", "tech", "sports", "music", "gaming"])
HISTORY_PAGE_SIZE = 50
HISTORY_MAX_PAGE = 100
PRESENCE_TIMEOUT_SECONDS = env_float("PRESENCE_TIMEOUT_SECONDS", 60, minimum=1)
# A stopping process (SIGTERM) waits this long for its clients to reconnect elsewhere, then takes
# the members still counted on it out of their rooms (so nobody reads as "left" and "joined").
SHUTDOWN_GRACE_SECONDS = env_float("SHUTDOWN_GRACE_SECONDS", 2, minimum=0)
ROOM_EMPTY_GRACE_SECONDS = env_float("ROOM_EMPTY_GRACE_SECONDS", 30, minimum=0)
# Empty named (public, user-made) rooms are deleted, with their messages, once nobody has been in
# them or written for this long; 0 keeps them for ever. Topic rooms are never deleted.
ROOM_IDLE_EXPIRY_SECONDS = env_float("ROOM_IDLE_EXPIRY_SECONDS", 7 * 24 * 3600, minimum=0)
if env_str("DELETE_EMPTY_NAMED_ROOMS"):
    # Its "0" (keep for ever) was the default; keeping it silently would hide that rooms now
    # expire, and turning it into a number would guess. The operator says which (docs/deploy.md).
    raise ImproperlyConfigured(
        "DELETE_EMPTY_NAMED_ROOMS is replaced by ROOM_IDLE_EXPIRY_SECONDS: unset it, and set "
        "ROOM_IDLE_EXPIRY_SECONDS=0 to keep empty named rooms for ever (what DELETE_EMPTY_NAMED_ROOMS=0 did), "
        "or =30 to delete them like DELETE_EMPTY_NAMED_ROOMS=1 did (default: 604800, a week)."
    )
# Creating rooms (named and private): at most this many per ROOM_CREATE_WINDOW_SECONDS per person
# (session or account) and per client address. Joining existing rooms is never limited by this.
ROOM_CREATE_LIMIT = env_int("ROOM_CREATE_LIMIT", 5, minimum=1)
ROOM_CREATE_ADDRESS_LIMIT = env_int("ROOM_CREATE_ADDRESS_LIMIT", 20, minimum=1)
ROOM_CREATE_WINDOW_SECONDS = env_int("ROOM_CREATE_WINDOW_SECONDS", 600, minimum=1)
# The lobby, room_list and the sidebar carry at most this many public rooms (topic rooms always,
# then the busiest); find_rooms pages through the rest, this many at a time.
LOBBY_ROOMS_MAX = env_int("LOBBY_ROOMS_MAX", 50, minimum=1)
RESUME_MAX = env_int("RESUME_MAX", 1000, minimum=1)
EDIT_WINDOW_SECONDS = env_int("EDIT_WINDOW_SECONDS", 900)
# Reactions: different emoji one message may carry, and changes (add or remove) one person may
# make per window; REACTIONS_COALESCE_MS: a message's reaction updates within this long of the
# last ones sent go out as one (its newest state); 0 sends every change at once.
REACTIONS_PER_MESSAGE_MAX = env_int("REACTIONS_PER_MESSAGE_MAX", 20, minimum=1)
REACTION_RATE_LIMIT = env_int("REACTION_RATE_LIMIT", 30, minimum=1)
REACTION_RATE_WINDOW_SECONDS = env_int("REACTION_RATE_WINDOW_SECONDS", 10, minimum=1)
REACTIONS_COALESCE_MS = env_int("REACTIONS_COALESCE_MS", 200)
# Unread counts of public and private rooms reach members who are elsewhere at most once per this
# window per process (rooms/realtime/unread.py); 0: not live (they come with inbox and mark_read).
UNREAD_COALESCE_MS = env_int("UNREAD_COALESCE_MS", 1000)
# Message search (rooms/selectors/search.py). SEARCH_CONFIG is a PostgreSQL text search
# configuration: "simple" (the default) lower-cases words and never stems, so a word in any
# language is found as written; "english" (etc.) stems (running finds run) and drops stop words,
# right for one language only. On SQLite any config but simple selects FTS5's porter stemmer
# (English). It is written into the index when it is built (a migration, or
# `manage.py search_reindex` after changing it). Searches one person may make per window (seconds).
SEARCH_CONFIG = env_str("SEARCH_CONFIG", "simple")
if not re.fullmatch(r"[a-z_]{1,63}", SEARCH_CONFIG):
    raise ImproperlyConfigured("SEARCH_CONFIG is a text search configuration name, such as simple or english.")
SEARCH_PAGE_SIZE = env_int("SEARCH_PAGE_SIZE", 20, minimum=1)
SEARCH_RATE_LIMIT = env_int("SEARCH_RATE_LIMIT", 30, minimum=1)
SEARCH_RATE_WINDOW_SECONDS = env_int("SEARCH_RATE_WINDOW_SECONDS", 10, minimum=1)
# Flood control, per connection: a token bucket for messages (send and edit) ...
RATE_LIMIT_BURST = env_int("RATE_LIMIT_BURST", 10, minimum=1)
RATE_LIMIT_PER_SECOND = env_float("RATE_LIMIT_PER_SECOND", 1.0, minimum=0.01)
# ... and a looser one for every frame; a client far past it is disconnected.
FRAME_RATE_BURST = env_int("FRAME_RATE_BURST", 60, minimum=1)
FRAME_RATE_PER_SECOND = env_float("FRAME_RATE_PER_SECOND", 20.0, minimum=0.1)
FLOOD_DISCONNECT_AFTER = env_int("FLOOD_DISCONNECT_AFTER", 200, minimum=1)
# Guessing private codes: unknown-room joins allowed per minute, per session and per IP.
JOIN_MISS_LIMIT = env_int("JOIN_MISS_LIMIT", 20, minimum=1)
# A kicked member may not come back for this long.
KICK_BAN_SECONDS = env_int("KICK_BAN_SECONDS", 300)
# Daphne's own WebSocket limits, in bytes, for `manage.py runserver` (the daphne
# command line takes the same numbers as flags; see README). A frame may hold
# rooms.ws.protocol.MAX_FRAME_CHARS characters of up to 4 UTF-8 bytes each; past
# this daphne closes the socket with 1009 before chatsite reads anything.
DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE = 256 * 1024
DAPHNE_WEBSOCKET_MAX_FRAME_SIZE = 256 * 1024
TYPING_INTERVAL_SECONDS = 2.0
# A socket whose client stopped reading is closed (4013, reconnect and resume) once this many
# bytes wait for it in the server; it resumes from the database when it comes back.
WS_SEND_BACKLOG_MAX_BYTES = env_int("WS_SEND_BACKLOG_MAX_BYTES", 512 * 1024, minimum=16 * 1024)
# Admission control of posting (rooms/services/posting.py PostQueue): at most this many messages wait for
# the next group commit in one process; past it send_message is answered `busy {retry_after}` (the client keeps
# the message and sends it again after POST_BUSY_RETRY_SECONDS) instead of queueing without bound.
POST_QUEUE_MAX = env_int("POST_QUEUE_MAX", 2000, minimum=1)
POST_BUSY_RETRY_SECONDS = env_float("POST_BUSY_RETRY_SECONDS", 1.0, minimum=0.1)
# Admission at the handshake (rooms/ws/admission.py): while more than this many database calls of the process
# are outstanding (waiting for its one database thread, or running there), a new WebSocket is refused as
# "try again" (the page retries with backoff) instead of queueing behind them: a reconnect storm stays
# within what the process gets through (docs/performance.md).
WS_HANDSHAKE_QUEUE_MAX = env_int("WS_HANDSHAKE_QUEUE_MAX", 200, minimum=0)
# Under daphne an upgrade request that finds no room for its opening is held, not refused, for at most this many seconds
# (oldest first, let in as the process catches up; 0: refused at once), and at most WS_HANDSHAKE_WAIT_MAX of
# them at a time (the next are refused): a page waits its turn instead of backing off while the process idles.
WS_HANDSHAKE_WAIT_SECONDS = env_float("WS_HANDSHAKE_WAIT_SECONDS", 30.0, minimum=0.0)
WS_HANDSHAKE_WAIT_MAX = env_int("WS_HANDSHAKE_WAIT_MAX", 5000, minimum=0)
# Open sockets one person (a guest's session, or a logged-in user) may hold in one server process;
# the next is accepted and closed with 4014 ("too many open tabs"). Per process: docs/security.md.
WS_MAX_SOCKETS_PER_PERSON = env_int("WS_MAX_SOCKETS_PER_PERSON", 20, minimum=1)
# The Socket.IO endpoint (/socket.io/, rooms/ws/sio/): Engine.IO heartbeats (the server pings every
# interval; a client that has not answered within the timeout is dropped), the largest packet or
# polling POST body a client may send (bytes), the Engine.IO sessions one process holds at most, and
# how long a session may wait for its Socket.IO CONNECT before it is dropped.
SIO_PING_INTERVAL_SECONDS = env_float("SIO_PING_INTERVAL_SECONDS", 25.0, minimum=0.1)
SIO_PING_TIMEOUT_SECONDS = env_float("SIO_PING_TIMEOUT_SECONDS", 20.0, minimum=0.1)
SIO_MAX_PAYLOAD_BYTES = env_int("SIO_MAX_PAYLOAD_BYTES", 256 * 1024, minimum=1024)
SIO_MAX_SESSIONS = env_int("SIO_MAX_SESSIONS", 10_000, minimum=1)
SIO_CONNECT_TIMEOUT_SECONDS = env_float("SIO_CONNECT_TIMEOUT_SECONDS", 45.0, minimum=0.1)
