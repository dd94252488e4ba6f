"""Reads to a PostgreSQL read replica, writes and read-after-write to the primary.

Enabled by `DATABASE_REPLICA_URL` (registry/settings.py adds the `replica` alias and
this router). The rules:

- every write goes to the primary (`default`), and so do migrations;
- a read goes to the replica unless it must see the latest data:
  * inside a transaction on the primary (`select_for_update`, a read then a write, the
    admin's saves): the transaction's own view of the data is on the primary;
  * while the request is pinned to the primary: a request that writes (POST, PUT, PATCH,
    DELETE), and requests from the same browser for `DATABASE_REPLICA_PIN_SECONDS` after
    it (registry.infra.middleware.PrimaryPinMiddleware sets a short-lived cookie), so people
    see their own edits even when the replica lags a little;
- objects from either database may be related: they are the same data.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

PRIMARY = "default"
REPLICA = "replica"
PIN_COOKIE = "primary_pin"

_pinned = ContextVar("registry_primary_pinned", default=False)


@contextmanager
def primary_pinned(pinned=True):
    """Within this block, reads go to the primary (when `pinned`)."""
    token = _pinned.set(pinned or _pinned.get())
    try:
        yield
    finally:
        _pinned.reset(token)


def is_pinned():
    return _pinned.get()


class PrimaryReplicaRouter:
    """Django database router: the rules in the module docstring."""

    def db_for_read(self, model, **hints):
        if _pinned.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
