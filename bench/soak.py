"""Soak test: a bounded load on loopback, counting errors and watching the workers' memory.

    .venv/bin/python bench/soak.py                       # 5 minutes at concurrency 32
    .venv/bin/python bench/soak.py --seconds 60 --reuse  # shorter, keep the database
    .venv/bin/python bench/soak.py --database NAME       # another database (default registry_soak)
    .venv/bin/python bench/soak.py --redis redis://127.0.0.1:6379/3   # with Redis as cache and sessions

What it does:

1. (unless --reuse) recreates the PostgreSQL database (`registry_soak`), migrates it and
   loads the demo profiles and accounts; collects the static files (production storage);
2. starts gunicorn as in production (`2 × cores + 1` sync workers, DEBUG off, the API's
   rate limits out of reach so the load generator is never answered 429);
3. runs `wrk -c CONCURRENCY` for SECONDS over a rotation of public pages in both languages,
   a member's pages (a logged-in session) and API reads;
4. samples every worker's resident memory (VmRSS) every few seconds and checks the workers
   were never replaced (a crash or a timeout would restart one);
5. prints one JSON summary and writes it, with the samples, to var/soak/.

Errors are any answer other than 2xx/3xx, and socket errors or timeouts, as wrk counts
them. The numbers of the last run are in docs/reliability.md.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402 - the benchmark's own helpers: server, wrk, login
    PYTHON,
    base_env,
    ensure_postgres,
    ensure_wrk,
    free_port,
    member_session,
    psql,
    start_server,
    stop_server,
    wrk,
)

DATABASE = "registry_soak"
OUT = ROOT / "var" / "soak"
SAMPLE_SECONDS = 5


def prepare(database, reuse, password):
    def manage(*args, **kwargs):
        return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=base_env(database), check=True, **kwargs)

    if not reuse:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{database}"')
        manage("migrate", "--no-input", "-v", "0")
    manage("load_demo", "--no-accounts", stdout=subprocess.DEVNULL)
    env = {**base_env(database), "REGISTRY_PASSWORD": password}
    subprocess.run([PYTHON, "manage.py", "create_user", "soak-member", "--role", "member"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    manage("collectstatic", "--no-input", "-v", "0")


def public_slugs(port):
    """The profiles an anonymous reader may see, as the API lists them."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/profiles/", timeout=30) as response:
        return [profile["slug"] for profile in json.load(response)["results"]]


def paths(slugs):
    """Public pages in both languages, listings with filters, API reads: what readers and machines ask."""
    pages = ["/en/", "/zh-hans/", "/en/profiles/", "/zh-hans/profiles/?kind=topic", "/en/profiles/?q=cable",
             "/en/methodology/", "/zh-hans/methodology/", "/en/feeds/updates.atom", "/sitemap.xml", "/robots.txt"]  # fmt: skip
    for slug in slugs:
        pages += [f"/en/profiles/{slug}/", f"/zh-hans/profiles/{slug}/"]
    api = ["/api/v1/", "/api/v1/profiles/", "/api/v1/profiles/?lang=zh-hans", "/api/v1/confidence-bands/",
           "/api/v1/changes/"]  # fmt: skip
    for slug in slugs:
        api += [f"/api/v1/profiles/{slug}/", f"/api/v1/profiles/{slug}/claims/?lang=all"]
    return pages + api


def worker_pids(master):
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return sorted(int(pid) for pid in children)


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def sample_memory(master, stop, samples):
    started = time.monotonic()
    while not stop.wait(SAMPLE_SECONDS):
        samples.append({"t": round(time.monotonic() - started), "rss_kib": {pid: rss_kib(pid) for pid in worker_pids(master)}})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--reuse", action="store_true", help="keep the database from an earlier run")
    parser.add_argument("--database", default=DATABASE, help="the PostgreSQL database to (re)create and serve")
    parser.add_argument("--redis", metavar="URL", help="serve with REDIS_URL=URL (shared cache, cached sessions)")
    args = parser.parse_args(argv)
    if args.database in {"registry", "registry_bench", "registry_bench_import"}:
        raise SystemExit(f"{args.database} is not a soak database")

    OUT.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    ensure_postgres()
    password = os.urandom(12).hex()
    prepare(args.database, args.reuse, password)
    env = base_env(args.database)
    if args.redis:
        env["REDIS_URL"] = args.redis
    port = free_port()
    server = start_server(args.workers, port, env, log_path=OUT / "gunicorn.log", ready_path="/healthz")
    try:
        paths_file = OUT / "paths.txt"
        anonymous_paths = paths(public_slugs(port))
        paths_file.write_text("\n".join(anonymous_paths) + "\n")
        member = member_session(port, "soak-member", password)
        workers_before = worker_pids(server.pid)
        samples = [{"t": 0, "rss_kib": {pid: rss_kib(pid) for pid in workers_before}}]
        stop = threading.Event()
        sampler = threading.Thread(target=sample_memory, args=(server.pid, stop, samples), daemon=True)
        sampler.start()
        load_before = os.getloadavg()
        # Three quarters of the connections anonymous, one quarter a logged-in member.
        member_connections = max(1, args.concurrency // 4)
        results = {}

        def load(name, connections, cookie=None):
            results[name] = wrk(port, paths_file, args.seconds, connections, cookie)

        runs = [threading.Thread(target=load, args=("anonymous", args.concurrency - member_connections)),
                threading.Thread(target=load, args=("member", member_connections, member))]  # fmt: skip
        for run in runs:
            run.start()
        for run in runs:
            run.join()
        stop.set()
        sampler.join()
        workers_after = worker_pids(server.pid)
        load_after = os.getloadavg()
    finally:
        stop_server(server)

    requests = sum(r["requests"] for r in results.values())
    errors = {kind: sum(r["errors"][kind] for r in results.values()) for kind in results["anonymous"]["errors"]}
    warm = next((s for s in samples if s["t"] >= 60), samples[0])  # after a minute: caches and imports settled
    per_worker = {
        pid: {"start_kib": samples[0]["rss_kib"].get(pid), "after_1_min_kib": warm["rss_kib"].get(pid),
              "end_kib": samples[-1]["rss_kib"].get(pid)}
        for pid in workers_before
    }  # fmt: skip
    summary = {
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "redis": bool(args.redis),
        "paths": len(anonymous_paths),
        "requests": requests,
        "requests_per_second": round(requests / args.seconds, 1),
        "errors": errors,
        "error_total": sum(errors.values()),
        "p50_ms": {name: round(r["p50_us"] / 1000, 1) for name, r in results.items()},
        "p99_ms": {name: round(r["p99_us"] / 1000, 1) for name, r in results.items()},
        "workers_replaced": workers_before != workers_after,
        "rss_per_worker": per_worker,
        "load_average": {"before": load_before, "after": load_after},
        "machine": f"{platform.platform()}, {os.cpu_count()} cores",
    }
    (OUT / "soak.json").write_text(json.dumps({"summary": summary, "samples": samples, "wrk": results}, indent=2))
    print(json.dumps(summary, indent=2))
    healthy = summary["error_total"] == 0 and not summary["workers_replaced"]
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
