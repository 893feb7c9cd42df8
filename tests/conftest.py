"""Test fixtures: a real PostgreSQL database per test session (created and dropped here),
and a throw-away Airflow home with its own SQLite metadata DB for real `airflow dags test` runs.

The server comes from DGSA_WAREHOUSE_URL (make test sets it through bin/dgsa-env, from
.dgsa/local.env written by `python -m dgsa_tools.devenv`).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dgsa.foundation import db
from dgsa.ingest import steps as ingest

ROOT = Path(__file__).resolve().parent.parent
RESET_SQL = """TRUNCATE audit.rejected_row, raw.source_row, core.assessment,
               core.roster_entry, audit.validation_result, audit.validation_run, audit.source_file, audit.load_run,
               audit.mart_build RESTART IDENTITY CASCADE;
               DROP TABLE IF EXISTS marts.compliance_person, marts.compliance_by_province, marts.training_nominee,
                 marts.training_needs, marts.target_progress, marts.person_progress"""


@pytest.fixture(scope="session")
def warehouse_url():
    base = os.environ.get("DGSA_WAREHOUSE_URL")
    if not base:
        pytest.fail("DGSA_WAREHOUSE_URL is not set: run the tests with `make test`")
    with db.scratch_database(base, "dgsa_test") as url:
        os.environ["DGSA_WAREHOUSE_URL"] = url
        try:
            ingest.prepare(url)
            yield url
        finally:
            os.environ["DGSA_WAREHOUSE_URL"] = base


@pytest.fixture
def warehouse(warehouse_url):
    """An empty warehouse (reference data kept) for one test."""
    with db.transaction(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(RESET_SQL)
    return warehouse_url


@pytest.fixture
def sql(warehouse):
    """Run a query on the test warehouse and get all rows."""
    def run(query: str, params=None):
        with db.transaction(warehouse) as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None
    return run


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    env = dict(os.environ, AIRFLOW_HOME=str(home))
    subprocess.run([str(ROOT / "bin/dgsa-env"), "airflow", "db", "migrate"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return home


@pytest.fixture
def run_dag(airflow_home, warehouse):
    """Run a DAG once through real Airflow (`airflow dags test`) on a drive; returns the exit code."""
    def run(dag_id: str, drive: Path) -> subprocess.CompletedProcess:
        env = dict(os.environ, AIRFLOW_HOME=str(airflow_home), DGSA_DRIVE=str(drive), DGSA_WAREHOUSE_URL=warehouse,
                   DGSA_TASK_RETRIES="0")
        return subprocess.run([str(ROOT / "bin/run-dag"), dag_id], env=env, capture_output=True, text=True)
    return run
