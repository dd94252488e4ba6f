
"""In-process facts about the bench endpoints: which exist, their paths, their SQL queries.

    python bench/probe.py OUTPUT.json

Run by `bench/run.py` against the bench database (settings `bench.settings`). It

* creates (or resets) the member account `bench-member` with the password in
  `BENCH_MEMBER_PASSWORD`, through `profiles.accounts.roles.create_or_update_user`;
* picks the paths each endpoint is loaded with (profile pages rotate over a fixed,
  evenly spread set of published profiles, so no single row stays hot);
* checks that each answers 200, and leaves out the API endpoints that do not exist yet;
* counts the SQL queries of one request with Django's test client and
  `CaptureQueriesContext` (after one warm-up request), as anonymous or member;
* times serial requests in this one process (no concurrency): the service time.

Writes a JSON list of endpoints for `run.py`.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

MEMBER = "bench-member"
ROTATION = 100  # profile pages rotate over this many published profiles
SEARCH_TERM = "resilience"  # a common English word: full-text engine
SEARCH_TERM_ZH = "路由"  # Chinese: character bigrams in the full-text engine (PostgreSQL)
BROWSE_FILTERS = {"kind": "institution", "region": "Europe"}
SERIAL_REQUESTS = 15
# A query parameter no page reads: the page cache renders such a request and never stores
# it (profiles/caching.py), so these paths measure the uncached page, cache lookup included.
UNCACHED_QUERY = "uncached=1"


def endpoints(slugs):
    """(name, audience, paths, kind) of every endpoint the bench loads, the floor first."""
    from urllib.parse import urlencode

    profile_paths = [f"/en/profiles/{slug}/" for slug in slugs]
    browse = f"/en/profiles/?{urlencode(BROWSE_FILTERS)}"
    search = f"/en/profiles/?{urlencode({'q': SEARCH_TERM})}"
    search_zh = f"/zh-hans/profiles/?{urlencode({'q': SEARCH_TERM_ZH})}"
    # Readers' searches are many and mostly different: the targets are measured uncached;
    # the cached rows show what a repeated search or a popular filter costs.
    return [
        ("trivial view (floor)", "anonymous", ["/bench/trivial/"], "floor"),
        ("profile page", "anonymous", [f"{path}?{UNCACHED_QUERY}" for path in profile_paths], "profile"),
        ("profile page, page cache", "anonymous", profile_paths, "profile_cached"),
        ("profile page", "member", profile_paths, "profile_member"),
        ("browse, 2 filters", "anonymous", [f"{browse}&{UNCACHED_QUERY}"], "browse"),
        ("browse, 2 filters, page cache", "anonymous", [browse], "browse_cached"),
        ("search (full text)", "anonymous", [f"{search}&{UNCACHED_QUERY}"], "search"),
        ("search (Chinese)", "anonymous", [f"{search_zh}&{UNCACHED_QUERY}"], "search_zh"),
        ("search, page cache", "anonymous", [search], "search_cached"),
        ("API list", "anonymous", [f"/api/v1/profiles/?{UNCACHED_QUERY}"], "api_list"),
        ("API detail", "anonymous", [f"/api/v1/profiles/{slug}/?{UNCACHED_QUERY}" for slug in slugs], "api_detail"),
        ("API detail, cache", "anonymous", [f"/api/v1/profiles/{slug}/" for slug in slugs], "api_detail_cached"),
        ("API changes feed", "anonymous", [f"/api/v1/changes/?{UNCACHED_QUERY}"], "api_changes"),
    ]


def spread_slugs():
    """Every n-th published profile by id: a fixed sample of ordinary profiles."""
    from profiles.models import Profile, ProfileStatus

    slugs = list(Profile.objects.filter(status=ProfileStatus.PUBLISHED).order_by("pk").values_list("slug", flat=True))
    step = max(1, len(slugs) // ROTATION)
    return slugs[::step][:ROTATION]


def result_count(path):
    """How many profiles a list URL finds for anonymous readers (the page's own code)."""
    from urllib.parse import urlsplit

    from django.http import QueryDict
    from django.utils import translation

    from profiles.rules.visibility import ANONYMOUS
    from profiles.selectors import browsing
    from profiles.selectors.bands import current_bands

    parts = urlsplit(path)
    params = QueryDict(parts.query)
    with translation.override(parts.path.split("/")[1]):
        bands = current_bands()
        request = browsing.read_browse_request(params, audience=ANONYMOUS, bands=bands)
        result = browsing.browse_profiles(ANONYMOUS, request, bands=bands)
    return result.page.paginator.count


def main(output):
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from profiles.accounts.roles import create_or_update_user

    member, _ = create_or_update_user(MEMBER, role="member", password=os.environ["BENCH_MEMBER_PASSWORD"], days=30)
    clients = {"anonymous": Client(HTTP_HOST="127.0.0.1"), "member": Client(HTTP_HOST="127.0.0.1")}
    clients["member"].force_login(member)

    found = []
    for name, audience, paths, kind in endpoints(spread_slugs()):
        client = clients[audience]
        warm = paths if kind.endswith("_cached") else paths[:3]  # a cached endpoint is measured warm
        statuses = {client.get(path).status_code for path in warm}  # also warms each path
        if statuses != {200}:
            if kind.startswith("api_"):
                print(f"  {name}: {paths[0]} answers {sorted(statuses)}: not built yet, skipped", file=sys.stderr)
                continue
            raise SystemExit(f"{name}: {paths[0]} answers {sorted(statuses)}, not 200")
        counts = []
        for path in paths[:3]:
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            counts.append(len(queries))
        serial = []
        for i in range(SERIAL_REQUESTS):
            start = time.perf_counter()
            client.get(paths[i % len(paths)])
            serial.append((time.perf_counter() - start) * 1000)
        entry = {
            "name": name,
            "audience": audience,
            "kind": kind,
            "paths": paths,
            "queries": max(counts),
            "queries_min": min(counts),
            "serial_ms": round(statistics.median(serial), 1),
            "bytes": len(client.get(paths[0]).content),
        }
        if kind in ("browse", "search", "search_zh"):
            entry["results"] = result_count(paths[0])
        found.append(entry)
        print(f"  {name} ({audience}): {entry['queries']} queries, {entry['serial_ms']} ms serial", file=sys.stderr)
    Path(output).write_text(json.dumps({"member": MEMBER, "endpoints": found}, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
