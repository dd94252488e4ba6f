"""Bulk writes as plain SQL, for the paths that write thousands of rows at once.

Import and score recomputation write rows by the ten thousand. Building a model
instance per row (and, for `bulk_update`, a `CASE WHEN id = …` expression per row
and field) costs far more than the database's own work, so these two helpers take
rows as tuples of column values:

* `insert_rows` — `COPY … FROM STDIN` on PostgreSQL (ids drawn from the table's
  sequence first when the caller needs them), one multi-row
  `INSERT … VALUES (…), (…) RETURNING id` per chunk elsewhere;
* `update_rows` — one `UPDATE … FROM (VALUES (…), (…))` per chunk, joined on the id.

Both run on PostgreSQL and on SQLite (3.33+ for UPDATE FROM, 3.35+ for RETURNING).
Values go through the backend's adapters (`db_value`), as the ORM's would; model
signals are not sent, so callers invalidate caches themselves.
"""

import json
from datetime import date, datetime
from decimal import Decimal

from django.db import connection

# Well below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
MAX_PARAMETERS = 30000


def db_value(value):
    """A Python value as the database driver takes it (dates, decimals, JSON)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    if isinstance(value, (dict, list)):
        return json_value(value)
    return value


def json_value(value):
    """A JSON column's value for the driver."""
    if connection.vendor == "postgresql":
        return connection.ops.adapt_json_value(value, None)
    return json.dumps(value)


def _columns(model, names):
    return [connection.ops.quote_name(model._meta.get_field(name).column) for name in names]


def _chunks(rows, width):
    size = max(1, MAX_PARAMETERS // max(width, 1))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert_rows(model, names, rows, *, returning=False):
    """Insert rows (tuples in the order of `names`); return their ids in order if asked.

    `names` are field names or attnames (`profile_id`); for an automatic
    many-to-many table pass its `through` model and its column names.
    """
    rows = list(rows)
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy_rows(model, names, rows, returning=returning)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_columns(model, names))
    row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
    ids = []
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(names)):
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}"
            if returning:
                sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
            cursor.execute(sql, [db_value(value) for row in chunk for value in row])
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _copy_rows(model, names, rows, *, returning):
    """PostgreSQL: COPY, the fastest way in; ids, when wanted, are drawn from the table's sequence first.

    psycopg adapts dates, times, decimals and booleans itself; only JSON needs wrapping.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = _columns(model, names)
    json_columns = [
        i for i, name in enumerate(names) if model._meta.get_field(name).get_internal_type() == "JSONField"
    ]
    ids = []
    with connection.cursor() as cursor:
        if returning:
            pk = model._meta.pk.column
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = [connection.ops.quote_name(pk), *columns]
        # The raw psycopg cursor: wrapped, so a failed COPY (e.g. a parallel import's unique key)
        # is Django's IntegrityError/DatabaseError like any other query's.
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for i, row in enumerate(rows):
                if json_columns:
                    row = list(row)
                    for column in json_columns:
                        row[column] = json_value(row[column])
                copy.write_row((ids[i], *row) if returning else row)
    return ids


# PostgreSQL infers a VALUES list's column types from its first row, so each cell is cast.
_PG_TYPES = {
    "DecimalField": "numeric",
    "JSONField": "jsonb",
    "DateTimeField": "timestamptz",
    "DateField": "date",
    "PositiveIntegerField": "integer",
    "BigAutoField": "bigint",
    "CharField": "varchar",
    "SlugField": "varchar",
    "URLField": "varchar",
    "TextField": "text",
    "BooleanField": "boolean",
}


def update_rows(model, names, rows):
    """Set columns `names[1:]` of the rows whose id is each row's first value."""
    rows = list(rows)
    if not rows:
        return 0
    fields = [model._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        cells = [f"CAST(%s AS {_PG_TYPES[field.get_internal_type()]})" for field in fields]
    else:
        cells = ["%s"] * len(fields)
    row_sql = "(" + ", ".join(cells) + ")"
    assignments = ", ".join(
        f"{connection.ops.quote_name(field.column)} = v.column{i + 1}" for i, field in enumerate(fields) if i
    )
    pk = connection.ops.quote_name(fields[0].column)
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(names)):
            values = ", ".join([row_sql] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v WHERE {table}.{pk} = v.column1",
                [_update_value(value) for row in chunk for value in row],
            )
    return len(rows)


def _update_value(value):
    if isinstance(value, Decimal) and connection.vendor != "postgresql":
        return str(value)
    return db_value(value)
