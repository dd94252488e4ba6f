"""Concurrent writers on the embedded SQLite database (`make run`) queue instead of failing.

Two requests that each read and then write in one transaction are the usual way to get
"database is locked" from SQLite: both hold a read lock, neither can upgrade. The
settings make a transaction take the write lock when it begins, so the second waits.
"""

import threading

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the embedded SQLite database only",
)


def _connection(path):
    """A connection configured as the site's, to a database file of the test's own."""
    alias = f"writer-{threading.get_ident()}"
    connection = DatabaseWrapper({**settings.DATABASES["default"], "NAME": str(path), "TEST": {}}, alias=alias)
    connections[alias] = connection
    return connection


def test_two_read_then_write_transactions_both_commit(tmp_path, django_db_blocker):
    path = tmp_path / "registry.sqlite3"
    with django_db_blocker.unblock():
        setup = _connection(path)
        with setup.cursor() as cursor:
            cursor.execute("CREATE TABLE counter (n INTEGER)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        setup.close()

    both_read = threading.Barrier(2, timeout=1)
    errors = []

    def increment():
        connection = _connection(path)
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                (n,) = cursor.fetchone()
                try:
                    both_read.wait()
                except threading.BrokenBarrierError:
                    pass  # the other writer is waiting for our lock: fine
                cursor.execute("UPDATE counter SET n = %s", [n + 1])
        except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(error)
        finally:
            connection.close()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=increment) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        check = _connection(path)
        with check.cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            (n,) = cursor.fetchone()
        check.close()
    assert errors == []
    assert n == 2, "each writer saw the other's committed value, nothing lost"
