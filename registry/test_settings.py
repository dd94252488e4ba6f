"""Settings for the test suite: the normal settings with test-only defaults.

The environment still wins, so DATABASE_URL selects PostgreSQL for the suite.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-key")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from registry.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_AUTOREFRESH = True
# One process: the page cache is correct on local memory, and the suite tests it.
PAGE_CACHE = True
