"""`make bench`: build the bench registry, load-test the site, time import and export.

    .venv/bin/python bench/run.py [--duration 12] [--warmup 3] [--connections 8]
                                  [--workers N] [--reuse] [--skip-load] [--skip-interchange]
                                  [--scale 1.0]

Steps (each prints as it goes; the tables come last):

1. Preflight: installs Debian's `wrk` if it is missing (as .ci/run does for its
   packages) and starts the local PostgreSQL if it is not answering.
2. Database `registry_bench`: dropped, created, migrated and filled by
   `bench/generate.py` (10,000 profiles and their parts; timed). `--reuse` keeps a
   database that already holds the generated data.
3. `collectstatic` into var/bench/static (the production manifest storage needs it).
4. `bench/probe.py`: the member account, the endpoints and their SQL queries per request.
5. gunicorn (the production server) on loopback, DEBUG off, `2 × cores + 1` sync
   workers; the member logs in through the login form to get a session cookie.
6. For each endpoint: a warm-up, then `wrk` at fixed concurrency for a fixed time.
7. Interchange: `export_profiles --jsonl` of every profile, `import_profiles` of that
   file into an empty, migrated `registry_bench_import`, and an export from there that
   must be byte-identical; each a separate process whose peak memory (ru_maxrss) is read.
8. The tables, in Markdown, with each target met or missed. Also written to
   var/bench/results.md and var/bench/results.json.

The machine is shared by the server, PostgreSQL and wrk: numbers are for this machine
as a whole, and noisy when anything else runs on it.
"""

import argparse
import http.cookiejar
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = ROOT / "var" / "bench"
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = "registry_bench"
IMPORT_DB = "registry_bench_import"
FORBIDDEN_DBS = {"registry", "test_registry", "registry_api", "registry_admin"}
BENCH_SECRET_KEY = secrets.token_urlsafe(50)  # one per run, shared by every process of the run

# The targets.
PROFILE_RATIO_TARGET = 0.40
CACHED_RATIO_TARGET = 0.85
P95_TARGETS_MS = {"profile": 50, "profile_cached": 50, "search": 100, "search_zh": 100, "api_detail": 50,
                  "api_detail_cached": 50, "browse": 80}
IMPORT_RATE_TARGET = 500  # profiles per second
PEAK_MB_TARGET = 500

BENCH_REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own, flushed per run

MIN_REQUESTS = 40  # per measurement; slow endpoints get a longer run to reach it
MAX_DURATION = 60  # seconds


def say(text):
    print(f"== {text}", flush=True)


# Environment -----------------------------------------------------------------------


def base_env(database):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"{PG}/{database}",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        PYTHONPATH=str(ROOT),
        # The API's per-address rate limit would answer the load generator 429 after
        # 120 requests; a limit no run reaches keeps the throttle's own cost in the path.
        API_THROTTLE_ANON="100000000/min",
        API_THROTTLE_USER="100000000/min",
    )
    env.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    # As deployed (docs/deploy.md): Redis shared by the workers holds the page cache.
    env.setdefault("REDIS_URL", BENCH_REDIS_URL)
    return env


def flush_bench_cache():
    """Start from an empty cache: nothing cached by an earlier run is measured as a hit."""
    import redis

    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()


def run(cmd, env=None, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def manage(*args, database=BENCH_DB, **kwargs):
    return run([PYTHON, "manage.py", *args], env=base_env(database), **kwargs)


def ensure_wrk():
    if shutil.which("wrk"):
        return
    say("installing wrk (Debian)")
    run(["apt-get", "update", "-qq"])
    run(["apt-get", "install", "-y", "-qq", "wrk"], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        stdout=subprocess.DEVNULL)  # fmt: skip


def ensure_postgres():
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
        return
    say("starting PostgreSQL")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])
    for _ in range(30):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            return
        time.sleep(1)
    raise SystemExit("PostgreSQL does not answer on 127.0.0.1:5432")


def psql(sql, database="postgres"):
    out = run(["psql", "-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-c", sql],
              capture_output=True, text=True)  # fmt: skip
    return out.stdout.strip()


def recreate_database(name):
    assert name not in FORBIDDEN_DBS and name.startswith("registry_bench"), name
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')


def machine():
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    meminfo = Path("/proc/meminfo").read_text()
    total_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(total_kib / 1024 / 1024, 1),
        "cpu": next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), "?"),  # fmt: skip
        "python": platform.python_version(),
        "postgresql": psql("SHOW server_version"),
        "wrk": first_line(["wrk", "--version"]),
        "gunicorn": first_line([str(Path(PYTHON).parent / "gunicorn"), "--version"]),
        "load_before": os.getloadavg(),
    }


# Data --------------------------------------------------------------------------------


def prepare_database(args):
    if args.reuse and BENCH_DB in psql("SELECT datname FROM pg_database").split():
        count = psql("SELECT count(*) FROM profiles_profile", database=BENCH_DB)
        if int(count or 0) > 0:
            say(f"reusing {BENCH_DB} ({count} profiles)")
            manage("migrate", "--no-input", "-v", "0")
            previous = OUT / "generate.json"
            return json.loads(previous.read_text()) if previous.exists() else None
    say(f"creating {BENCH_DB}")
    recreate_database(BENCH_DB)
    manage("migrate", "--no-input", "-v", "0")
    say("generating data (bench/generate.py)")
    report = OUT / "generate.json"
    run([PYTHON, str(BENCH / "generate.py"), "--scale", str(args.scale), "--report", str(report)],
        env=base_env(BENCH_DB), stdout=subprocess.DEVNULL)  # fmt: skip
    return json.loads(report.read_text())


# Load ----------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workers, port, env, *, log_path=None, ready_path="/bench/trivial/"):
    """gunicorn on loopback, once `ready_path` answers 200; the log in `log_path`."""
    log_path = log_path or OUT / "gunicorn.log"
    log = open(log_path, "w")
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "registry.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
         "--worker-tmp-dir", "/dev/shm", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_path}")
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer in 30 s")


def stop_server(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def member_session(port, username, password):
    """Log in through the login form, as a browser would; return the session cookie value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/accounts/login/?next=/en/", timeout=10) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/en/"}
    ).encode()
    try:
        opener.open(urllib.request.Request(f"{base}/accounts/login/", data=form), timeout=10)
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise SystemExit(f"member login answered {exc.code}") from None
    session = next((cookie.value for cookie in jar if cookie.name == "sessionid"), None)
    if not session:
        raise SystemExit("member login did not set a session cookie")
    return session


def wrk(port, paths_file, seconds, connections, cookie=None):
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "60s",
           "-s", str(BENCH / "report.lua")]  # fmt: skip
    if cookie:
        cmd += ["-H", f"Cookie: sessionid={cookie}"]
    cmd += [f"http://127.0.0.1:{port}", "--", str(paths_file)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("{"))
    result = json.loads(line)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def settle(port, seconds=120):
    """Wait until the server has drained the previous endpoint's queue (a fast, quick answer)."""
    deadline, quick = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and quick < 3:
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/trivial/", timeout=seconds) as response:
            response.read()
        quick = quick + 1 if time.perf_counter() - start < 0.05 else 0
        time.sleep(0.2)


def duration_for(endpoint, args):
    """The measuring time: longer for slow endpoints, so about 40 requests complete at least."""
    cores = os.cpu_count() or 1
    needed = endpoint["serial_ms"] / 1000 * MIN_REQUESTS / cores
    return int(min(MAX_DURATION, max(args.duration, needed)))


def load_test(args, endpoints, member, password):
    port = free_port()
    env = base_env(BENCH_DB)
    say(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}")
    flush_bench_cache()
    server = start_server(args.workers, port, env)
    try:
        cookie = member_session(port, member, password)
        for endpoint in endpoints:
            paths_file = OUT / f"paths-{endpoint['kind']}.txt"
            paths_file.write_text("\n".join(endpoint["paths"]) + "\n")
            session = cookie if endpoint["audience"] == "member" else None
            settle(port)
            wrk(port, paths_file, args.warmup, args.connections, session)
            settle(port)
            result = wrk(port, paths_file, duration_for(endpoint, args), args.connections, session)
            endpoint["load"] = result
            errors = sum(result["errors"].values())
            print(
                f"   {endpoint['name']:<30} {endpoint['audience']:<9} {result['rps']:8.1f} req/s  "
                f"p95 {result['p95_us'] / 1000:7.1f} ms  n={result['requests']}"
                + (f"  ERRORS {result['errors']}" if errors else ""),
                flush=True,
            )
    finally:
        stop_server(server)


# Interchange ---------------------------------------------------------------------------


def measured(cmd, env, label):
    """Run a process; return (seconds, peak resident MB) of that process alone."""
    with open(OUT / f"{label}.out", "w") as out, open(OUT / f"{label}.err", "w") as err:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{label} failed ({process.returncode}); see {OUT / (label + '.err')}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def interchange(profile_count):
    exported, reexported = OUT / "export.jsonl", OUT / "export-after-import.jsonl"
    say(f"export_profiles --jsonl ({profile_count} profiles)")
    export_s, export_mb = measured(
        [PYTHON, "manage.py", "export_profiles", "--jsonl", "-o", str(exported)], base_env(BENCH_DB), "export"
    )
    say(f"import_profiles into an empty {IMPORT_DB}")
    recreate_database(IMPORT_DB)
    manage("migrate", "--no-input", "-v", "0", database=IMPORT_DB)
    import_s, import_mb = measured(
        [PYTHON, "manage.py", "import_profiles", str(exported)], base_env(IMPORT_DB), "import"
    )
    say("export again from the imported copy")
    measured([PYTHON, "manage.py", "export_profiles", "--jsonl", "-o", str(reexported)], base_env(IMPORT_DB),
             "export-after-import")  # fmt: skip
    return {
        "profiles": profile_count,
        "file_mb": round(exported.stat().st_size / 1024 / 1024, 1),
        "export": {"seconds": round(export_s, 1), "rate": profile_count / export_s, "peak_mb": round(export_mb)},
        "import": {"seconds": round(import_s, 1), "rate": profile_count / import_s, "peak_mb": round(import_mb)},
        "round_trip_identical": exported.read_bytes() == reexported.read_bytes(),
    }


# Report ---------------------------------------------------------------------------------


def ms(us):
    return f"{us / 1000:.1f}"


def endpoint_table(endpoints):
    floor = next((e["load"]["rps"] for e in endpoints if e["kind"] == "floor" and "load" in e), None)
    rows = [
        "| endpoint | audience | path (first of rotation) | req/s | p50 ms | p95 ms | p99 ms | requests "
        "| SQL queries/req | serial ms | vs trivial |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    notes = []
    for e in endpoints:
        load = e.get("load")
        path = urllib.parse.unquote(e["paths"][0]) + (f" (+{len(e['paths']) - 1} more)" if len(e["paths"]) > 1 else "")
        if "results" in e:
            path += f" → {e['results']} results"
        queries = str(e["queries"]) if e["queries"] == e["queries_min"] else f"{e['queries_min']}–{e['queries']}"
        if load is None:
            rows.append(f"| {e['name']} | {e['audience']} | `{path}` | – | – | – | – | – | {queries} | {e['serial_ms']} | – |")
            continue
        ratio = f"{load['rps'] / floor:.0%}" if floor else "–"
        errors = {kind: n for kind, n in load["errors"].items() if n}
        if errors:
            notes.append(f"{e['name']} ({e['audience']}): wrk counted errors {errors}; "
                         "percentiles are of the requests that completed.")  # fmt: skip
        rows.append(
            f"| {e['name']}{' ⚠' if errors else ''} | {e['audience']} | `{path}` | {load['rps']:.0f} | "
            f"{ms(load['p50_us'])} | {ms(load['p95_us'])} | {ms(load['p99_us'])} | {load['requests']} | {queries} | "
            f"{e['serial_ms']} | {ratio} |"
        )
    return rows + ([""] + [f"⚠ {note}" for note in notes] if notes else [])


def interchange_table(result):
    rows = [
        "| operation | profiles | seconds | profiles/s | peak MB |",
        "|---|--:|--:|--:|--:|",
    ]
    for name in ("export", "import"):
        r = result[name]
        rows.append(f"| `{name}_profiles` (JSON Lines, {result['file_mb']} MB) | {result['profiles']} | "
                    f"{r['seconds']} | {r['rate']:.0f} | {r['peak_mb']} |")  # fmt: skip
    rows.append(f"\nExport → import → export byte-identical: {'yes' if result['round_trip_identical'] else 'NO'}.")
    return rows


def verdict(ok):
    return "met" if ok else "**missed**"


def targets_table(endpoints, interchange_result, load_tested):
    by_kind = {e["kind"]: e for e in endpoints if "load" in e}
    floor = by_kind.get("floor")
    rows = ["| target | measured | verdict |", "|---|---|---|"]

    def p95_row(kind, label):
        target = P95_TARGETS_MS[kind]
        e = by_kind.get(kind)
        if e is None:
            why = "not measurable: endpoint not built yet" if load_tested else "not measured in this run"
            rows.append(f"| {label} p95 < {target} ms | {why} | – |")
            return
        p95 = e["load"]["p95_us"] / 1000
        rows.append(f"| {label} p95 < {target} ms | {p95:.1f} ms | {verdict(p95 < target)} |")

    if floor and "profile" in by_kind:
        ratio = by_kind["profile"]["load"]["rps"] / floor["load"]["rps"]
        rows.append(f"| uncached anonymous profile page ≥ {PROFILE_RATIO_TARGET:.0%} of trivial view | {ratio:.0%} | "
                    f"{verdict(ratio >= PROFILE_RATIO_TARGET)} |")  # fmt: skip
    if floor and "profile_cached" in by_kind:
        ratio = by_kind["profile_cached"]["load"]["rps"] / floor["load"]["rps"]
        rows.append(f"| page-cached anonymous profile page ≥ {CACHED_RATIO_TARGET:.0%} of trivial view | {ratio:.0%} | "
                    f"{verdict(ratio >= CACHED_RATIO_TARGET)} |")  # fmt: skip
    p95_row("profile", "uncached anonymous profile page")
    p95_row("profile_cached", "page-cached anonymous profile page")
    p95_row("search", "search (uncached)")
    p95_row("search_zh", "search in Chinese (uncached)")
    p95_row("api_detail", "API detail (uncached)")
    p95_row("api_detail_cached", "API detail (cached)")
    p95_row("browse", "browse with filters (uncached)")
    if interchange_result:
        for name in ("import", "export"):
            r = interchange_result[name]
            rows.append(f"| {name} ≥ {IMPORT_RATE_TARGET} profiles/s | {r['rate']:.0f} profiles/s | "
                        f"{verdict(r['rate'] >= IMPORT_RATE_TARGET)} |")  # fmt: skip
            rows.append(f"| {name} peak memory < {PEAK_MB_TARGET} MB for {interchange_result['profiles']} profiles | "
                        f"{r['peak_mb']} MB | {verdict(r['peak_mb'] < PEAK_MB_TARGET)} |")  # fmt: skip
    return rows


def report(args, facts, generated, endpoints, interchange_result):
    lines = [
        f"# Bench run {facts['started']}",
        "",
        f"Machine: {facts['cores']} cores ({facts['cpu']}), {facts['memory_gib']} GiB; Python {facts['python']}; "
        f"PostgreSQL {facts['postgresql']}; {facts['gunicorn']} ({args.workers} sync workers); {facts['wrk']}.",
        f"Load: wrk, {args.connections} connections, {args.warmup} s warm-up then {args.duration} s per endpoint. "
        f"Load average before: {', '.join(f'{x:.2f}' for x in facts['load_before'])}; "
        f"after: {', '.join(f'{x:.2f}' for x in facts['load_after'])}.",
        "",
    ]
    if generated:
        totals = generated["totals"]
        lines += [
            f"Data (seed {generated['seed']}): {totals['profiles']} profiles, {totals['evidence']} evidence records "
            f"({totals['profile_evidence']} source links), {totals['claims']} claims ({totals['claim_evidence']} "
            f"claim–evidence links), {totals['timeline']} timeline events, {totals['watchpoints']} watchpoints, "
            f"{totals['relationships']} relationships, {totals['faq']} FAQ entries, {totals['briefings']} briefings, "
            f"{totals['topics']} topics. Generated in {generated['total_seconds']:.0f} s, of which "
            f"recompute_scores {generated['seconds']['recompute_scores (all profiles)']:.0f} s.",
            "",
        ]
    if endpoints:
        lines += ["## Endpoints", "", *endpoint_table(endpoints), ""]
    if interchange_result:
        lines += ["## Import and export", "", *interchange_table(interchange_result), ""]
    lines += ["## Targets", "", *targets_table(endpoints or [], interchange_result, not args.skip_load), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=12, help="seconds of measured load per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--scale", type=float, default=1.0, help="data size (1.0 = 10,000 profiles)")
    parser.add_argument("--reuse", action="store_true", help="keep a registry_bench that already has data")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-interchange", action="store_true")
    args = parser.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    ensure_postgres()
    facts = machine()
    facts["started"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    generated = prepare_database(args)
    profile_count = int(psql("SELECT count(*) FROM profiles_profile", database=BENCH_DB))

    endpoints = []
    if not args.skip_load:
        say("collectstatic")
        manage("collectstatic", "--no-input", "-v", "0")
        say("probe: endpoints and SQL queries per request (in-process)")
        password = secrets.token_urlsafe(16)
        probe_file = OUT / "probe.json"
        run([PYTHON, str(BENCH / "probe.py"), str(probe_file)],
            env=dict(base_env(BENCH_DB), BENCH_MEMBER_PASSWORD=password))  # fmt: skip
        probe = json.loads(probe_file.read_text())
        endpoints = probe["endpoints"]
        load_test(args, endpoints, probe["member"], password)

    interchange_result = None if args.skip_interchange else interchange(profile_count)
    facts["load_after"] = os.getloadavg()

    text = report(args, facts, generated, endpoints, interchange_result)
    (OUT / "results.md").write_text(text + "\n")
    (OUT / "results.json").write_text(json.dumps(
        {"args": vars(args), "machine": facts, "generated": generated, "endpoints": endpoints,
         "interchange": interchange_result}, indent=2, ensure_ascii=False) + "\n")  # fmt: skip
    print()
    print(text)


if __name__ == "__main__":
    main()
