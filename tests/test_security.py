"""Security (issue 11): SQL and shell metacharacters in file names, headers and cells go through
a real ingest and nothing unexpected happens; SQL identifiers come only from the project's own
configuration; the pipeline role's grants; no full citizen ID in logs, task output or Data Docs;
links and `..` never leave the drive; no secret in the repository, compose reads them from .env.

Kept elsewhere: the analyst role (tests/test_marts.py::test_analyst_reads_published_schemas_only),
feedback workbooks (tests/test_feedback.py::test_no_full_citizen_id_anywhere_in_any_workbook),
the dashboard's download (tests/test_dashboard.py::test_followup_xlsx_right_rows_formula_safe_no_full_id),
links leaving the drive (tests/test_load.py::test_links_leaving_the_drive_are_not_followed)."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import psycopg2
import pytest
import yaml

from dgsa.foundation import db
from dgsa.ingest import steps as ingest
from dgsa.ingest.normalise import text

from helpers import SUB_HEADER, ids, sub_row, when, write_submission

ROOT = Path(__file__).resolve().parent.parent
P = ids(90, seed=31)
PROVINCE = "provinces/50-เชียงใหม่"
HOSTILE = ["'; DROP TABLE core.assessment; --", "$(touch PWNED_dollar)", "`touch PWNED_backtick`", '"', "\\",
           "a'b\"c\\d", "Robert'); DELETE FROM audit.source_file;--", "%s %(x)s {0} {detail}", "; rm -rf / #",
           "+cmd|' /C calc'!A0", "\\N", "\t|\r"]


def _all_tables(sql) -> dict:
    return dict(sql("""SELECT table_schema || '.' || table_name, table_type FROM information_schema.tables
                       WHERE table_schema IN ('ref', 'audit', 'raw', 'core', 'marts')"""))


def test_metacharacters_in_names_headers_and_cells_are_only_data(tmp_path, warehouse, sql, monkeypatch):
    monkeypatch.chdir(tmp_path)
    drive = tmp_path / "drive"
    ingest.prepare(warehouse)   # this configuration's reference data (an earlier test may have loaded another's)
    tables_before = _all_tables(sql)
    ref_before = sql("SELECT (SELECT count(*) FROM ref.province), (SELECT count(*) FROM ref.reason_code)")
    header = SUB_HEADER + [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[6]]
    rows = [sub_row(i + 1, P[12 + i], first=HOSTILE[i], last=HOSTILE[-1 - i]) + [HOSTILE[i], HOSTILE[(i + 1) % len(HOSTILE)], "x", "y"]
            for i in range(len(HOSTILE))]
    names = ["'; DROP TABLE core.assessment; --.xlsx", "$(touch PWNED_name).xlsx", "`id`.xlsx", 'q"uo\\te.xlsx']
    for k, name in enumerate(names):
        write_submission(drive, f"{PROVINCE}/{name}", rows[k * 3:k * 3 + 3], when(20), header=header)
    # a CSV carries what xlsx cannot: NUL (past the first 4 KB, where the reader takes it for binary)
    write_submission(drive, f"{PROVINCE}/$(reboot);.csv",
                     [sub_row(i + 1, P[40 + i]) for i in range(40)] +
                     [sub_row(41, P[28], first="nul\x00byte", last="'; DROP TABLE raw.source_row; --")], when(20),
                     fmt="csv")
    write_submission(drive, "provinces/50-x'; DROP SCHEMA core CASCADE; --/a.xlsx", [sub_row(1, P[29])], when(20))
    files_before = set(tmp_path.rglob("*"))

    ingest.run_all(drive, warehouse)

    assert _all_tables(sql) == tables_before                                   # nothing dropped or added
    assert sql("SELECT (SELECT count(*) FROM ref.province), (SELECT count(*) FROM ref.reason_code)") == ref_before
    assert set(tmp_path.rglob("*")) == files_before                             # no file created
    assert not any(Path(p).exists() for p in ("/PWNED_dollar", "/PWNED_backtick", "/PWNED_name", "/tmp/PWNED_name"))
    got = dict(sql("SELECT rel_path, status FROM audit.source_file"))
    for name in [*names, "$(reboot);.csv"]:                                      # names stored verbatim
        assert got[f"{PROVINCE}/{name}"] == "loaded", (name, sql("SELECT rel_path, reason_code, message FROM "
                                                                  "audit.source_file WHERE status <> 'loaded'"))
    assert got["provinces/50-x'; DROP SCHEMA core CASCADE; --/a.xlsx"] == "loaded"
    stored = {c: (f, l) for c, f, l in sql("SELECT citizen_id, first_name, last_name FROM core.assessment")}
    assert len(stored) == 54
    for i, h in enumerate(HOSTILE):                                             # values stored verbatim
        assert stored[P[12 + i]] == (text(h), text(HOSTILE[-1 - i])), (i, h, stored[P[12 + i]])
    assert stored[P[28]] == ("nul\ufffdbyte", "'; DROP TABLE raw.source_row; --")  # NUL cannot reach PostgreSQL
    headers = [h for (h,) in sql("SELECT header::text FROM audit.source_file WHERE header IS NOT NULL")]
    assert any("DROP TABLE core.assessment" in h and "$(touch PWNED_dollar)" in h for h in headers)
    raw = [c for (c,) in sql("SELECT cells::text FROM raw.source_row")]
    assert any("`touch PWNED_backtick`" in c for c in raw)
    ingest.reconcile(url=warehouse)


# ---------------------------------------------------------------- identifiers in SQL
# Every SQL statement built with an f-string or format(), and where its identifiers come from.
# A new one fails this test until it is reviewed and listed here (and in docs/reliability.md).
DYNAMIC_SQL = {
    "include/dgsa/foundation/db.py": "table/columns of copy_rows: module constants of write.py/judge.py/contract.py callers; "
                          "CREATE/DROP DATABASE: the name in DGSA_WAREHOUSE_URL or a test prefix + uuid4",
    "include/dgsa/ingest/write.py": "COPY tables and columns: ASSESSMENT_COLUMNS, ROSTER_COLUMNS, raw.source_row constants",
    "include/dgsa/marts/build.py": "mart names: marts.MARTS (constant tuple of include/sql/marts/*.sql names)",
    "include/dgsa/operations/run_summary.py": "status columns: run_summary.STATUSES (constant tuple)",
    "include/dgsa/foundation/migrate.py": "role dgsa_pipeline: migrate.PIPELINE_LOGIN (constant); database: "
                                          "quote_ident(current_database()); the password is a parameter",
    "include/dgsa_tools/bench/anchors.py": "benchmark tables limit_<kind>: kinds are the bench's own constants",
    "include/dgsa/ingest/stream_load.py": "table: core.roster_entry or core.assessment, chosen by the ledger's kind",
    "include/dgsa_tools/bench/peers.py": "benchmark tables fast_<kind>: the bench's own kinds; role DLT_ROLE (constant); "
                                         "database: the bench's scratch database; the password is a parameter",
    "include/dgsa_tools/celery_local.py": "CREATE DATABASE: DGSA_CELERY_DB (default dgsa_airflow_celery), the operator's "
                                          "own setting, quoted",
}
_SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|GRANT|COPY|ANALYZE|TRUNCATE)\b")


def _dynamic_sql_files() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    pattern = re.compile(r"""(?:execute|copy_expert|exec_driver_sql|executemany)\(\s*(?:f["']|["'][^"']*["']\s*\.format|"""
                         r"""[\w.]*%\s*\()""")
    for path in sorted((ROOT / "include").rglob("*.py")) + sorted((ROOT / "plugins").rglob("*.py")):
        if "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for m in pattern.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            stmt = text[m.start():m.start() + 300]
            if _SQL_WORDS.search(stmt):
                out.setdefault(path.relative_to(ROOT).as_posix(), []).append(f"{line}: {stmt.splitlines()[0]}")
    return out


def test_sql_identifiers_come_only_from_the_projects_configuration():
    found = _dynamic_sql_files()
    assert set(found) <= set(DYNAMIC_SQL), {k: v for k, v in found.items() if k not in DYNAMIC_SQL}
    # values always travel as parameters: no %-formatting or .format of SQL text anywhere
    for path in sorted((ROOT / "include").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""execute\(\s*["'][^"']*["']\s*%\s*[\w(]""", text), path


def test_identifiers_in_the_dynamic_sql_are_constants():
    from dgsa.marts import build as marts
    from dgsa.operations import run_summary
    from dgsa.ingest import write
    assert all(re.fullmatch(r"[a-z_]+", m) for m in marts.MARTS)
    from dgsa.foundation import migrate
    assert re.fullmatch(r"[a-z_]+", migrate.PIPELINE_LOGIN)
    assert all(re.fullmatch(r"[a-z_]+", c) for c in run_summary.STATUSES)
    assert all(re.fullmatch(r"[a-z_]+", c) for c in write.ASSESSMENT_COLUMNS + write.ROSTER_COLUMNS)


# ---------------------------------------------------------------- roles
def test_pipeline_role_has_what_it_needs_and_no_more(warehouse, sql):
    """dgsa_loader (NOLOGIN; the deployment's pipeline login is meant to be a member): all on the
    pipeline's six schemas, nothing on others, no cluster powers."""
    (sup, createrole, createdb, login, bypass), = sql("""SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin,
                                                        rolbypassrls FROM pg_roles WHERE rolname = 'dgsa_loader'""")
    assert (sup, createrole, createdb, login, bypass) == (False, False, False, False, False)
    for schema in ("ref", "audit", "raw", "core", "marts", "mart_build"):
        assert sql("SELECT has_schema_privilege('dgsa_loader', %s, 'USAGE'), "
                   "has_schema_privilege('dgsa_loader', %s, 'CREATE')", (schema, schema)) == [(True, True)], schema
    for table in ("raw.source_row", "core.assessment", "audit.source_file", "audit.rejected_row"):
        assert sql("SELECT has_table_privilege('dgsa_loader', %s, 'INSERT'), "
                   "has_table_privilege('dgsa_loader', %s, 'SELECT')", (table, table)) == [(True, True)], table
    assert sql("SELECT has_schema_privilege('dgsa_loader', 'public', 'CREATE')") == [(False,)]
    (analyst_super, analyst_login), = sql("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = 'dgsa_analyst'")
    assert (analyst_super, analyst_login) == (False, True)
    for table in ("raw.source_row", "core.assessment"):
        assert sql("SELECT has_table_privilege('dgsa_analyst', %s, 'SELECT')", (table,)) == [(False,)]


# ---------------------------------------------------------------- no full citizen ID in logs, output, Data Docs
def _id_patterns(cids: list[str]) -> re.Pattern:
    alts = []
    for c in cids:
        alts.append(re.escape(c))
        alts.append(re.escape(f"{c[0]}-{c[1:5]}-{c[5:10]}-{c[10:12]}-{c[12]}"))
        alts.append(r"\s".join(re.escape(p) for p in (c[0], c[1:5], c[5:10], c[10:12], c[12])))
    return re.compile("|".join(alts))


def test_no_full_citizen_id_in_logs_task_output_or_data_docs(tmp_path, warehouse, run_dag, airflow_home,
                                                             monkeypatch):
    drive = tmp_path / "drive"
    bad_check = P[1][:12] + str((int(P[1][12]) + 1) % 10)
    rows = [sub_row(1, P[0]), sub_row(2, bad_check), sub_row(3, P[2], date="31/02/2563"),
            sub_row(4, P[3], group="9"), sub_row(5, P[0]), sub_row(6, P[4][:12]), sub_row(7, P[5], signed="??")]
    write_submission(drive, f"{PROVINCE}/ids.xlsx", rows, when(20))
    write_submission(drive, f"{PROVINCE}/ids.csv", [sub_row(1, P[6]), sub_row(2, P[7][:6] + "-" + P[7][6:])],
                     when(20))
    cids = [P[0], bad_check, P[2], P[3], P[4], P[5], P[6], P[7]]
    logs = ROOT / ".dgsa" / "logs"
    before = {p: p.stat().st_mtime for p in logs.rglob("*")} if logs.exists() else {}
    proc = run_dag("dgsa_ingest", drive)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    texts = {"stdout": proc.stdout, "stderr": proc.stderr}
    for base in (airflow_home / "logs", logs):
        if base.exists():
            for p in base.rglob("*"):
                if p.is_file() and (base != logs or before.get(p) != p.stat().st_mtime):
                    texts[str(p)] = p.read_text(encoding="utf-8", errors="replace")
    assert any("dgsa_ingest" in t for t in texts.values())
    found = _id_patterns(cids)
    leaks = {name: found.findall(t)[:3] for name, t in texts.items() if found.search(t)}
    assert not leaks, leaks
    # Data Docs rendered from the validations just stored
    from dgsa.contract import docs
    out = docs.build(tmp_path / "docs", url=warehouse)
    pages = [p for p in (tmp_path / "docs").rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".js")]
    assert out and pages
    leaks = [p.name for p in pages if found.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert not leaks, leaks


# ---------------------------------------------------------------- links and ..
def test_links_and_dotdot_never_leave_the_drive(tmp_path, warehouse, sql):
    drive, outside = tmp_path / "drive", tmp_path / "outside"
    secret = write_submission(outside, "secret.xlsx", [sub_row(1, P[10])], when(20))
    prov = drive / PROVINCE
    prov.mkdir(parents=True)
    (prov / "dotdot.xlsx").symlink_to(Path("../../../outside/secret.xlsx"))          # relative, climbing out
    (prov / "absolute.xlsx").symlink_to(secret)
    (prov / "loop.xlsx").symlink_to("loop.xlsx")                                      # a loop
    (prov / "dangling.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    (prov / "sub").mkdir()
    (prov / "sub" / "up.xlsx").symlink_to(Path("../../../../outside/secret.xlsx"))
    (drive / "provinces" / "51-ลำพูน").symlink_to(outside, target_is_directory=True)  # a folder link out
    inside = write_submission(drive, f"{PROVINCE}/real.xlsx", [sub_row(1, P[11])], when(20))
    (prov / "inside-link.xlsx").symlink_to(inside)                                    # stays inside: a copy
    ingest.run_all(drive, warehouse)
    got = dict(sql("SELECT rel_path, status || ':' || coalesce(reason_code, '') FROM audit.source_file"))
    for name in ("dotdot.xlsx", "absolute.xlsx", "loop.xlsx", "dangling.xlsx", "sub/up.xlsx"):
        assert got[f"{PROVINCE}/{name}"] == "ignored:LINK_OUTSIDE_DRIVE", (name, got)
    # a link inside the drive is a copy: one of the two is loaded, the other is its duplicate
    assert sorted([got[f"{PROVINCE}/real.xlsx"], got[f"{PROVINCE}/inside-link.xlsx"]]) == [
        "duplicate:DUPLICATE_CONTENT", "loaded:"]
    assert [p for p in got if p.startswith("provinces/51-")] == ["provinces/51-ลำพูน/"]   # the folder link: recorded,
    assert got["provinces/51-ลำพูน/"] == "ignored:LINK_OUTSIDE_DRIVE"                      # nothing under it read
    assert sql("SELECT citizen_id FROM core.assessment") == [(P[11],)]               # nothing from outside
    assert all(".." not in p.split("/") for p in got)


# ---------------------------------------------------------------- secrets
def _tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]


SECRET_PATTERNS = {
    "fernet key": re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])"),
    # NAME_WITH_SECRET = <16+ characters of key material> (a literal value, not an expression or placeholder)
    "secret assignment": re.compile(r"""(?i)\b[A-Z_]*(SECRET|PASSWORD|FERNET_KEY|JWT)[A-Z_]*\s*[:=]\s*["']?"""
                                    r"""(?!change-me)([A-Za-z0-9+/_=-]{16,})(?=["'\s,;)]|$)""", re.M),
    "password in a URL": re.compile(r"postgres(?:ql)?(?:\+psycopg2)?://[^:@/\s]+:(?!\$\{|<|\*)[^@\s'\"]{3,}@"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}


def test_no_secret_is_committed():
    local = {}
    env_file = ROOT / ".dgsa" / "local.env"
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            if value and len(value) >= 12 and not name.startswith("#") and "://" not in value:
                local[name] = value
    problems = []
    for path in _tracked():
        if path.suffix in (".png", ".jpg", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".gif") or "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for name, value in local.items():
            if value in text:
                problems.append(f"{path.relative_to(ROOT)}: the value of {name} from .dgsa/local.env")
        for kind, pattern in SECRET_PATTERNS.items():
            for m in pattern.finditer(text):
                problems.append(f"{path.relative_to(ROOT)}: {kind}: {m.group(0)[:40]}")
    assert not problems, problems
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".env" in ignored and ".dgsa/" in ignored
    assert not any(p.name == ".env" or ".dgsa" in p.parts for p in _tracked())


def test_the_secret_scan_would_find_a_secret():
    from cryptography.fernet import Fernet
    key = Fernet.generate_key().decode()
    assert SECRET_PATTERNS["fernet key"].search(f"x = '{key}'")
    assert SECRET_PATTERNS["secret assignment"].search("AIRFLOW__API_AUTH__JWT_SECRET=" + "ab12" * 16)
    assert SECRET_PATTERNS["password in a URL"].search("postgresql+psycopg2://dgsa:" + "hunter2" * 2 + "@db:5432/dgsa")
    assert not SECRET_PATTERNS["password in a URL"].search("postgresql://dgsa:${WAREHOUSE_DB_PASSWORD}@db/dgsa")


def test_compose_reads_every_secret_from_env():
    compose = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    secretish = re.compile(r"(?i)(SECRET|PASSWORD|FERNET|JWT|_CONN_|SQL_ALCHEMY_CONN|RESULT_BACKEND|WAREHOUSE_URL)")
    checked = 0
    for name, svc in compose["services"].items():
        env = svc.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)
        for var, value in items:
            if secretish.search(var) and value not in (None, ""):
                value = str(value)
                if re.search(r"://[^:@/]+:[^@]+@", value):       # a URL with a password: the password from .env
                    assert re.search(r"://[^:@/]+:\$\{[A-Z_]+\}@", value), (name, var, value)
                else:
                    assert re.fullmatch(r"\$\{[A-Z_]+(:-[^}]*)?\}", value), (name, var, value)
                checked += 1
    assert checked >= 6
    anchors = compose.get("x-airflow-common") or {}
    assert anchors.get("env_file") in (".env", [".env"]) or any(
        svc.get("env_file") in (".env", [".env"]) for svc in compose["services"].values())
