"""Settings for the test suite: the normal settings with test-only defaults.

The environment still wins, so DATABASE_URL selects PostgreSQL for the suite.
"""

import os
import uuid

os.environ.setdefault("SECRET_KEY", "test-suite-only-key")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# With REDIS_URL (.ci/run's PostgreSQL pass) the suite runs on Redis as deployed, with
# timeouts a busy machine does not hit: one would open the cache's breaker for 5 s and turn
# the hits a test expects into misses.
os.environ.setdefault("REDIS_TIMEOUT", "5")

from registry.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_AUTOREFRESH = True
# One process: the page cache is correct on local memory, and the suite tests it.
PAGE_CACHE = True
if CACHES["default"]["BACKEND"] == "registry.infra.cache.ResilientRedisCache":  # noqa: F405
    # Keys of this run only: tests empty the cache (`clear()`, this prefix alone), so runs
    # sharing a Redis database do not empty each other's.
    CACHES["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"  # noqa: F405
