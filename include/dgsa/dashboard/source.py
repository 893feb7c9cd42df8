"""Which database the DG-SA page reads, as the analyst role `dgsa_analyst` (marts, audit, ref;
read-only), and a small pool of read-only connections to it.

The URL, first found wins:
1. DGSA_ANALYST_URL (a SQLAlchemy URL, e.g. postgresql+psycopg2://dgsa_analyst:pw@host:5432/dgsa);
2. the Airflow connection `dgsa_analyst` (AIRFLOW_CONN_DGSA_ANALYST or the metadata DB);
3. the warehouse URL (DGSA_WAREHOUSE_URL or connection `dgsa_warehouse`) with the user switched
   to dgsa_analyst and the password taken from DGSA_ANALYST_PASSWORD (none: trust/peer/.pgpass).
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from psycopg2.pool import ThreadedConnectionPool
from sqlalchemy.engine import make_url

from dgsa.foundation import config, db

ANALYST_ROLE = "dgsa_analyst"
_pools: dict[str, ThreadedConnectionPool] = {}
_lock = threading.Lock()


def _airflow_connection(conn_id: str) -> str | None:
    try:
        from airflow.models.connection import Connection  # noqa: PLC0415

        conn = Connection.get_connection_from_secrets(conn_id)
    except Exception:  # noqa: BLE001 - not inside Airflow, or not defined
        return None
    return conn.get_uri().replace("postgres://", "postgresql+psycopg2://", 1).replace(
        "postgresql://", "postgresql+psycopg2://", 1)


def analyst_url() -> str:
    if url := os.environ.get("DGSA_ANALYST_URL"):
        return url
    if url := _airflow_connection(ANALYST_ROLE):
        return url
    base = make_url(config.warehouse_url())
    return base.set(username=ANALYST_ROLE, password=os.environ.get("DGSA_ANALYST_PASSWORD") or None) \
        .render_as_string(hide_password=False)


def _pool(url: str) -> ThreadedConnectionPool:
    with _lock:
        pool = _pools.get(url)
        if pool is None:
            pool = _pools[url] = ThreadedConnectionPool(
                0, 8, db.dsn(url), application_name="dgsa_page",
                options="-c statement_timeout=15000 -c default_transaction_read_only=on")
        return pool


@contextlib.contextmanager
def cursor(url: str | None = None) -> Iterator:
    """A cursor on a pooled read-only autocommit connection (as the analyst by default)."""
    pool = _pool(url or analyst_url())
    conn = pool.getconn()
    broken = False
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            yield cur
    except Exception:
        broken = True
        raise
    finally:
        pool.putconn(conn, close=broken or conn.closed != 0)


def close_all() -> None:
    with _lock:
        for pool in _pools.values():
            pool.closeall()
        _pools.clear()
