"""Real outages, PostgreSQL only: a cluster stopped under a running server; an import killed with SIGKILL.

- The database drill starts a throwaway PostgreSQL cluster (initdb into a temporary
  directory, on a free port), serves the site from it with gunicorn (DEBUG off), stops the
  cluster (`pg_ctl stop -m immediate`, as a crash would) and checks the pages answer a
  localised 503 within a second, then starts it again and checks they recover.
- The import drill runs `manage.py import_profiles` on a large JSON Lines file in another
  process, kills it with SIGKILL while its transaction is writing, and checks the database
  holds exactly what it held before: every table's row count and the full export.
"""

import glob
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from profiles.services.band_table import ensure_band_table
from tests.conftest import SEED_FILE

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="drills against real PostgreSQL processes (run with DATABASE_URL)"
)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(database_url, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="registry.test_settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def fetch(url, **headers):
    """(status, body, seconds) of a GET; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers=headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read().decode()
    return status, body, time.monotonic() - started


# --- PostgreSQL stopped under a running server -------------------------------------------------------

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def as_postgres(*command, check=True):
    """Run a PostgreSQL server tool as the postgres user (it refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=check, capture_output=True, text=True, timeout=60)


@pytest.fixture
def throwaway_cluster():
    """A new PostgreSQL cluster on a free port: (url, start, stop)."""
    if not PG_BIN or not shutil.which("runuser"):
        pytest.skip("needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin) and runuser")
    bin_dir = PG_BIN[-1]
    workdir = tempfile.mkdtemp(prefix="registry-pg-drill-")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    data = os.path.join(workdir, "data")
    port = free_port()
    as_postgres(f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync",
                "--no-instructions")  # fmt: skip
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"

    def start():
        as_postgres(f"{bin_dir}/pg_ctl", "-D", data, "-o", options, "-l", os.path.join(workdir, "log"), "-w", "start")

    def stop():
        as_postgres(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")

    start()
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres", start, stop
    finally:
        as_postgres(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def server_on(throwaway_cluster):
    """gunicorn (one worker, DEBUG off) serving the site from the throwaway cluster."""
    url, start, stop = throwaway_cluster
    env = child_env(url, ALLOWED_HOSTS="127.0.0.1")
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    port = free_port()
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "registry.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            fetch(base + "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield base, start, stop, log
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_a_stopped_database_gives_a_localised_503_within_a_second_and_the_site_recovers(server_on):
    base, start, stop, log = server_on
    assert fetch(base + "/en/")[0] == 200  # connected, and this page may now be in the page cache

    stop()  # as a crash: no clean shutdown, connections cut
    signed_in = {"Cookie": "sessionid=an-unknown-session"}  # never served from the page cache
    for path, headers, language, heading in [
        ("/en/", signed_in, "en", "The registry is temporarily unavailable"),
        ("/zh-hans/", {}, "zh-hans", "档案库暂时无法访问"),
        ("/en/profiles/?q=dns", {}, "en", "The registry is temporarily unavailable"),
        ("/zh-hans/profiles/?kind=topic", {}, "zh-hans", "档案库暂时无法访问"),
    ]:
        status, body, seconds = fetch(base + path, **headers)
        assert status == 503, (path, body[:500])
        assert seconds < 1, (path, seconds)
        assert heading in body and f'lang="{language}"' in body
        assert "Traceback" not in body and "OperationalError" not in body
    status, body, seconds = fetch(base + "/api/v1/profiles/", **{"Accept-Language": "zh-hans"})
    assert status == 503 and seconds < 1
    assert json.loads(body)["error"]["code"] == "service_unavailable"
    status, body, _seconds = fetch(base + "/healthz")
    assert status == 503 and json.loads(body)["database"] == "unavailable"
    assert "connection" not in body and "Operational" not in body  # the reason is for the server log only

    start()
    assert fetch(base + "/en/", **signed_in)[0] == 200
    assert fetch(base + "/zh-hans/methodology/")[0] == 200
    assert fetch(base + "/healthz")[0] == 200
    log.seek(0)
    server_log = log.read().decode()
    assert "Traceback" not in server_log, server_log[-3000:]
    assert "database unavailable: GET /zh-hans/ answered 503" in server_log
    assert "health check: database 'default' unavailable (OperationalError" in server_log


# --- an import killed midway ---------------------------------------------------------------------------

KILLED_IMPORT_PROFILES = 600


def table_counts():
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # names from the catalogue, not from input
            counts[table] = cursor.fetchone()[0]
    return counts


def export_everything():
    out = io.StringIO()
    call_command("export_profiles", "--jsonl", stdout=out)
    return out.getvalue()


def writing_backend(application_name):
    """The backend pid of the import's connection once its transaction has written something."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND backend_xid IS NOT NULL",
            [application_name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def backend_gone(application_name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_midway_leaves_the_database_as_it_was(tmp_path):
    ensure_band_table()
    call_command("import_profiles", str(SEED_FILE), stdout=io.StringIO())
    before_counts, before_export = table_counts(), export_everything()
    assert before_counts["profiles_profile"] == 1

    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as handle:
        for i in range(KILLED_IMPORT_PROFILES):
            handle.write(json.dumps({**seed, "slug": f"killed-import-{i:04d}"}, ensure_ascii=False) + "\n")
        # and a change to the profile that is already there, which must not survive either
        handle.write(json.dumps({**seed, "name": {"en": "CHANGED BY THE KILLED IMPORT", "zh-hans": "改"}},
                                ensure_ascii=False) + "\n")  # fmt: skip

    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    application_name = f"registry-killed-import-{os.getpid()}"
    importer = subprocess.Popen(
        [PYTHON, "manage.py", "import_profiles", str(big)], cwd=ROOT,
        env=child_env(url, PGAPPNAME=application_name), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while writing_backend(application_name) is None:
        assert importer.poll() is None, f"the import ended before it was killed: {importer.communicate()}"
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.02)
    time.sleep(0.5)  # well into its writes
    assert importer.poll() is None and writing_backend(application_name), "the import finished before the kill"
    importer.send_signal(signal.SIGKILL)
    importer.communicate(timeout=30)
    assert importer.returncode == -signal.SIGKILL

    deadline = time.monotonic() + 30
    while not backend_gone(application_name):  # PostgreSQL rolls back once it sees the client gone
        assert time.monotonic() < deadline, "the killed import's backend never went away"
        time.sleep(0.05)
    assert table_counts() == before_counts
    assert export_everything() == before_export


# --- a pg_dump restores -----------------------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs pg_dump and pg_restore")
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restores_into_an_empty_database_with_everything_in_it(tmp_path):
    """The backup of docs/deploy.md: pg_restore runs with an empty search_path, so the schema must not need one."""
    ensure_band_table()
    call_command("import_profiles", str(SEED_FILE), stdout=io.StringIO())
    source = connection.settings_dict
    target = f"{source['NAME']}_restored"
    base = ["-h", source["HOST"], "-p", str(source["PORT"]), "-U", source["USER"]]
    dump = tmp_path / "registry.dump"
    subprocess.run(["pg_dump", *base, "-Fc", "-f", str(dump), source["NAME"]], check=True, timeout=120)
    subprocess.run(["dropdb", *base, "--if-exists", "--force", target], check=True, timeout=60)
    subprocess.run(["createdb", *base, target], check=True, timeout=60)
    try:
        restore = subprocess.run(["pg_restore", *base, "--no-owner", "--exit-on-error", "-d", target, str(dump)],
                                 capture_output=True, text=True, timeout=120)  # fmt: skip
        assert restore.returncode == 0, restore.stderr[-2000:]
        url = f"postgres://{source['USER']}@{source['HOST']}:{source['PORT']}/{target}"
        exported = subprocess.run([PYTHON, "manage.py", "export_profiles", "--jsonl"], cwd=ROOT, env=child_env(url),
                                  capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
        assert exported.stdout == export_everything()
        # the restored copy keeps its search vectors right when written to
        searched = subprocess.run(
            ["psql", *base, "-X", "-q", "-t", "-A", "-d", target,
             "-c", "UPDATE profiles_profile SET name_en = name_en || ' Restoredword'",
             "-c", "SELECT count(*) FROM profiles_profile WHERE search_names @@ to_tsquery('simple', 'restoredword')"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert searched.returncode == 0 and searched.stdout.strip() == "1", searched.stderr
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", "--force", target], timeout=60)
