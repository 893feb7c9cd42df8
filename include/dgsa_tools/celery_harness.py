"""The Celery deployment (bin/airflow-celery) started for a test or a measurement, then stopped.

Shared by tests/test_celery.py and `python -m dgsa_tools.bench.scaling`: a throw-away Airflow home,
scratch databases on the warehouse's server, a Redis DB number claimed for the run, free ports, a
queue of its own; every process started is killed (by session) on the way out, even on failure.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "bin" / "airflow-celery"


class DeploymentError(AssertionError):
    """The deployment or a DAG run did not do what was expected (an AssertionError, so pytest reports a failure)."""


def server_url() -> str:
    url = os.environ.get("DGSA_WAREHOUSE_URL")
    if not url:
        raise DeploymentError("DGSA_WAREHOUSE_URL is not set: run through `make test` / bin/dgsa-env")
    return url


def _connect(url: str, dbname: str | None = None):
    u = make_url(url)
    return psycopg2.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password,
                            dbname=dbname or u.database)


def query(url: str, sql: str, params=None) -> list[tuple]:
    conn = _connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@contextlib.contextmanager
def scratch_db(prefix: str):
    """A new database on the warehouse's server: (name, url); dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    conn = _connect(url, "postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield name, url
    finally:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.close()


@contextlib.contextmanager
def claimed_redis_db():
    """A Redis DB number (8-15) that was empty, claimed with a marker key; flushed afterwards."""
    import redis  # noqa: PLC0415

    token = uuid.uuid4().hex
    for n in range(8, 16):
        r = redis.Redis(host="127.0.0.1", port=6379, db=n)
        if r.dbsize() == 0 and r.set("dgsa-test-claim", token, nx=True):
            try:
                yield f"redis://127.0.0.1:6379/{n}"
            finally:
                if r.get("dgsa-test-claim") == token.encode():
                    r.flushdb()
            return
    raise DeploymentError("no empty Redis DB among 8-15 on 127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    """bin/airflow-celery in a throw-away home (tmp/celery_home), on the given warehouse, metadata DB and broker.
    settings: environment the caller sets (AIRFLOW__* ones override docker-compose.yaml's)."""

    def __init__(self, tmp: Path, drive: Path, warehouse_url: str, broker: str, metadata_db: str, *,
                 workers: int = 2, **settings):
        self.home = tmp / "celery_home"
        self.port = free_port()
        self.metadata_url = make_url(server_url()).set(database=metadata_db).render_as_string(hide_password=False)
        self.env = dict(os.environ, DGSA_CELERY_HOME=str(self.home), DGSA_CELERY_DB=metadata_db,
                        DGSA_CELERY_BROKER=broker, DGSA_AIRFLOW_PORT=str(self.port), DGSA_WORKERS=str(workers),
                        DGSA_WORKER_CONCURRENCY="1", DGSA_WAREHOUSE_URL=warehouse_url, DGSA_DRIVE=str(drive),
                        DGSA_OUTBOX=str(tmp / "outbox_celery"), DGSA_DOCS_DIR=str(tmp / "docs_celery"),
                        AIRFLOW__OPERATORS__DEFAULT_QUEUE=f"dgsa-test-{uuid.uuid4().hex[:8]}")
        for name in ("AIRFLOW_HOME", "AIRFLOW_CONN_DGSA_WAREHOUSE", "AIRFLOW__API__BASE_URL", "AIRFLOW__API__PORT",
                     "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
                     "DGSA_LOAD_TASKS"):
            self.env.pop(name, None)
        from dgsa_tools.celery_local import common_environment, compose_spec  # noqa: PLC0415

        for name in common_environment(compose_spec()):   # compose's, unless the caller sets it (the caller's win)
            if name.startswith("AIRFLOW__") and name not in settings:
                self.env.pop(name, None)
        self.env.update(settings)
        self.log_path = tmp / "airflow-celery.log"
        self.proc: subprocess.Popen | None = None
        self.sessions: set[int] = set()
        self.left_behind: dict = {}

    def __enter__(self) -> "Deployment":
        log = open(self.log_path, "wb")   # noqa: SIM115
        self.proc = subprocess.Popen([str(LAUNCHER)], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=ROOT)
        log.close()
        self.sessions.add(self.proc.pid)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def table(self) -> dict:
        with contextlib.suppress(OSError, ValueError):
            procs = json.loads((self.home / "processes.json").read_text())["processes"]
            self.sessions |= {p["sid"] for p in procs.values()}
            return procs
        return {}

    def stop(self) -> None:
        """Ctrl-C's path (SIGINT to the launcher), then SIGKILL for anything left in any session seen."""
        from dgsa_tools.celery_processes import kill_session, session_pids  # noqa: PLC0415

        self.table()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=60)
        left = {sid: session_pids(sid) for sid in self.sessions}
        for sid in self.sessions:
            kill_session(sid, signal.SIGKILL)
        if self.proc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self.left_behind = {sid: pids for sid, pids in left.items() if pids}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def meta(self, sql: str, params=None) -> list[tuple]:
        return query(self.metadata_url, sql, params)

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise DeploymentError(f"bin/airflow-celery exited ({self.proc.returncode}):\n{self.log()[-3000:]}")

    def runs(self) -> dict[str, list[tuple]]:
        out: dict[str, list[tuple]] = {}
        with contextlib.suppress(psycopg2.Error):
            for dag_id, run_id, state, run_type, start, end in self.meta(
                    "SELECT dag_id, run_id, state, run_type, start_date, end_date FROM dag_run ORDER BY id"):
                out.setdefault(dag_id, []).append((run_id, state, run_type, start, end))
        return out

    def failure_report(self) -> str:
        lines = []
        with contextlib.suppress(psycopg2.Error):
            for row in self.meta("""SELECT dag_id, task_id, map_index, try_number, state, hostname FROM task_instance
                                    WHERE state NOT IN ('success') ORDER BY start_date"""):
                lines.append(str(row))
        logs = sorted((self.home / "logs").rglob("*.log"))
        for path in [p for p in logs if "load_province" in str(p) or "services" in str(p)][-8:]:
            text = path.read_text(errors="replace").splitlines()
            lines += [f"--- {path.relative_to(self.home)}"] + [ln[:300] for ln in text[-12:]]
        return "\n".join(lines)

    def wait_for_marts(self, timeout: float, on_poll=None) -> dict[str, list[tuple]]:
        """Until dgsa_ingest and the dgsa_marts run its asset triggered are both done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            self.table()
            runs = self.runs()
            ingest, marts = runs.get("dgsa_ingest", []), runs.get("dgsa_marts", [])
            if any(r[1] == "failed" for r in ingest + marts):
                raise DeploymentError(f"a DAG run failed: {ingest + marts}\n{self.failure_report()}")
            if ingest and all(r[1] == "success" for r in ingest) and marts and marts[-1][1] == "success":
                return runs
            if on_poll:
                with contextlib.suppress(psycopg2.Error):   # before the metadata DB is migrated
                    on_poll()
            time.sleep(0.2 if on_poll else 2)
        raise DeploymentError(f"no green dgsa_ingest + dgsa_marts within {timeout:.0f}s: {self.runs()}\n"
                              f"{self.failure_report()}\n{self.log()[-2000:]}")

    def task_instances(self, task_id: str, dag_id: str = "dgsa_ingest") -> list[tuple]:
        """(map_index, try_number, state, hostname, start, end) of a task's instances, by map index."""
        return self.meta("""SELECT map_index, try_number, state, hostname, start_date, end_date FROM task_instance
                            WHERE dag_id = %s AND task_id = %s ORDER BY map_index""", (dag_id, task_id))
