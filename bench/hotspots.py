
"""Profile one bench workload in-process, to see what holds a missed target back.

    python bench/hotspots.py request /en/profiles/SLUG/ [--count 20] [--member]
    python bench/hotspots.py request "/en/profiles/?q=resilience" --explain
    python bench/hotspots.py recompute            # scoring.recompute_scores, rolled back
    python bench/hotspots.py export [--count 1000]

Runs against the bench database (`bench.settings`). Uses pyinstrument when it is
installed in the venv (`pip install pyinstrument`: an investigation tool, not a
requirement), else the standard library's cProfile. `--explain` also prints each SQL
query of one request with its own time, slowest first, and the plan of the slowest.
Import is best profiled from outside while it runs: `py-spy record -p PID -f raw`.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def profiled(work):
    try:
        from pyinstrument import Profiler
    except ImportError:
        profile = cProfile.Profile()
        profile.runcall(work)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
        return out.getvalue()
    profiler = Profiler(interval=0.001)
    profiler.start()
    work()
    profiler.stop()
    return profiler.output_text(unicode=True, color=False)


def explain(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    timed = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            start = time.perf_counter()
            cursor.execute(query["sql"])
            timed.append((time.perf_counter() - start, query["sql"]))
        timed.sort(reverse=True)
        for seconds, sql in timed:
            print(f"{seconds * 1000:8.1f} ms  {sql[:140]}")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + timed[0][1])
        print("\nslowest query's plan:\n" + "\n".join(row[0] for row in cursor.fetchall()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["request", "recompute", "export"])
    parser.add_argument("path", nargs="?", help="for request: the path to GET")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--member", action="store_true", help="request as the bench member")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.db import transaction

    if args.workload == "request":
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")
        if args.member:
            client.force_login(get_user_model().objects.get(username="bench-member"))
        client.get(args.path)  # warm: templates, connection, caches
        print(profiled(lambda: [client.get(args.path) for _ in range(args.count)]))
        if args.explain:
            explain(client, args.path)
    elif args.workload == "recompute":
        from profiles.services import scoring

        def recompute():
            with transaction.atomic():
                # A later day changes every explanation, so every row is written as in a real run.
                scoring.recompute_scores(as_of=date.today() + timedelta(days=1), record=False)
                transaction.set_rollback(True)

        print(profiled(recompute))
    else:
        from profiles.interchange.export import export_documents, write_documents
        from profiles.models import Profile
        from profiles.rules.visibility import STAFF

        first = Profile.objects.order_by("pk").values_list("pk", flat=True)[: args.count]
        profiles = Profile.objects.filter(pk__in=list(first))
        with open(os.devnull, "w") as sink:
            print(profiled(lambda: write_documents(export_documents(STAFF, profiles), sink, jsonl=True)))


if __name__ == "__main__":
    main()
