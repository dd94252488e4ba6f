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
import threading
from collections import OrderedDict

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from registry.infra.generation import (
    GENERATION_KEY,
    enabled,
    first_generation,
    invalidation_pending,
    is_settled,
    read_with_generation,
    store_with_generation,
    watch,
)

logger = logging.getLogger("registry.cache")

PAGE_KEY_PREFIX = "pages:page:"
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
        return first_generation(), None
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
