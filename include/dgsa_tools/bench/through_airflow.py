"""Running the real DAGs for the benchmark: `airflow dags test` under GNU time in a throw-away
AIRFLOW_HOME, then the run's task durations and return values (XComs) read back from that
home's SQLite metadata DB; and each DAG file's parse time.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PHASE_KEYS = ("seconds_read", "seconds_type", "seconds_validate", "seconds_write")


def airflow_env(home: Path, drive: Path, url: str) -> dict:
    env = dict(os.environ, AIRFLOW_HOME=str(home), DGSA_DRIVE=str(drive), DGSA_WAREHOUSE_URL=url,
               DGSA_TASK_RETRIES="0", AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING")
    env.pop("AIRFLOW_CONN_DGSA_WAREHOUSE", None)   # bin/dgsa-env derives it from DGSA_WAREHOUSE_URL
    env.setdefault("DGSA_DOCS_DIR", str(home / "data_docs"))
    env.setdefault("DGSA_OUTBOX", str(home / "outbox"))
    env.update({k: v for k, v in BENCH_SETTINGS.items() if k not in os.environ})
    return env


# What the bench changes from the defaults (printed with the figures): nothing. The default
# settings load the generated roster at any size (big files are read in chunks) and group the
# load tasks by the work waiting and the cores (dgsa.ingest.steps.task_groups).
BENCH_SETTINGS: dict[str, str] = {}


def init_home(home: Path) -> None:
    """A fresh Airflow metadata DB (SQLite) in home."""
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(ROOT / "bin/dgsa-env"), "airflow", "db", "migrate"], env=dict(os.environ, AIRFLOW_HOME=str(home)),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_dag(dag_id: str, home: Path, drive: Path, url: str, log_path: Path) -> dict:
    """One `airflow dags test` run (tasks one after the other, in one process) under
    /usr/bin/time -v: wall seconds, peak RSS, success, per-task seconds and return values."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(ROOT / "bin/dgsa-env"), "airflow", "dags", "test", dag_id]
    if Path("/usr/bin/time").exists():
        cmd = ["/usr/bin/time", "-v"] + cmd
    started = time.perf_counter()
    with open(log_path, "w") as log:
        rc = subprocess.run(cmd, env=airflow_env(home, drive, url), stdout=log, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - started
    text = log_path.read_text(errors="replace")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    tasks = task_results(home, dag_id)
    # a nightly run with nothing new skips the load tasks: skipped is fine, failed is not
    ok = rc == 0 and bool(tasks) and not any(t["state"] in ("failed", "upstream_failed") for t in tasks)
    return {"dag": dag_id, "ok": ok, "returncode": rc, "wall_seconds": round(wall, 2),
            "states": {t["task_id"]: t["state"] for t in tasks},
            "task_seconds": round(sum(t["seconds"] or 0 for t in tasks), 2),
            "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
            "tasks": tasks, "log": str(log_path)}


def task_results(home: Path, dag_id: str) -> list[dict]:
    """The newest run of dag_id: every task instance with state, seconds and return value."""
    db_path = home / "airflow.db"
    if not db_path.exists():
        return []
    conn = sqlite3.connect(db_path)
    try:
        run = conn.execute("SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)).fetchone()
        if not run:
            return []
        rows = conn.execute("""
            SELECT ti.task_id, ti.map_index, ti.state, ti.start_date, ti.end_date, ti.duration, x.value
            FROM task_instance ti LEFT JOIN xcom x ON x.dag_id = ti.dag_id AND x.run_id = ti.run_id
                 AND x.task_id = ti.task_id AND x.map_index = ti.map_index AND x."key" = 'return_value'
            WHERE ti.dag_id = ? AND ti.run_id = ? ORDER BY ti.start_date""", (dag_id, run[0])).fetchall()
    finally:
        conn.close()
    out = []
    for task_id, map_index, state, start, end, duration, value in rows:
        seconds = duration if duration is not None else _seconds(start, end)
        try:
            value = json.loads(value) if isinstance(value, (str, bytes)) else value
            value = json.loads(value) if isinstance(value, str) else value
        except (ValueError, TypeError):
            pass
        out.append({"task_id": task_id, "map_index": map_index, "state": state,
                    "seconds": round(seconds, 2) if seconds is not None else None, "value": value})
    return out


def _seconds(start, end) -> float | None:
    if not start or not end:
        return None
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    try:
        return (datetime.strptime(end[:26], fmt) - datetime.strptime(start[:26], fmt)).total_seconds()
    except ValueError:
        return None


def phases(ingest: dict, marts: dict | None) -> dict:
    """Seconds per phase: scan (the scan task), read/type/validate/write summed over the load
    tasks' returned dicts (None while the engine does not report them), marts (build task)."""
    def task_seconds(run, prefix):
        return round(sum(t["seconds"] or 0 for t in run["tasks"] if t["task_id"].startswith(prefix)), 2) \
            if run else None
    loads = [t["value"] for t in ingest["tasks"] if t["task_id"].startswith("load") and isinstance(t["value"], dict)]
    out = {"prepare": task_seconds(ingest, "prepare"), "scan": task_seconds(ingest, "scan"),
           "load_tasks": task_seconds(ingest, "load"), "load_task_count":
               sum(1 for t in ingest["tasks"] if t["task_id"].startswith("load")),
           "reconcile": task_seconds(ingest, "reconcile")}
    for key in PHASE_KEYS:
        vals = [v[key] for v in loads if key in v]
        out[key.removeprefix("seconds_")] = round(sum(vals), 2) if vals else None
    gx = [v["gx_validate_seconds"] for v in loads if "gx_validate_seconds" in v]
    if out["validate"] is None and gx:
        out["validate"] = round(sum(gx), 2)
    out["marts"] = task_seconds(marts, "build_marts")
    return out


PARSE_SNIPPET = """
import sys, time
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag
t = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
took = time.perf_counter() - t
print("PARSE", took, len(bag.dags), len(bag.import_errors))
"""


def parse_times(home: Path, repeats: int = 3) -> dict:
    """Each DAG file's parse time: a fresh interpreter with Airflow already imported (as the
    DAG processor's child is), timing DagBag on that one file; best of `repeats`."""
    out = {}
    env = dict(os.environ, AIRFLOW_HOME=str(home))
    for path in sorted((ROOT / "dags").glob("*.py")):
        best, dags, errors = None, 0, 0
        for _ in range(repeats):
            res = subprocess.run([str(ROOT / "bin/dgsa-env"), "python", "-c", PARSE_SNIPPET,
                                  str(path)], env=env, capture_output=True, text=True)
            m = re.search(r"PARSE ([\d.e-]+) (\d+) (\d+)", res.stdout)
            if not m:
                continue
            took = float(m.group(1))
            best = took if best is None else min(best, took)
            dags, errors = int(m.group(2)), int(m.group(3))
        out[path.name] = {"seconds": round(best, 3) if best is not None else None, "dags": dags, "import_errors": errors}
    return out
