"""The compose deployment run natively (`bin/airflow-celery`, what `make airflow-celery` runs):
CeleryExecutor, Redis broker, PostgreSQL metadata + results, two Celery workers, through the
REAL scheduler (not `airflow dags test`).

* test_two_workers_same_warehouse: the scheduler runs dgsa_ingest, the asset triggers
  dgsa_marts; the mapped load tasks ran on both workers (task instances' hostnames), the
  contract tables equal a single-process `make pipeline` on the same drive, row accounting holds.
* test_worker_killed_mid_load: one worker's whole process tree is SIGKILLed while its
  load_province is writing files; the scheduler finds the task instance without a heartbeat,
  the try fails, an alert names the worker and the province, the retry loads the rest, the run
  ends green and the ledger and every contract table equal the single-process run.

Settings the recovery relies on (set here so the test takes minutes, not the defaults' 5+ min):
  [scheduler] task_instance_heartbeat_timeout = 20 s   (default 300: a running task instance
      whose heartbeat is older is failed by the scheduler)
  [scheduler] task_instance_heartbeat_timeout_detection_interval = 2 s  (default 10)
  [workers] min_heartbeat_interval = 5 s (default; the worker's supervisor heartbeats the TI)
  retries: DGSA_TASK_RETRIES = 1 (the DAGs default to 2), retry delay DGSA_TASK_RETRY_DELAY
  (the DAGs: 2 min, exponential backoff)
Each test uses its own AIRFLOW_HOME, PostgreSQL databases, free ports, a Redis DB number it
claims, and a queue of its own; every process started is killed (by session) even on failure.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from dgsa_tools.celery_harness import Deployment, claimed_redis_db, query, scratch_db, server_url

import contract_tables

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "bin" / "airflow-celery"
PEOPLE = int(os.environ.get("DGSA_CELERY_TEST_PEOPLE", "3000"))
SEED = 2204
HOST = os.uname().nodename


# ---------------------------------------------------------------- helpers
def _server() -> str:
    return server_url()


def sample_module() -> str:
    """The sample generator (moving from dgsa.sample to dgsa_tools.sample)."""
    tools = ROOT / "include" / "dgsa_tools"
    return "dgsa_tools.sample" if (tools / "sample.py").exists() or (tools / "sample").is_dir() else "dgsa.sample"


def make_drive(tmp: Path) -> Path:
    drive = tmp / "drive"
    subprocess.run([str(ROOT / "bin/dgsa-env"), "python", "-m", sample_module(), "--out", str(drive),
                    "--people", str(PEOPLE), "--seed", str(SEED)], check=True, capture_output=True)
    return drive


def single_process(drive: Path, tmp: Path) -> tuple[str, dict]:
    """`make pipeline` (airflow dags test, one process) on the drive into a scratch warehouse."""
    stack = contextlib.ExitStack()
    name, url = stack.enter_context(scratch_db("dgsa_single"))
    env = dict(os.environ, DGSA_OUTBOX=str(tmp / "outbox_single"), DGSA_DOCS_DIR=str(tmp / "docs_single"),
               DGSA_LOAD_TASKS="2", DGSA_RUN_DAG_LOG=str(tmp / "make-pipeline.log"))
    for name in ("AIRFLOW_HOME", "AIRFLOW_CONN_DGSA_WAREHOUSE"):   # bin/run-dag gives the run a home of its own
        env.pop(name, None)
    proc = subprocess.run(["make", "--no-print-directory", "pipeline", f"DRIVE={drive}", f"DGSA_WAREHOUSE_URL={url}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return url, {"dump": contract_tables.dump(url), "stack": stack, "summary": _load_summary(url)}


def _load_summary(url: str) -> dict:
    rows = query(url, "SELECT summary FROM audit.load_run WHERE summary IS NOT NULL ORDER BY load_id DESC LIMIT 1")
    return rows[0][0] if rows else {}


def accounting_problems(url: str) -> list[str]:
    """Row accounting, checked here independently of the reconcile task: for every file, rows
    read = loaded + rejected + skipped, and the warehouse holds exactly that many typed rows,
    rejected rows and raw rows."""
    rows = query(url, """
        WITH raw AS (SELECT file_id, count(*) FILTER (WHERE row_kind IN ('data', 'blank', 'total')) AS n
                     FROM raw.source_row GROUP BY file_id),
             typed AS (SELECT file_id, count(*) AS n FROM core.assessment GROUP BY file_id
                       UNION ALL SELECT file_id, count(*) FROM core.roster_entry GROUP BY file_id),
             rej AS (SELECT file_id, count(DISTINCT source_row) AS n FROM audit.rejected_row GROUP BY file_id)
        SELECT f.rel_path, f.status, f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_skipped,
               coalesce(raw.n, 0), coalesce(typed.n, 0), coalesce(rej.n, 0)
        FROM audit.source_file f LEFT JOIN raw USING (file_id) LEFT JOIN typed USING (file_id)
             LEFT JOIN rej USING (file_id) WHERE f.status IN ('loaded', 'partially_loaded')""")
    assert rows, "no file loaded"
    return [f"{path} ({status}): read={r} loaded={lo} rejected={rj} skipped={sk} raw={raw} typed={t} rej={rr}"
            for path, status, r, lo, rj, sk, raw, t, rr in rows
            if not (r == lo + rj + sk and raw == r and t == lo and rr == rj)]


def assert_same_warehouse(url: str, baseline: dict) -> None:
    got = contract_tables.dump(url)
    assert sum(len(v) for v in got.values()) > 1000
    # lists, not sets: a row written twice is a difference
    different = [name for name in baseline["dump"] if got[name] != baseline["dump"][name]]
    assert not different, (different, contract_tables.differences(baseline["dump"], got),
                           {n: (len(baseline["dump"][n]), len(got[n])) for n in different})


# ---------------------------------------------------------------- the deployment
def Celery(tmp: Path, drive: Path, warehouse_url: str, broker: str, metadata_db: str, **settings) -> Deployment:  # noqa: N802
    """bin/airflow-celery with two workers, one slot each, two load tasks (dgsa_tools.celery_harness)."""
    return Deployment(tmp, drive, warehouse_url, broker, metadata_db, workers=2,
                      **{"DGSA_LOAD_TASKS": "2", **settings})


@pytest.fixture
def baseline_and_drive(tmp_path):
    drive = make_drive(tmp_path)
    url, baseline = single_process(drive, tmp_path)
    with baseline["stack"]:
        yield drive, baseline


@pytest.fixture
def deployment_dbs():
    with scratch_db("dgsa_celery_wh") as (_, warehouse_url), scratch_db("dgsa_celery_meta") as (meta_db, _), \
            claimed_redis_db() as broker:
        yield warehouse_url, meta_db, broker


# ---------------------------------------------------------------- tests
def test_compose_settings_are_the_local_settings():
    """Every x-airflow-common setting of docker-compose.yaml reaches the local processes (as is, or
    translated to the local server), and every compose Airflow service is one local process."""
    from dgsa_tools import celery_local  # noqa: PLC0415

    spec = celery_local.compose_spec()
    settings = celery_local.Settings(dict(os.environ, DGSA_CELERY_HOME="/nonexistent/celery", DGSA_WORKERS="3",
                                          AIRFLOW__API_AUTH__JWT_SECRET="x" * 64,
                                          AIRFLOW__CORE__FERNET_KEY="k" * 44))
    env = celery_local.environment(settings, spec)
    assert settings.untranslated == [], "compose settings with no local value: map them in celery_local.TRANSLATE"
    only_in_compose = celery_local.compose_only(spec)
    assert only_in_compose.search("redis://:@redis:6379/0") and only_in_compose.search("/data/drive")
    assert only_in_compose.search("${METADATA_DB_PASSWORD}") and not only_in_compose.search("redis://127.0.0.1:6379/1")
    for name, value in celery_local.common_environment(spec).items():
        if name in celery_local.TRANSLATE:
            assert not only_in_compose.search(env.get(name, "")), (name, env.get(name))
        else:
            assert env[name] == value, name
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("/dgsa_airflow_celery")
    init, plan = celery_local.process_plan(settings, spec)
    assert settings.untranslated == [], "compose settings with no local value: map them in celery_local.TRANSLATE"
    assert "airflow db migrate" in init[-1] and "$$" not in init[-1]
    # what the caller sets itself (e.g. a short heartbeat timeout) overrides compose
    mine = celery_local.Settings(dict(settings.env, AIRFLOW__CORE__PARALLELISM="3",
                                      DGSA_CELERY_CALLER_ENV="AIRFLOW__CORE__PARALLELISM"))
    assert celery_local.environment(mine, spec)["AIRFLOW__CORE__PARALLELISM"] == "3"
    names = [p["name"] for p in plan]
    assert sorted(names) == ["api-server", "dag-processor", "scheduler", "triggerer", "worker1", "worker2", "worker3"]
    services = {p["service"] for p in plan}
    assert services == {n for n in celery_local.airflow_services(spec) if n != "airflow-init"}
    workers = [p for p in plan if p["service"] == "airflow-worker"]
    assert len({w["argv"][w["argv"].index("--celery-hostname") + 1] for w in workers}) == 3


def test_no_redis_says_what_to_install(tmp_path):
    proc = subprocess.run([str(LAUNCHER)], env=dict(os.environ, DGSA_CELERY_HOME=str(tmp_path),
                                                    DGSA_CELERY_BROKER="redis://127.0.0.1:1/0"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Redis does not answer at redis://127.0.0.1:1/0" in lines[0], proc.stderr
    assert "redis-server" in lines[0]


def test_two_workers_same_warehouse(tmp_path, baseline_and_drive, deployment_dbs):
    drive, baseline = baseline_and_drive
    warehouse_url, meta_db, broker = deployment_dbs
    started = time.monotonic()
    with Celery(tmp_path, drive, warehouse_url, broker, meta_db, DGSA_TASK_RETRIES="0") as celery:
        runs = celery.wait_for_marts(timeout=420)
        loads = celery.task_instances("load_province")
        # the load tasks (the roster's and the provinces', which run side by side) spread over both workers
        roster = celery.task_instances("load_roster")
        workers = sorted({hostname for *_, hostname, _, _ in [r[:6] for r in loads + roster]})
        print(f"\nCelery run green in {time.monotonic() - started:.0f}s (start-up included); dgsa_ingest: "
              f"{[(r[0], r[2]) for r in runs['dgsa_ingest']]}; dgsa_marts: {[(r[0], r[2]) for r in runs['dgsa_marts']]}")
        for map_index, try_number, state, hostname, start, end in loads:
            print(f"  load_province[{map_index}] try {try_number} {state} on {hostname} "
                  f"({(end - start).total_seconds():.1f}s)")
        every = celery.meta("SELECT DISTINCT hostname FROM task_instance WHERE hostname IS NOT NULL")
    assert not celery.left_behind, f"processes left running: {celery.left_behind}"
    assert len(loads) == 2 and {r[2] for r in loads} == {"success"}
    assert workers == [f"worker1@{HOST}", f"worker2@{HOST}"], workers
    assert {h for h, in every} <= {f"worker1@{HOST}", f"worker2@{HOST}"}
    assert runs["dgsa_marts"][-1][2] == "asset_triggered"
    assert accounting_problems(warehouse_url) == []
    assert _load_summary(warehouse_url) == baseline["summary"]
    assert_same_warehouse(warehouse_url, baseline)


def _alerts(home: Path) -> list[dict]:
    """Every `DGSA ALERT {json}` line any process of the deployment logged (task logs, and the
    dag-processor's, where the callbacks of a task whose worker died run); JSON log records too."""
    out = []
    for path in (home / "logs").rglob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if "DGSA ALERT" not in line:
                continue
            text = line
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                text = record.get("event", line) if isinstance(record, dict) else line
            payload = text.partition("DGSA ALERT ")[2].lstrip()
            with contextlib.suppress(ValueError):
                alert, _ = json.JSONDecoder().raw_decode(payload)
                out.append(alert)
    return out


def test_worker_killed_mid_load(tmp_path, baseline_and_drive, deployment_dbs):
    drive, baseline = baseline_and_drive
    warehouse_url, meta_db, broker = deployment_dbs
    settings = {"DGSA_TASK_RETRIES": "1", "DGSA_TASK_RETRY_DELAY": "5",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2"}
    from dgsa_tools.celery_processes import kill_session, session_pids  # noqa: PLC0415

    killed: dict = {}
    with Celery(tmp_path, drive, warehouse_url, broker, meta_db, **settings) as celery:
        def kill_a_worker_while_it_writes():
            if killed:
                return
            running = celery.meta("""SELECT map_index, hostname FROM task_instance WHERE dag_id = 'dgsa_ingest'
                                     AND task_id = 'load_province' AND state = 'running' AND hostname IS NOT NULL""")
            if not running:
                return
            groups = celery.meta("""SELECT value FROM xcom WHERE dag_id = 'dgsa_ingest'
                                    AND task_id = 'provinces_to_load' AND key = 'return_value'""")[0][0]
            for map_index, hostname in running:
                codes = groups[map_index].split(",")
                new, written = query(warehouse_url, """
                    SELECT count(*) FILTER (WHERE status = 'new'),
                           count(*) FILTER (WHERE status IN ('loaded', 'partially_loaded', 'rejected'))
                    FROM audit.source_file WHERE kind = 'submission' AND province_code = ANY(%s)""", (codes,))[0]
                if written and new:           # some of its files are in, some not yet: it is writing
                    worker = hostname.split("@")[0]
                    sid = celery.table()[worker]["sid"]
                    pids = session_pids(sid)
                    kill_session(sid, signal.SIGKILL)
                    killed.update(at=time.time(), worker=hostname, map_index=map_index, codes=codes,
                                  written=written, new=new, pids=len(pids))
                    print(f"\n{time.strftime('%H:%M:%S')} KILL -9 {worker}'s {len(pids)} processes: "
                          f"load_province[{map_index}] had written {written} of its {written + new} files")
                    return

        runs = celery.wait_for_marts(timeout=600, on_poll=kill_a_worker_while_it_writes)
        assert killed, "no load task was seen writing (the drive is too small to catch one mid-load?)"
        tis = celery.meta("""SELECT try_number, state, hostname, start_date, end_date FROM task_instance_history
                             WHERE dag_id = 'dgsa_ingest' AND task_id = 'load_province' AND map_index = %s
                             UNION ALL
                             SELECT try_number, state, hostname, start_date, end_date FROM task_instance
                             WHERE dag_id = 'dgsa_ingest' AND task_id = 'load_province' AND map_index = %s
                             ORDER BY 1""", (killed["map_index"], killed["map_index"]))
        detected = celery.meta("""SELECT l.dttm, l.extra FROM log l WHERE l.event = 'heartbeat timeout'
                                  AND l.task_id = 'load_province' AND l.map_index = %s""", (killed["map_index"],))
        other = [r for r in celery.task_instances("load_province") if r[0] != killed["map_index"]]
        time.sleep(3)                 # the dag-processor runs the failed try's callback on its own loop
        alerts = _alerts(celery.home)
        restarted = re.findall(rf"\[airflow-celery (\S+)\] {killed['worker'].split('@')[0]} ended \(signal 9\)",
                               celery.log())
    assert not celery.left_behind, f"processes left running: {celery.left_behind}"
    first, last = tis[0], tis[-1]

    def t(ts) -> str:
        return ts.astimezone().strftime("%H:%M:%S") if ts else "-"

    print(f"timeline of load_province[{killed['map_index']}] ({len(killed['codes'])} provinces):")
    print(f"  {t(first[3])} try {first[0]} starts on {first[2]}")
    print(f"  {time.strftime('%H:%M:%S', time.localtime(killed['at']))} SIGKILL to {killed['worker']} "
          f"({killed['pids']} processes) after {killed['written']} of {killed['written'] + killed['new']} files")
    print(f"  {restarted[0] if restarted else '-'} the launcher restarts it (restart: always)")
    print(f"  {t(detected[0][0]) if detected else '-'} scheduler: heartbeat timeout -> try {first[0]} {first[1]}")
    print(f"  {t(last[3])} try {last[0]} starts on {last[2]}; {t(last[4])} {last[1]}")
    print(f"  {t(runs['dgsa_ingest'][-1][4])} dgsa_ingest {runs['dgsa_ingest'][-1][1]}; "
          f"{t(runs['dgsa_marts'][-1][4])} dgsa_marts {runs['dgsa_marts'][-1][1]}")
    print(f"  other load task(s): {[(r[0], r[1], r[2], r[3]) for r in other]}")
    print(f"  alerts: {alerts}")

    # Airflow noticed (no heartbeat), failed that try and retried it; the run is green
    assert detected, "the scheduler never reported the task instance without a heartbeat"
    assert len(tis) == 2 and first[2] == killed["worker"] and first[1] in ("failed", "up_for_retry")
    assert last[1] == "success" and last[0] == first[0] + 1
    assert [r[1] for r in runs["dgsa_ingest"]] == ["success"] and runs["dgsa_marts"][-1][1] == "success"
    assert {r[2] for r in other} == {"success"}
    # the alert for the failed try says which worker and which province(s)
    mine = [a for a in alerts if a.get("task_id") == "load_province" and a.get("worker") == killed["worker"]]
    assert mine, alerts
    assert killed["codes"][0] in (mine[0].get("province") or ""), mine
    assert len(alerts) <= 2       # Airflow 3.3 sends a heartbeat timeout's callback twice (apache/airflow#68008)
    # nothing lost, nothing doubled: the ledger and every contract table equal the single-process run
    assert accounting_problems(warehouse_url) == []
    judged = [n for n in baseline["dump"] if n != "validation_result"]
    assert_same_warehouse(warehouse_url, {"dump": {n: baseline["dump"][n] for n in judged}})
    # every verdict recorded once: a file's verdicts are committed with the file (write.write_file), so the
    # files the killed try had judged but not written leave nothing for the retry to record again
    got = contract_tables.dump(url=warehouse_url, tables=["validation_result"])["validation_result"]
    assert got == baseline["dump"]["validation_result"]
