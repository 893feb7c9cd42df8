"""Warehouse connections and bulk COPY.

Loading goes through PostgreSQL COPY (psycopg2 `copy_expert`), never row-by-row INSERTs.
"""
from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable, Iterator, Sequence

import psycopg2
from sqlalchemy.engine import make_url

from dgsa.foundation import config


def dsn(url: str | None = None) -> str:
    """libpq connection string for a SQLAlchemy URL (so psycopg2 can be used directly)."""
    u = make_url(url or config.warehouse_url())
    parts = {"host": u.host, "port": u.port, "dbname": u.database, "user": u.username, "password": u.password}
    parts.update({k: v for k, v in u.query.items() if isinstance(v, str)})
    return " ".join(f"{k}='{str(v)}'" for k, v in parts.items() if v not in (None, ""))


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached: not about any file; the task fails and Airflow retries it."""


def connect(url: str | None = None):
    """A connection (not autocommit). Unreachable warehouse: WarehouseUnavailable with one
    plain line, "warehouse unreachable at host:port/db: <libpq's first line>"."""
    try:
        conn = psycopg2.connect(dsn(url), application_name="dgsa")
    except psycopg2.OperationalError as exc:
        u = make_url(url or config.warehouse_url())
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise WarehouseUnavailable(f"warehouse unreachable at {u.host or 'localhost'}:{u.port or 5432}/"
                                   f"{u.database}: {first}") from None
    conn.autocommit = False
    return conn


@contextlib.contextmanager
def transaction(url: str | None = None) -> Iterator:
    """A psycopg2 connection in one transaction: committed on success, rolled back on error."""
    with connection(url) as conn, committed(conn):
        yield conn


@contextlib.contextmanager
def connection(url: str | None = None) -> Iterator:
    """One connection for many transactions (the caller commits or rolls back each); closed after."""
    conn = connect(url)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def committed(conn) -> Iterator:
    """One transaction on an open connection: committed on success, rolled back on error."""
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def copy_rows(cur, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows (tuples; None is NULL) into table via CSV. Returns the number of rows sent."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    n = 0
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
        n += 1
    if n:
        buf.seek(0)
        cols = ", ".join(columns)
        cur.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)
    return n


@contextlib.contextmanager
def server(url: str | None = None) -> Iterator:
    """An autocommit connection to the server's `postgres` database (for CREATE/DROP DATABASE)."""
    conn = psycopg2.connect(dsn(make_url(url or config.warehouse_url()).set(database="postgres")
                                .render_as_string(hide_password=False)))
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def ensure_database(url: str) -> None:
    """Create the database named in the URL if it does not exist (needs CREATEDB on the server)."""
    name = make_url(url).database
    with server(url) as admin, admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')


@contextlib.contextmanager
def scratch_database(url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on url's server, dropped afterwards; yields its URL."""
    import uuid  # noqa: PLC0415

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with server(url) as admin, admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')


def scalar(cur, sql: str, params=None):
    cur.execute(sql, params)
    row = cur.fetchone()
    return row[0] if row else None
