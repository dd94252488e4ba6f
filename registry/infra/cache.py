"""Redis as the shared cache, degrading to "no cache" while Redis is unreachable.

A cache is an optimisation: when Redis is down or slow, the site keeps answering from the
database. `ResilientRedisCache` is Django's RedisCache with

- short socket timeouts and no retries (registry/settings.py passes them as OPTIONS), so a
  dead Redis costs a request milliseconds, not seconds;
- every connection error or timeout treated as a miss (reads) or a no-op (writes), with one
  warning in the log;
- a breaker: after a failure the cache is skipped for `BREAKER_SECONDS`, then tried again,
  so a Redis that does not answer is not waited for on every call;
- publish/subscribe for values every process must learn of at once (the page cache's
  generation, profiles/caching.py): `set_and_publish` and `subscribe`.
"""

import logging
import threading
import time

import redis

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from registry.infra.health import one_line

logger = logging.getLogger("registry.cache")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
BREAKER_SECONDS = 5.0


class ResilientRedisCache(RedisCache):
    """RedisCache whose outages are cache misses (see the module docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def available(self):
        """False while the breaker is open after a failure."""
        return time.monotonic() >= self._down_until

    def _call(self, operation, fallback, *args, **kwargs):
        if not self.available:
            return fallback
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except UNAVAILABLE as exc:
            self._trip(exc)
            return fallback

    def _trip(self, exc):
        """Open the breaker after a failure."""
        with self._lock:
            if self.available:  # log once per outage window, not once per call
                logger.warning("cache unavailable, serving uncached for %ss: %s", BREAKER_SECONDS, one_line(exc))
            self._down_until = time.monotonic() + BREAKER_SECONDS

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._call("incr", missing, key, delta, version)
        if value is missing:
            raise ValueError(f"Key '{key}' not found.")  # what a miss looks like to incr()
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)

    # Publish/subscribe ------------------------------------------------------------------

    def set_and_publish(self, key, value, channel):
        """Store `value` under `key` (no expiry) and publish it on `channel`, atomically.

        One MULTI/EXEC: subscribers receive the values in the order the key took them.
        """

        def write():
            client = self._cache.get_client(key, write=True)
            pipe = client.pipeline(transaction=True)
            pipe.set(self.make_and_validate_key(key), self._cache._serializer.dumps(value))
            pipe.publish(self.make_key(channel), value)
            pipe.execute()

        self._call_function(write)

    def subscribe(self, channel):
        """A PubSub on a connection of its own, subscribed to `channel` (confirmed).

        Raises the connection's errors: the caller decides how to wait and retry.
        """
        client = redis.Redis.from_url(self._servers[0], socket_connect_timeout=self._connect_timeout())
        pubsub = client.pubsub()
        pubsub.subscribe(self.make_key(channel))
        confirmation = pubsub.get_message(timeout=self._connect_timeout())
        if not confirmation or confirmation.get("type") != "subscribe":
            pubsub.close()
            raise RedisConnectionError("no confirmation of the subscription")
        return pubsub

    def _connect_timeout(self):
        return float(self._options.get("socket_connect_timeout") or 1.0)

    def _call_function(self, function):
        if not self.available:
            return
        try:
            function()
        except UNAVAILABLE as exc:
            self._trip(exc)
