"""Settings for the benchmark: the production settings, pointed at the bench database.

Everything still comes from the environment (`registry.settings`); this module only
supplies bench defaults — DEBUG off, loopback host, the `registry_bench` database, a
random per-process secret key unless `bench/run.py` passes one shared by all its
processes — and adds the bench-only URLs (the trivial "floor" view).
"""

import os
import secrets

BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/registry_bench"

os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from registry.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
# Production serves hashed static names from a manifest; the bench collects its own copy.
STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"  # noqa: F405
