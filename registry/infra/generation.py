"""The page cache's generation: one token in the shared cache that every cached page carries.

`invalidate_pages()` replaces the token (on commit), so every page stored before is stale
at once in every process sharing the cache. On Redis each generation, the first one too,
is stored and published in one step, and each serving process follows the publications
(`watch`, started with the server and again in each forked worker), so a hit needs no
round trip for it. With a read replica nothing is stored until the replica's lag has
passed after an invalidation (`is_settled`).
"""

import logging
import os
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache, caches
from django.core.signals import setting_changed
from django.db import transaction

logger = logging.getLogger("registry.cache")

GENERATION_KEY = "pages:generation"
PAGE_SECONDS = settings.PAGE_CACHE_SECONDS


def enabled():
    """Whether pages (and the band table) are cached: only when every process shares the cache."""
    return settings.PAGE_CACHE


# The generation: invalidation shared by every process ------------------------------


def _generation_token():
    """A new generation: when it began, and a random part no other process can repeat."""
    return f"{time.time():.3f}-{uuid.uuid4().hex}"


GENERATION_CHANNEL = "pages:generation"


def _new_generation():
    """Replace the generation (an invalidation): stored and, on Redis, published in one step."""
    token = _generation_token()
    publish = getattr(cache, "set_and_publish", None)
    if publish is None:
        cache.set(GENERATION_KEY, token, None)
    else:
        publish(GENERATION_KEY, token, GENERATION_CHANNEL)
    watch.saw(token)


def first_generation():
    """The generation when the cache has none: created once, whichever process asks first.

    On Redis it is stored only if still absent and published in the same step, so every
    process's watch hears of it; a process that lost the race takes the one stored.
    """
    token = _generation_token()
    add_and_publish = getattr(cache, "add_and_publish", None)
    if add_and_publish is None:  # local memory: one process, nobody to tell
        stored = token if cache.add(GENERATION_KEY, token, None) else cache.get(GENERATION_KEY)
    else:
        stored = add_and_publish(GENERATION_KEY, token, GENERATION_CHANNEL)
    if stored is None:  # the cache is unreachable: nothing is stored under this one either
        return token
    watch.saw(stored)
    return stored


class _Subscription:
    """One run of the watch's thread: stopped by `stop`, `following` once it is subscribed and has read."""

    def __init__(self):
        self.stop = threading.Event()
        self.following = threading.Event()
        self.pubsub = None


class GenerationWatch:
    """This process's copy of the generation, kept current by the shared cache's publications.

    With Redis, every generation is published as it is stored (one atomic step); a thread
    of this process subscribes, so a page cache hit needs no round trip at all. A server
    starts it once as it loads the application (registry/wsgi.py, registry/asgi.py), not
    on a request; management commands and the test client never start it and read the
    cache instead. A process forked from one that watches (gunicorn --preload) starts its
    own: threads do not survive a fork.

    The thread subscribes *before* reading the stored generation, so nothing published in
    between is missed; every `PAGE_CACHE_RECHECK_SECONDS` it reads the stored value again, a
    safety net should a publication ever be lost. While it is not following (starting,
    stopped, Redis down, a cache without publish/subscribe) `generation()` is None and
    callers read the cache.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._generation = None
        self._subscription = None  # the running thread's, None when not started

    def generation(self):
        """The current generation, or None while not following it (then read the cache)."""
        return self._generation

    def start(self):
        """Follow the default cache's generation from now on (a server calls it once, at startup).

        False where there is nothing to follow: the page cache off, or a cache without
        publish/subscribe (local memory).
        """
        # A backend of the thread's own (its breaker, its connections), for the cache configured now.
        backend = caches.create_connection("default") if enabled() else None
        with self._lock:
            self._stop_locked()
            if not hasattr(backend, "subscribe"):  # no page cache, or a cache that cannot publish
                return False
            subscription = self._subscription = _Subscription()
        recheck = settings.PAGE_CACHE_RECHECK_SECONDS
        thread = threading.Thread(target=self._run, args=(backend, subscription, recheck), name="page-generation",
                                  daemon=True)  # fmt: skip
        thread.start()
        return True

    def stop(self):
        """Stop following: `generation()` is None until the next `start()`."""
        with self._lock:
            self._stop_locked()

    def wait_following(self, timeout):
        """Whether the watch follows the generation within `timeout` seconds (for startup checks and tests)."""
        subscription = self._subscription
        return subscription is not None and subscription.following.wait(timeout)

    def saw(self, generation):
        """A generation this process stored or read: known here at once, before its publication arrives."""
        with self._lock:
            subscription = self._subscription
            if subscription is not None and subscription.following.is_set():
                self._generation = generation

    def _stop_locked(self):
        if self._subscription is not None:
            self._subscription.stop.set()
        self._subscription = self._generation = None

    def _follow(self, subscription, generation):
        """Take `generation` as current, unless this thread's run was stopped meanwhile."""
        with self._lock:
            if not subscription.stop.is_set():
                self._generation = generation
                subscription.following.set()

    def _lost(self, subscription):
        with self._lock:
            subscription.following.clear()
            if not subscription.stop.is_set():
                self._generation = None

    def _run(self, backend, subscription, recheck):
        warned = False
        while not subscription.stop.is_set():
            pubsub = None
            try:
                pubsub = subscription.pubsub = backend.subscribe(GENERATION_CHANNEL)
                self._follow(subscription, backend.get(GENERATION_KEY))
                warned = False
                checked = time.monotonic()
                while not subscription.stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "message":
                        self._follow(subscription, message["data"].decode())
                    elif time.monotonic() - checked >= recheck:
                        pubsub.ping()
                        self._follow(subscription, backend.get(GENERATION_KEY))
                        checked = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - any failure: read the cache until resubscribed
                self._lost(subscription)
                if not warned:
                    logger.warning("page cache: not subscribed to invalidations (%s); reading the cache instead", exc)
                    warned = True
                subscription.stop.wait(1.0)
            finally:
                if pubsub is not None:
                    pubsub.close()
        self._lost(subscription)

    def _after_fork_in_child(self):
        """In a forked child: the parent's thread is gone; follow again on a subscription of its own."""
        subscription = self._subscription
        self._lock = threading.Lock()  # the parent's thread may have held it at the fork
        self._subscription = self._generation = None
        if subscription is None:
            return
        if subscription.pubsub is not None:
            try:  # this process's copy of the parent's socket: closed here, the parent keeps its own
                subscription.pubsub.close()
            except Exception:  # noqa: BLE001, S110 - a socket we only meant to let go of
                pass
        try:
            self.start()
        except Exception as exc:  # noqa: BLE001 - this worker then reads the cache on every request
            logger.warning("page cache: not following invalidations after fork (%s)", exc)


watch = GenerationWatch()
os.register_at_fork(after_in_child=watch._after_fork_in_child)


def _settings_changed(setting, **kwargs):
    """Tests that swap the cache or switch the page cache off: the watch followed the old one."""
    if setting in {"CACHES", "PAGE_CACHE"}:
        watch.stop()


def invalidation_pending(using=None):
    """Whether this transaction wrote something the cache learns of only when it commits.

    A read inside such a transaction must not trust the cache: it would miss its own writes.
    """
    connection = transaction.get_connection(using)
    pending = getattr(connection, "_page_cache_invalidation", None)
    return (
        pending is not None
        and connection.in_atomic_block
        and any(func is pending for _sids, func, _robust in connection.run_on_commit)
    )


def replica_lag_seconds():
    """How long after a commit a read replica may still show the old data (0 without a replica)."""
    if not settings.DATABASE_ROUTERS:  # registry/settings.py routes reads only with a replica
        return 0
    return settings.DATABASE_REPLICA_PIN_SECONDS


def is_settled(generation, *, now=None):
    """Whether pages rendered now may be stored under this generation.

    With a read replica, a page rendered just after an invalidation may have read the
    replica before the change reached it; such pages are served but not stored until
    the replica's lag has passed, or the old data would be cached under the new token.
    """
    lag = replica_lag_seconds()
    if not lag:
        return True
    try:
        began = float(generation.split("-", 1)[0])
    except (AttributeError, ValueError):
        return False
    return (now or time.time()) - began >= lag


def invalidate_pages(using=None):
    """Make every cached page stale: when the current transaction commits, at once outside one.

    Called once per write or thousands of times in an import, it costs one cache write
    per transaction: a transaction registers one callback, and registers again only once
    that one has run or was dropped by a rollback.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        _new_generation()
        return
    pending = getattr(connection, "_page_cache_invalidation", None)
    if pending is not None and any(func is pending for _sids, func, _robust in connection.run_on_commit):
        return

    def committed():
        connection._page_cache_invalidation = None
        _new_generation()

    connection._page_cache_invalidation = committed
    transaction.on_commit(committed, using=using, robust=True)


def current_generation():
    """The generation pages are stored under now, created if the cache has none."""
    return cache.get(GENERATION_KEY) or first_generation()


def read_with_generation(key):
    """(generation, value stored under `key` for that generation or None), in one round trip."""
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    entry = found.get(key)
    if generation is None:
        return first_generation(), None
    if entry is None or entry[0] != generation:
        return generation, None
    return generation, entry[1]


def store_with_generation(key, generation, value, timeout=PAGE_SECONDS):
    cache.set(key, (generation, value), timeout)


# What invalidates ----------------------------------------------------------------------


def _on_write(sender, using=None, **kwargs):
    invalidate_pages(using)


def _on_revision(sender, revision, **kwargs):
    invalidate_pages(revision._state.db)


def connect(*, saved, deleted, links):
    """Invalidate the page cache on every write to what a page shows (called from AppConfig.ready).

    The app names its models: `saved` send `post_save`, `deleted` `post_delete`, `links`
    (many-to-many tables) `m2m_changed`. Bulk writes send no signal: the services that
    make them (the changes feed, the band table) invalidate explicitly.
    """
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from reversion.signals import post_revision_commit

    for model in saved:
        post_save.connect(_on_write, sender=model, dispatch_uid=f"page-cache-save-{model.__name__}")
    for model in deleted:
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"page-cache-delete-{model.__name__}")
    for through in links:
        m2m_changed.connect(_on_write, sender=through, dispatch_uid=f"page-cache-m2m-{through.__name__}")
    post_revision_commit.connect(_on_revision, dispatch_uid="page-cache-revision")
    setting_changed.connect(_settings_changed, dispatch_uid="page-cache-settings")
