"""Test fixtures: a real PostgreSQL database per test session (created and dropped here),
and a throw-away Airflow home with its own SQLite metadata DB for real `airflow dags test` runs;
work done once per session that tests only read (`pipeline_run`, `multiround`); how make test's
xdist workers share the work (tests/xdist_plan.py).

The server comes from DGSA_WAREHOUSE_URL (make test sets it through bin/dgsa-env, from
.dgsa/local.env written by `python -m dgsa_tools.devenv`).
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from dgsa.foundation import db, migrate
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts

import xdist_plan
from airflow_ui import migrated_home

ROOT = Path(__file__).resolve().parent.parent
P50 = "provinces/50-เชียงใหม่"
RESET_SQL = """TRUNCATE audit.rejected_row, raw.source_row, core.assessment,
               core.roster_entry, audit.validation_result, audit.validation_run, audit.source_file, audit.load_run,
               audit.mart_build RESTART IDENTITY CASCADE;
               DROP TABLE IF EXISTS marts.compliance_person, marts.compliance_by_province, marts.training_nominee,
                 marts.training_needs, marts.target_progress, marts.person_progress"""


# ---------------------------------------------------------------- xdist (tests/xdist_plan.py)
def pytest_collection_modifyitems(config, items):
    xdist_plan.order(items)          # the heaviest units first


@pytest.hookimpl(optionalhook=True)      # a hook of pytest-xdist
def pytest_xdist_make_scheduler(config, log):
    """make test: --dist loadfile, one unit per module (or per SHARED fixture's modules)."""
    return xdist_plan.scheduler(config, log) if config.getoption("dist") == "loadfile" else None


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
    return migrated_home(tmp_path_factory.mktemp("airflow_home"))


@pytest.fixture
def run_dag(airflow_home, warehouse):
    """Run a DAG once through real Airflow (`airflow dags test`) on a drive; returns the exit code."""
    def run(dag_id: str, drive: Path) -> subprocess.CompletedProcess:
        env = dict(os.environ, AIRFLOW_HOME=str(airflow_home), DGSA_DRIVE=str(drive), DGSA_WAREHOUSE_URL=warehouse,
                   DGSA_TASK_RETRIES="0")
        return subprocess.run([str(ROOT / "bin/run-dag"), dag_id], env=env, capture_output=True, text=True)
    return run


@pytest.fixture(scope="session")
def multiround(warehouse_url, tmp_path_factory):
    """The three-round drive of tests/multiround_drive.py loaded (then a file removed from the
    drive and the drive loaded again: the file stays in force) and the marts built, once per
    session, in a scratch warehouse of its own that tests only read (the DG-SA page, the feedback
    workbooks). {"url", "drive", "ids", "plan"}."""
    import multiround_drive as mr
    drive = tmp_path_factory.mktemp("rounds") / "drive"
    with db.scratch_database(warehouse_url, "dgsa_multiround") as url:
        info = mr.build(drive)
        ingest.run_all(drive, url=url)
        (drive / mr.REMOVED).unlink()          # the province tidies its folder: the file stays in force
        ingest.run_all(drive, url=url)
        marts.build(url, run_name="manual__rounds_test")
        yield {"url": url, "drive": drive, **info}


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """The whole pipeline once per session (dgsa_ingest, then dgsa_marts, each through bin/run-dag and
    real Airflow) as its least-privilege login dgsa_pipeline, on a small drive: province 50 with one bad
    row of three, province 10 with one row. Its own scratch warehouse (bootstrapped by the superuser:
    migrations + the login), its own migrated Airflow home (the runs stay in its metadata DB, for an
    api-server to show), OpenLineage events to a file, the feedback and run summary to an outbox.
    Tests only read it (test_lineage, test_ui_ops)."""
    from helpers import ids, sub_row, when, write_roster, write_submission
    tmp = tmp_path_factory.mktemp("pipeline_run")
    home = migrated_home(tmp / "airflow_home")
    with db.scratch_database(os.environ["DGSA_WAREHOUSE_URL"], "dgsa_lineage") as url:
        migrate.upgrade(url)
        migrate.seed_reference(url)
        assert migrate.bootstrap_pipeline_login(url) == "dgsa_pipeline"
        login = migrate.pipeline_url(url)
        drive, cids = tmp / "drive", ids(4, seed=20)
        write_roster(drive, [(c, "สมชาย", "ใจดี", "50", "6") for c in cids[:3]] + [(cids[3], "สมหญิง", "ดี", "10", "6")])
        write_submission(drive, f"{P50}/dgsa-50.xlsx",
                         [sub_row(1, cids[0]), sub_row(2, cids[1]), sub_row(3, "12345")], when(20))
        write_submission(drive, "provinces/10-กรุงเทพมหานคร/dgsa-10.xlsx", [sub_row(1, cids[3], province="10")], when(21))
        env = dict(os.environ, AIRFLOW_HOME=str(home), DGSA_DRIVE=str(drive), DGSA_WAREHOUSE_URL=login,
                   DGSA_TASK_RETRIES="0", DGSA_LINEAGE_DIR=str(tmp / "lineage"), DGSA_OUTBOX=str(tmp / "outbox"),
                   DGSA_DOCS_DIR=str(tmp / "docs"), AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
                   AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False")    # as `make airflow` makes them: unpaused
        results = {}
        for dag in ("dgsa_ingest", "dgsa_marts"):
            env["DGSA_RUN_DAG_LOG"] = str(tmp / f"{dag}.log")
            results[dag] = subprocess.run([str(ROOT / "bin/run-dag"), dag], env=env, capture_output=True, text=True)
        text = (tmp / "lineage" / "events.jsonl").read_text(encoding="utf-8")
        yield SimpleNamespace(url=url, login=login, drive=drive, cids=cids, results=results, text=text, tmp=tmp,
                              home=home, outbox=tmp / "outbox", env=env,
                              events=[json.loads(line) for line in text.splitlines() if line.strip()])
