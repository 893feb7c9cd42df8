"""Scaling figures for docs/scaling.md: the two DAGs on one drive, in one sitting,
1. through `make pipeline` (airflow dags test: one process, tasks one after another), then
2. through the Celery deployment (bin/airflow-celery: the real scheduler) with each worker count given,
each into a fresh scratch warehouse, default settings (DGSA_LOAD_TASKS unset: the grouping follows the work).

    python -m dgsa_tools.bench.scaling --people 300000 --workers 1,2      # generates the drive
    python -m dgsa_tools.bench.scaling --drive /path/to/drive --workers 1,2

Celery wall time: from dgsa_ingest's start to the end of the dgsa_marts run its asset triggered
(the deployment's start-up excluded); `make pipeline`: the whole command. One slot per worker
(DGSA_WORKER_CONCURRENCY=1). Each run's row totals are checked against `make pipeline`'s (the same
files loaded, the same rows in, rejected and loaded). Figures are printed and kept as JSON in
.dgsa/bench/scaling-<date>.json; nothing is asserted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from dgsa_tools.celery_harness import Deployment, claimed_redis_db, query, scratch_db

ROOT = Path(__file__).resolve().parents[3]
TOTALS = """SELECT status, count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                   coalesce(sum(rows_rejected), 0) FROM audit.source_file GROUP BY status ORDER BY status"""


def totals(url: str) -> list[list]:
    return [list(map(lambda v: v if isinstance(v, str) else int(v), row)) for row in query(url, TOTALS)]


def make_pipeline(drive: Path, work: Path) -> dict:
    with scratch_db("dgsa_scaling_single") as (_, url):
        env = dict(os.environ, DGSA_OUTBOX=str(work / "outbox_single"), DGSA_DOCS_DIR=str(work / "docs_single"),
                   DGSA_RUN_DAG_LOG=str(work / "make-pipeline.log"), DGSA_LINEAGE_DIR=str(work / "lineage"))
        for name in ("AIRFLOW_HOME", "AIRFLOW_CONN_DGSA_WAREHOUSE", "DGSA_LOAD_TASKS"):
            env.pop(name, None)
        started = time.monotonic()
        proc = subprocess.run(["make", "--no-print-directory", "pipeline", f"DRIVE={drive}",
                               f"DGSA_WAREHOUSE_URL={url}"], cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        if proc.returncode != 0:
            raise SystemExit(f"make pipeline failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        return {"runner": "make pipeline", "wall_s": round(wall, 1), "totals": totals(url)}


def _seconds(start, end) -> float | None:
    return round((end - start).total_seconds(), 1) if start and end else None


def celery(drive: Path, work: Path, workers: int) -> dict:
    tmp = work / f"celery_{workers}"
    tmp.mkdir(parents=True, exist_ok=True)
    with scratch_db("dgsa_scaling_wh") as (_, url), scratch_db("dgsa_scaling_meta") as (meta_db, _), \
            claimed_redis_db() as broker, \
            Deployment(tmp, drive, url, broker, meta_db, workers=workers, DGSA_TASK_RETRIES="0") as deployment:
        runs = deployment.wait_for_marts(timeout=6 * 3600)
        ingest, marts = runs["dgsa_ingest"][-1], runs["dgsa_marts"][-1]
        tasks = deployment.meta("""SELECT dag_id, task_id, map_index, hostname, start_date, end_date
                                   FROM task_instance WHERE state = 'success' ORDER BY start_date""")
        out = {"runner": f"Celery, {workers} worker{'s' if workers > 1 else ''}", "workers": workers,
               "wall_s": _seconds(ingest[3], marts[4]), "ingest_s": _seconds(ingest[3], ingest[4]),
               "marts_s": _seconds(marts[3], marts[4]), "between_s": _seconds(ingest[4], marts[3]),
               "tasks": [{"dag": d, "task": t + (f"[{m}]" if m >= 0 else ""), "host": h,
                          "start": s.isoformat(), "seconds": _seconds(s, e)} for d, t, m, h, s, e in tasks],
               "totals": totals(url)}
    return out


def render(result: dict) -> str:
    lines = [f"{result['people']:,} people, {result['rows']:,} data rows, {result['files']} files; "
             f"{result['date']}, load average at start {result['load_at_start']}",
             "", "| runner | wall s | `dgsa_ingest` s | `dgsa_marts` s | load tasks (s, worker) | same totals |",
             "|---|---|---|---|---|---|"]
    base = result["runs"][0]["totals"]
    for run in result["runs"]:
        loads = [f"{t['seconds']} ({t['host'].split('@')[0]})" for t in run.get("tasks", [])
                 if t["task"].startswith(("load_province", "load_roster"))]
        lines.append(f"| {run['runner']} | {run['wall_s']} | {run.get('ingest_s', '')} | {run.get('marts_s', '')} | "
                     f"{', '.join(loads)} | {'yes' if run['totals'] == base else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dgsa_tools.bench.scaling", description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--drive", type=Path, help="an existing drive (otherwise one is generated)")
    ap.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    ap.add_argument("--no-pipeline", action="store_true", help="skip the make pipeline run")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dgsa-scaling-"))
    drive = args.drive
    if drive is None:
        drive = work / "drive"
        subprocess.run(["python", "-m", "dgsa_tools.sample", "--out", str(drive), "--people", str(args.people),
                        "--seed", str(args.seed)], check=True)
    files = [p for p in drive.rglob("*") if p.is_file()]
    result = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "people": args.people,
              "drive": str(drive), "files": len(files), "load_at_start": [round(x, 2) for x in os.getloadavg()],
              "cores": os.cpu_count(), "runs": []}
    if not args.no_pipeline:
        result["runs"].append(make_pipeline(drive, work))
        print(f"make pipeline: {result['runs'][-1]['wall_s']} s", flush=True)
    for n in [int(x) for x in args.workers.split(",") if x]:
        result["runs"].append(celery(drive, work, n))
        print(f"Celery, {n} worker(s): {result['runs'][-1]['wall_s']} s", flush=True)
    result["rows"] = sum(row[2] for row in result["runs"][0]["totals"])
    out = ROOT / ".dgsa" / "bench" / f"scaling-{dt.datetime.now():%Y-%m-%d-%H%M}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    print(render(result))
    print(f"\nraw figures: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
