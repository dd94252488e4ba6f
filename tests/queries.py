"""What exact SQL query counts depend on besides the code measured (a helper, no tests)."""

from django.conf import settings

CACHED_DB_SESSIONS = "django.contrib.sessions.backends.cached_db"


def session_queries():
    """SQL queries to read the session of a logged-in client whose session is in the cache.

    One (the session row) with database sessions; none with the cached_db engine, which the
    settings choose with Redis (registry/settings.py, CI's PostgreSQL pass) and which reads
    the database only when the cache has lost the session. Tests that empty the cache
    before they measure count the session row whatever the engine.
    """
    return 0 if settings.SESSION_ENGINE == CACHED_DB_SESSIONS else 1
