"""The page cache: rendered pages for anonymous readers, kept per URL and language.

The policy, as plain functions:

* **Who**: only requests that are certainly anonymous are served from or stored into the
  cache: `GET`/`HEAD`, no session cookie (every member and analyst has one), no pending
  messages, no `Authorization` header. Anything else is rendered for its own audience and
  marked `Cache-Control: private`, so no shared proxy keeps it either: pages and API
  responses alike ask `depends_on_caller` and `mark_private`.
* **What**: views marked with `@cached_page(params=…)` (profile, home, browse, facet and
  methodology pages), answering 200 without setting a cookie or a CSRF token. A query
  string with a parameter the view does not read is rendered, never stored, so made-up
  query strings cannot fill the cache.
* **Key**: scheme, host, path (its language prefix included) and the sorted query string.
* **Invalidation**: one *generation* token in the shared cache. Every stored page carries
  the generation read before it was rendered; `invalidate_pages()` replaces the token, so
  every page stored before is stale at once, in every process sharing the cache (Redis).
  On Redis every generation, the first one too, is published as it is stored, and each
  serving process follows the publications (`GenerationWatch`, started with the server).
  Writes call it through model signals, reversion's revision signal and
  `services.record_changes`; inside a transaction it runs on commit, so a rolled-back
  change invalidates nothing and a page rendered from the old data is never stored under
  the new token. With a read replica, nothing is stored until the replica's lag has
  passed after an invalidation (`is_settled`).
* **API reads**: the API (`profiles/api/views.py`) keeps its anonymous 200s under the same
  generation, asking after authentication and rate limiting (`may_read_api_cache`, `api_key`).
* **Conditional GET**: every marked page has an `ETag` (a hash of its language, audience
  and bytes); a matching `If-None-Match` answers 304.

A hit costs at most one cache round trip, for the generation (none on Redis, where this
process follows it by subscription); the page comes from this process's recent copies (or,
the first time, from the shared cache): no session, no database, no template. `AnonymousPageCacheMiddleware` sits before
the session middleware so a hit skips everything after it. The settings are
`PAGE_CACHE*` in registry/settings.py.
"""

import hashlib
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.core.signals import setting_changed
from django.db import transaction
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

logger = logging.getLogger("registry.cache")

GENERATION_KEY = "pages:generation"
PAGE_KEY_PREFIX = "pages:page:"
PAGE_SECONDS = settings.PAGE_CACHE_SECONDS
SAFE_METHODS = frozenset({"GET", "HEAD"})
ANONYMOUS_CACHE_CONTROL = {"max_age": 0, "must_revalidate": True}
PRIVATE_CACHE_CONTROL = {"private": True, "no_cache": True}


def cached_page(*, params=()):
    """Mark a view as a page anonymous readers may be served from the cache.

    `params` are the query parameters the view reads; a request with any other is
    rendered and not stored.
    """

    def mark(view):
        view.page_cache_params = frozenset(params)
        return view

    return mark


# Who may be served from the cache ---------------------------------------------------


def is_anonymous_request(request):
    """True when the request certainly comes from an anonymous reader, known without a query.

    A session cookie may belong to a member or an analyst: such requests are never
    served from nor stored into the shared cache, whatever the session holds.
    """
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies  # messages waiting for this visitor
        and "HTTP_AUTHORIZATION" not in request.META
    )


def depends_on_caller(request, response):
    """Whether a response may differ for another caller of the same URL, so only its caller may keep it.

    So it is when the request may come from a member or staff (a session cookie, a token:
    not `is_anonymous_request`), or when the response sets a cookie.
    """
    return not is_anonymous_request(request) or bool(response.cookies)


def mark_private(response):
    """`Cache-Control: private, no-cache`, unless the view decided its own caching (e.g. no-store)."""
    if not response.has_header("Cache-Control"):
        patch_cache_control(response, **PRIVATE_CACHE_CONTROL)


def enabled():
    """Whether pages (and the band table) are cached: only when every process shares the cache."""
    return settings.PAGE_CACHE


def may_read_cache(request):
    """Whether the page cache may answer this request (before the view is known)."""
    return (
        enabled()
        and request.method in SAFE_METHODS
        and translation.get_language_from_path(request.path_info) is not None
        and is_anonymous_request(request)
    )


def may_store(request, response, params):
    """Whether this rendered response may be served to every anonymous reader of its URL."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # a page carrying a visitor's CSRF token
        and set(request.GET) <= params
        and not response.has_header("Cache-Control")  # the view decided its own caching
    )


def page_key(request):
    """The cache key of a page: scheme, host, path with its language prefix, sorted query string."""
    query = sorted((name, value) for name in request.GET for value in request.GET.getlist(name))
    url = f"{request.scheme}://{request.get_host()}{request.path}?{query!r}"
    return PAGE_KEY_PREFIX + hashlib.sha256(url.encode()).hexdigest()


def page_etag(content, *, language, audience):
    """A strong validator that differs per language and audience even for the same bytes."""
    digest = hashlib.sha256(f"{language}|{audience}|".encode())
    digest.update(content)
    return f'"{digest.hexdigest()[:32]}"'


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


def _first_generation():
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
    return cache.get(GENERATION_KEY) or _first_generation()


def read_with_generation(key):
    """(generation, value stored under `key` for that generation or None), in one round trip."""
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    entry = found.get(key)
    if generation is None:
        return _first_generation(), None
    if entry is None or entry[0] != generation:
        return generation, None
    return generation, entry[1]


def store_with_generation(key, generation, value, timeout=PAGE_SECONDS):
    cache.set(key, (generation, value), timeout)


# Pages this process stored or served lately, each with its generation: a hit then reads
# only the generation (a few bytes) from the shared cache, not the page. The generation is
# still checked on every request (read from the cache, or on Redis followed by the watch),
# so another process's invalidation is seen at once.
LOCAL_PAGES = settings.PAGE_CACHE_LOCAL_ENTRIES
_local_pages = OrderedDict()
_local_lock = threading.Lock()


def _remember(key, entry):
    with _local_lock:
        _local_pages[key] = entry
        _local_pages.move_to_end(key)
        while len(_local_pages) > LOCAL_PAGES:
            _local_pages.popitem(last=False)


def _recall(key, generation):
    with _local_lock:
        entry = _local_pages.get(key)
        if entry is None or entry[0] != generation:
            return None
        _local_pages.move_to_end(key)
        return entry[1]


def read_page(key):
    """(generation, the stored page for it or None): this process's copy, else the shared one."""
    if not LOCAL_PAGES:
        return read_with_generation(key)
    generation = watch.generation() or cache.get(GENERATION_KEY)
    if generation is None:
        return _first_generation(), None
    stored = _recall(key, generation)
    if stored is not None:
        return generation, stored
    entry = cache.get(key)
    if entry is None or entry[0] != generation:
        return generation, None
    _remember(key, entry)
    return generation, entry[1]


def store_page(key, generation, stored):
    store_with_generation(key, generation, stored)
    if LOCAL_PAGES:
        _remember(key, (generation, stored))


# The middleware ----------------------------------------------------------------------


class AnonymousPageCacheMiddleware:
    """Serve and store anonymous pages; ETag, Vary and Cache-Control on every marked page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = generation = None
        if may_read_cache(request):
            key = page_key(request)
            generation, stored = read_page(key)
            if stored is not None:
                return _conditional(request, _from_stored(stored))
        response = self.get_response(request)
        params = getattr(request, "_page_cache_params", None)
        if params is None:
            return response
        patch_vary_headers(response, ("Cookie",))
        if response.status_code != 200 or response.streaming:
            return response
        if depends_on_caller(request, response):
            audience = getattr(getattr(request, "_registry_audience", None), "kind", "private")
            _finish(request, response, audience=audience, private=True)
        else:
            storable = key is not None and may_store(request, response, params)  # before _finish adds headers
            _finish(request, response, audience="anonymous")
            if storable and is_settled(generation):
                store_page(key, generation, _to_stored(response))
        return _conditional(request, response)

    def process_view(self, request, view_func, view_args, view_kwargs):
        params = getattr(view_func, "page_cache_params", None)
        if params is not None:
            request._page_cache_params = params


def _finish(request, response, *, audience, private=False):
    language = translation.get_language_from_path(request.path_info) or translation.get_language()
    response["ETag"] = page_etag(response.content, language=language, audience=audience)
    if private:
        mark_private(response)
    elif not response.has_header("Cache-Control"):
        patch_cache_control(response, **ANONYMOUS_CACHE_CONTROL)


def _to_stored(response):
    return (response.status_code, bytes(response.content), list(response.items()))


def _from_stored(stored):
    status, content, headers = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


def _conditional(request, response):
    return get_conditional_response(request, etag=response.get("ETag"), response=response)


# API reads ----------------------------------------------------------------------------
# The API's anonymous reads share the pages' generation: every write that invalidates the
# pages invalidates them too. The API view asks after authentication and throttling, so
# rate limits still count on a hit.

API_KEY_PREFIX = "pages:api:"


def may_read_api_cache(request):
    """Whether an API read may be served from or stored into the shared cache.

    Not inside a transaction that has written something the cache does not know of yet.
    """
    return (
        enabled()
        and request.method in SAFE_METHODS
        and is_anonymous_request(request)
        and not invalidation_pending()
    )


def api_key(request, *, language, media_type):
    """The cache key of an API read: scheme, host, path, sorted query string, language, media type.

    `language` is the one the API chose (from `?lang=` or Accept-Language); `media_type`
    the negotiated one (its parameters, such as a JSON indent, change the bytes).
    """
    query = sorted((name, value) for name in request.GET for value in request.GET.getlist(name))
    url = f"{request.scheme}://{request.get_host()}{request.path}?{query!r}|{language}|{media_type}"
    return API_KEY_PREFIX + hashlib.sha256(url.encode()).hexdigest()


def may_store_api(request, response, params):
    """Whether this rendered API response may be served to every anonymous caller of its URL."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and set(request.GET) <= params
        and not response.has_header("Cache-Control")
    )


def stored_form(response):
    """What the cache keeps of a response: status, bytes and headers."""
    return _to_stored(response)


def response_from(stored):
    """A response rebuilt from `stored_form`."""
    return _from_stored(stored)


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
