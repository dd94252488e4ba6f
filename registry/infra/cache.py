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
  generation, registry/infra/page_cache.py): `set_and_publish`, `add_and_publish` and `subscribe`;
- `clear()` deletes only the keys under its KEY_PREFIX, so a test run (or another site)
  can share a Redis database without emptying the others' keys.

Django's RedisCache keeps its redis-py client to itself, so for what it does not offer
(transactions, scripts, subscriptions, scans) this backend builds its own `client` from the
same LOCATION and OPTIONS: a second, lazily opened connection pool.
"""

import logging
import re
import threading
import time
from functools import cached_property
from itertools import batched

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisSerializer
from django.utils.module_loading import import_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from registry.infra.health import one_line

logger = logging.getLogger("registry.cache")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
BREAKER_SECONDS = 5.0
# OPTIONS that configure Django's client, not a redis-py connection.
DJANGO_OPTIONS = frozenset({"serializer", "pool_class", "parser_class"})

# Store the value only if the key has none, and publish it if so, in one step: every process
# that races to create the key ends up with the one value stored, and every subscriber hears
# of it. Returns the value the key holds afterwards.
ADD_AND_PUBLISH = """
if redis.call("SET", KEYS[1], ARGV[1], "NX") then
  redis.call("PUBLISH", ARGV[2], ARGV[3])
  return ARGV[1]
end
return redis.call("GET", KEYS[1])
"""


class ResilientRedisCache(RedisCache):
    """RedisCache whose outages are cache misses (see the module docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        # Django writes to the first server of a list; so does everything this class adds.
        self.location = re.split("[;,]", server)[0] if isinstance(server, str) else server[0]
        options = params.get("OPTIONS", {})
        self.connection_options = {name: value for name, value in options.items() if name not in DJANGO_OPTIONS}
        self.serializer = _serializer(options.get("serializer"))
        self._down_until = 0.0
        self._lock = threading.Lock()

    @cached_property
    def client(self):
        """This backend's own redis-py client (the same server and options as Django's)."""
        return redis.Redis.from_url(self.location, **self.connection_options)

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
        """Delete this cache's keys: those under its KEY_PREFIX, or the whole database without one."""
        if not self.key_prefix:
            return self._call("clear", False)

        def delete_prefixed():
            pattern = _glob_escape(self.key_prefix) + ":*"
            for keys in batched(self.client.scan_iter(match=pattern, count=1000), 500):
                self.client.delete(*keys)
            return True

        return self._call_function(delete_prefixed, False)

    # Publish/subscribe ------------------------------------------------------------------

    def set_and_publish(self, key, value, channel):
        """Store `value` under `key` (no expiry) and publish it on `channel`, atomically.

        One MULTI/EXEC: subscribers receive the values in the order the key took them.
        """

        def write():
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self.make_and_validate_key(key), self.serializer.dumps(value))
            pipe.publish(self.channel_name(channel), value)
            pipe.execute()

        self._call_function(write, None)

    def add_and_publish(self, key, value, channel):
        """Store `value` under `key` (no expiry) and publish it, only if the key has no value.

        Atomic (one script): returns the value the key holds afterwards, `value` or the one
        another process stored first; None while Redis is unreachable.
        """

        def add():
            script = self.client.register_script(ADD_AND_PUBLISH)
            stored = script(keys=[self.make_and_validate_key(key)],
                            args=[self.serializer.dumps(value), self.channel_name(channel), value])  # fmt: skip
            return None if stored is None else self.serializer.loads(stored)

        return self._call_function(add, None)

    def subscribe(self, channel):
        """A PubSub on a connection of its own, subscribed to `channel` (confirmed).

        Raises the connection's errors: the caller decides how to wait and retry.
        """
        client = redis.Redis.from_url(self.location, socket_connect_timeout=self._connect_timeout())
        pubsub = client.pubsub()
        pubsub.subscribe(self.channel_name(channel))
        confirmation = pubsub.get_message(timeout=self._connect_timeout())
        if not confirmation or confirmation.get("type") != "subscribe":
            pubsub.close()
            raise RedisConnectionError("no confirmation of the subscription")
        return pubsub

    def channel_name(self, channel):
        """`channel` under this cache's KEY_PREFIX and database.

        Redis shares channels across databases: two sites on one Redis must not hear each
        other's publications.
        """
        database = self.client.connection_pool.connection_kwargs.get("db", 0)
        return f"{self.make_key(channel)}@db{database}"

    def _connect_timeout(self):
        return float(self.connection_options.get("socket_connect_timeout") or 1.0)

    def _call_function(self, function, fallback):
        if not self.available:
            return fallback
        try:
            return function()
        except UNAVAILABLE as exc:
            self._trip(exc)
            return fallback


def _serializer(configured):
    """The serializer Django's client uses for these OPTIONS, so both read each other's values."""
    serializer = import_string(configured) if isinstance(configured, str) else configured
    serializer = serializer or RedisSerializer
    return serializer() if callable(serializer) else serializer


def _glob_escape(text):
    """`text` matched literally in a Redis SCAN pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
