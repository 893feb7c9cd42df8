"""The pipeline login dgsa_pipeline (issue 20): only what the pipeline needs.

A scratch warehouse is migrated and bootstrapped by the superuser (as `make migrate` and compose's
airflow-init do); then, connected as dgsa_pipeline, it can run `prepare` (migrations + reference
data) and write its own schemas, and it cannot create roles or databases, read pg_authid, create
schemas, write public or any schema that is not its own. The whole pipeline running green as that
login is tests/test_lineage.py::test_the_whole_pipeline_runs_green_as_dgsa_pipeline.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import errors

from dgsa.foundation import db, migrate
from dgsa.ingest import steps

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def urls():
    with db.scratch_database(os.environ["DGSA_WAREHOUSE_URL"], "dgsa_login") as url:
        migrate.upgrade(url)
        migrate.seed_reference(url)
        assert migrate.bootstrap_pipeline_login(url) == "dgsa_pipeline"
        assert migrate.bootstrap_pipeline_login(url) == "dgsa_pipeline"     # idempotent
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("CREATE SCHEMA IF NOT EXISTS other; CREATE TABLE IF NOT EXISTS other.t (x int)")
        yield url, migrate.pipeline_url(url)


def _as_login(login_url: str, sql: str):
    conn = psycopg2.connect(db.dsn(login_url))
    conn.autocommit = True    # CREATE DATABASE refuses a transaction block
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def test_the_login_has_no_role_attribute_beyond_login(urls):
    url, _ = urls
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,
                              pg_has_role('dgsa_pipeline', 'dgsa_loader', 'MEMBER'), rolconfig
                       FROM pg_roles WHERE rolname = 'dgsa_pipeline'""")
        assert cur.fetchone() == (True, False, False, False, False, False, True, ["role=dgsa_loader"])


def test_prepare_and_writes_in_its_own_schemas_work_as_the_login(urls):
    _, login = urls
    assert steps.prepare(login)["province"] == 77
    assert _as_login(login, "SELECT current_user, session_user") == [("dgsa_loader", "dgsa_pipeline")]
    _as_login(login, "INSERT INTO audit.load_run (drive, scope) VALUES ('/x', 'login-test')")
    _as_login(login, "CREATE TABLE mart_build.login_probe (x int); DROP TABLE mart_build.login_probe")


@pytest.mark.parametrize("sql, error", [
    ("CREATE ROLE dgsa_intruder LOGIN", errors.InsufficientPrivilege),
    ("ALTER ROLE dgsa_pipeline SUPERUSER", errors.InsufficientPrivilege),
    ("CREATE DATABASE dgsa_intruder", errors.InsufficientPrivilege),
    ("SELECT rolpassword FROM pg_authid", errors.InsufficientPrivilege),
    ("CREATE SCHEMA intruder", errors.InsufficientPrivilege),
    ("CREATE TABLE public.intruder (x int)", errors.InsufficientPrivilege),
    ("INSERT INTO other.t VALUES (1)", errors.InsufficientPrivilege),
    ("SELECT * FROM other.t", errors.InsufficientPrivilege),
    ("CREATE TABLE other.intruder (x int)", errors.InsufficientPrivilege),
    ("SELECT pg_read_file('PG_VERSION')", errors.InsufficientPrivilege),
    ("COPY audit.load_run TO '/tmp/dgsa_intruder'", errors.InsufficientPrivilege),
])
def test_the_login_cannot(urls, sql, error):
    _, login = urls
    with pytest.raises(error):
        _as_login(login, sql)


def test_cannot_even_after_set_role_none(urls):
    """SET ROLE NONE gets the login itself back, which holds nothing of its own either."""
    _, login = urls
    conn = psycopg2.connect(db.dsn(login))
    try:
        with conn.cursor() as cur:
            cur.execute("SET ROLE NONE")
            cur.execute("SELECT current_user")
            assert cur.fetchone() == ("dgsa_pipeline",)
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute("CREATE ROLE dgsa_intruder")
    finally:
        conn.close()


def test_migrate_cli_names_the_pipeline_url_only_where_the_login_exists(urls):
    url, login = urls
    env = dict(os.environ, DGSA_WAREHOUSE_URL=url)
    out = subprocess.run([str(ROOT / "bin/dgsa-env"), "python", "-m", "dgsa.foundation.migrate", "--pipeline-url"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == login and "dgsa_pipeline@" in out
    # run by the login itself, the bootstrap changes nothing and says so
    assert migrate.bootstrap_pipeline_login(login) is None
