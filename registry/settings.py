"""Settings for the registry, read from the environment in this one file.

Environment variables:
    DEBUG          "1"/"true" turns on development mode (off by default).
    SECRET_KEY     required unless DEBUG is on.
    ALLOWED_HOSTS  comma-separated; defaults to loopback names only in DEBUG.
    DATABASE_URL   e.g. postgres://postgres@127.0.0.1:5432/registry; SQLite file when unset.
    REDIS_URL      e.g. redis://127.0.0.1:6379/0 selects Redis as the cache (and session cache).
    PAGE_CACHE     "1"/"0": the anonymous page cache; on by default with REDIS_URL or DEBUG.
    DATABASE_REPLICA_URL  a read replica of DATABASE_URL: reads go there (registry/routers.py).
    Running several app servers: docs/deploy.md.
    PRODUCTION     "1" serves over HTTPS only, hardened; docs/security.md lists its variables
                   and those of sign-in lock-out and import limits.
    NUM_PROXIES    how many proxies in front of the app append to X-Forwarded-For (default 0:
                   the client is the peer address, REMOTE_ADDR, and the header is ignored).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=()):
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default)


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-key-never-used-in-production"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it comes first.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "reversion",
    "profiles",
    "axes",
]

MIDDLEWARE = [
    # First: /healthz for load balancers, then 503s for a lost database (registry/infra/middleware.py).
    "registry.infra.middleware.HealthCheckMiddleware",
    "registry.infra.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions: a cached anonymous page is served without the session or the database.
    "registry.infra.page_cache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "profiles.accounts.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it turns a locked-out sign-in into the lock-out page (docs/security.md).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "profiles.web.context_processors.alternates",
            ],
        },
    },
]

WSGI_APPLICATION = "registry.wsgi.application"

if not os.environ.get("DATABASE_URL"):
    (BASE_DIR / "var").mkdir(exist_ok=True)  # the embedded database's folder, on a fresh checkout
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'registry.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer fails the request fast (a 503) instead of hanging it;
    # libpq's minimum is 2 s (a stopped server refuses at once).
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DATABASE_CONNECT_TIMEOUT", "2")
    )
if os.environ.get("DATABASE_REPLICA_URL"):
    # Reads to the replica, writes and read-after-write to the primary (registry/routers.py).
    DATABASES["replica"] = {
        **dj_database_url.parse(
            os.environ["DATABASE_REPLICA_URL"],
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=True,
        ),
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["registry.infra.routers.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
                      "registry.infra.middleware.PrimaryPinMiddleware")  # fmt: skip
# How long a browser's reads stay on the primary after it wrote something.
DATABASE_REPLICA_PIN_SECONDS = int(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "10"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two requests writing at once must queue, not fail with "database is locked":
    # take the write lock when a transaction starts, wait for it, and let readers
    # go on while a writer works (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("REDIS_URL"):
    # Shared by every app server; while Redis is unreachable the site runs uncached (registry/infra/cache.py).
    CACHES = {
        "default": {
            "BACKEND": "registry.infra.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "registry",
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
                "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
            },
        }
    }
    # Sessions in the database, read through Redis: logins survive a Redis outage.
    SESSION_ENGINE = os.environ.get("SESSION_ENGINE", "django.contrib.sessions.backends.cached_db")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The page cache (registry/infra/page_cache.py) is invalidated through the cache itself, so it is only
# correct when every process shares one cache: on with Redis, and in development (one
# process). Several app processes on local-memory caches would each keep their own pages.
PAGE_CACHE = env_bool("PAGE_CACHE", bool(os.environ.get("REDIS_URL")) or DEBUG)
# How long a stored page is kept at most: a safety net only, every change that shows on a
# page invalidates it at once.
PAGE_CACHE_SECONDS = 600
# Pages each process keeps in its own memory, so a hit does not fetch the page from Redis
# (their generation is still checked on every hit); 0 keeps none.
PAGE_CACHE_LOCAL_ENTRIES = 256
# Each server process follows the generation by subscription (registry/infra/generation.py) and also
# re-reads it this often, in case a publication was lost: the longest a missed one goes unseen.
PAGE_CACHE_RECHECK_SECONDS = 5.0

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes): after LOGIN_FAILURE_LIMIT failures for one username from
# one address, that pair is locked out for LOGIN_LOCKOUT_MINUTES (docs/security.md).
AUTHENTICATION_BACKENDS = [
    "profiles.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The address counted is the one the API's rate limits count (NUM_PROXIES, below).
AXES_CLIENT_IP_CALLABLE = "profiles.accounts.lockout.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "profiles.accounts.views.locked_out"
# Sign-ins are in the audit log (profiles/accounts/audit.py); axes keeps only the failure counts.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "profiles" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Bilingual content: every translated field has an _en and a _zh_hans column;
# a missing language falls back to the other one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in LANGUAGES)
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": MODELTRANSLATION_LANGUAGES}
MODELTRANSLATION_AUTO_POPULATE = False

WHITENOISE_AUTOREFRESH = DEBUG
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# A strict policy: nothing inline, nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Production (PRODUCTION=1): HTTPS only, and `manage.py check --deploy` reports nothing.
# It refuses to start without a strong SECRET_KEY and an explicit ALLOWED_HOSTS (docs/security.md).
PRODUCTION = env_bool("PRODUCTION")
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when PRODUCTION is on.")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters in production.")
    if not os.environ.get("ALLOWED_HOSTS", "").strip(" ,"):
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's host(s) in production.")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
    SECURE_SSL_REDIRECT = True
    if env_bool("SECURE_PROXY_SSL_HEADER"):  # only behind a proxy that sets it and strips the client's
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    CSRF_COOKIE_HTTPONLY = LANGUAGE_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_AGE = 14 * 24 * 3600

# The REST API (profiles/api/). Rate limits are DRF rates ("120/min", "2000/hour");
# an empty value switches that limit off.
API_THROTTLE_ANON = os.environ.get("API_THROTTLE_ANON", "120/min")
API_THROTTLE_USER = os.environ.get("API_THROTTLE_USER", "1200/min")
# Request bodies larger than this are refused with a 413 (imports are the large ones).
API_MAX_REQUEST_BYTES = int(os.environ.get("API_MAX_REQUEST_BYTES", str(10 * 1024 * 1024)))
# Files larger than this are refused by `manage.py import_profiles` (0: no limit).
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(1024 * 1024 * 1024)))
# Imports run one at a time (PostgreSQL); one that waits longer than this for another to
# finish is refused, nothing written ("try again").
IMPORT_WAIT_SECONDS = float(os.environ.get("IMPORT_WAIT_SECONDS", "20"))

# The client's address, for rate limits, lock-outs and the audit log: the peer address
# (REMOTE_ADDR) unless NUM_PROXIES trusted proxies each append the address they saw to
# X-Forwarded-For; then the one the outermost of them saw. Anything a client writes into
# the header itself is never trusted, so it cannot pick a new address for each request.
# DRF decides it (`get_ident`; 0 means REMOTE_ADDR, whereas unset would trust the header).
_num_proxies = int(os.environ.get("NUM_PROXIES") or "0")
if _num_proxies < 0:
    raise ImproperlyConfigured("NUM_PROXIES must be 0 or the number of proxies in front of the app.")

REST_FRAMEWORK = {
    "NUM_PROXIES": _num_proxies,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "profiles.api.authentication.ApiTokenAuthentication",
        "profiles.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "profiles.api.throttling.AnonymousThrottle",
        "profiles.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": API_THROTTLE_ANON or None, "user": API_THROTTLE_USER or None},
    "EXCEPTION_HANDLER": "profiles.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "profiles.api.schema.RegistryAutoSchema",
    "URL_FORMAT_OVERRIDE": None,
    "UNICODE_JSON": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Infrastructure Intelligence Registry API",
    "DESCRIPTION": (
        "Profiles of internet-infrastructure institutions and topics, with evidence and confidence "
        "grades, as the caller's audience may see them. See docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "VisibilityEnum": "profiles.models.Visibility.choices",
        "BriefingVisibilityEnum": [("members", "Members"), ("internal", "Internal")],
        "ProfileStatusEnum": "profiles.models.ProfileStatus.choices",
        "WatchpointStatusEnum": "profiles.models.WatchpointStatus.choices",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
