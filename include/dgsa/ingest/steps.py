"""Ingest steps, each callable from an Airflow task or from the command line:

    python -m dgsa.ingest --drive DIR      # scan, load roster, load every province, reconcile

The DAG (dags/dgsa_ingest.py) runs the same steps, one mapped task per province (or per
DGSA_LOAD_TASKS group of provinces).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from dgsa.foundation import config, db, migrate
from dgsa.ingest import ledger, load
from dgsa.ingest.file_state import AccountingError

log = logging.getLogger(__name__)


class EveryFileFailed(RuntimeError):
    """Every file a load task took failed to process (ledger.FAILED_TO_PROCESS): fails the task."""


def prepare(url: str | None = None) -> dict:
    """Migrations to head, then reference data from include/config (idempotent). An
    unreachable warehouse fails here, in one plain line (db.WarehouseUnavailable)."""
    db.connect(url).close()
    migrate.upgrade(url)
    return migrate.seed_reference(url)


def scan(root: Path, dag_run_id: str | None = None, url: str | None = None) -> dict:
    """Record the drive in the ledger; say which provinces have files to read."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        load_id = ledger.start_run(cur, root, dag_run_id)
        counts = ledger.register(cur, root, load_id)
        provinces = ledger.provinces_with_work(cur)
        roster = bool(ledger.files_to_load(cur, kind="roster"))
    log.info("scan %s: %s", root, counts)
    return {"load_id": load_id, "counts": counts, "provinces": provinces, "roster": roster}


def load_kind(root: Path, kind: str, province_code: str | list[str] | None = None, url: str | None = None,
              run_name: str = "manual") -> dict:
    """Load every waiting file of a kind (and of one province, a list of them, or "10,11,12"):
    judged by the contract in batches across those provinces, each file written in its own
    transaction. Returns counts by outcome and the seconds spent per phase."""
    codes = province_code.split(",") if isinstance(province_code, str) else province_code
    with db.transaction(url) as conn, conn.cursor() as cur:
        file_ids = ledger.files_to_load(cur, kind=kind, province_codes=codes)
    summary: dict = {}
    started, before = time.perf_counter(), load.timing()
    outcomes = load.load_files(file_ids, root, url, run_name)
    for outcome in outcomes:
        summary[outcome.status] = summary.get(outcome.status, 0) + 1
        summary["rows_loaded"] = summary.get("rows_loaded", 0) + outcome.rows_loaded
        summary["rows_rejected"] = summary.get("rows_rejected", 0) + outcome.rows_rejected
    taken = [o for o in outcomes if o.status != "skipped"]
    if taken and all(o.reason_code in ledger.FAILED_TO_PROCESS for o in taken):
        # a bug or the drive failing, not the provinces' files: fail the task so that the alert
        # fires (the files stay waiting and are read again by the retry or the next run)
        raise EveryFileFailed(f"every file of {province_code or kind} failed to process "
                              f"({len(taken)}: {sorted({o.reason_code for o in taken})}); see audit.source_file")
    if file_ids:   # where the time went, in the task log and its XCom
        summary["seconds"] = round(time.perf_counter() - started, 2)
        summary.update({k: round(v - before[k], 2) for k, v in load.timing().items()})
        log.info("loaded %s files of %s in %ss: %s", len(file_ids), province_code or kind, summary["seconds"],
                 summary)
    return summary


def task_groups(provinces: list[str], url: str | None = None) -> list[str]:
    """The provinces with work, grouped into the load tasks to map. DGSA_LOAD_TASKS=N forces N
    groups ("10,11,12"). By default (0) the grouping follows the work, because every task pays
    GX's and the task's start-up (about a second each): one task per province while few
    provinces have work (up to DGSA_LOAD_TASKS_LABELLED, default 8: the nightly run, where the
    labels "50 เชียงใหม่" are worth it); otherwise as many tasks as cores (os.sched_getaffinity),
    more only if a task would carry over DGSA_LOAD_TASK_BYTES (default 64 MB) of files, the
    provinces dealt out by the bytes they have waiting so that the tasks finish together."""
    tasks = int(config.float_setting("DGSA_LOAD_TASKS", 0))
    if tasks > 0:
        return list(provinces) if tasks >= len(provinces) else [",".join(provinces[i::tasks]) for i in range(tasks)]
    if len(provinces) <= config.float_setting("DGSA_LOAD_TASKS_LABELLED", 8):
        return list(provinces)
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT province_code, sum(size_bytes) FROM audit.source_file
                       WHERE kind = 'submission' AND status = 'new' AND province_code = ANY(%s) GROUP BY 1""",
                    (list(provinces),))
        waiting = {code: int(n or 0) for code, n in cur.fetchall()}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    per_task = config.float_setting("DGSA_LOAD_TASK_BYTES", 64_000_000)
    tasks = max(cores, -(-sum(waiting.values()) // max(int(per_task), 1)))
    if tasks >= len(provinces):
        return list(provinces)
    bins: list[tuple[int, list[str]]] = [(0, []) for _ in range(tasks)]
    for code in sorted(provinces, key=lambda c: (-waiting.get(c, 0), c)):   # largest first, to the lightest task
        i = min(range(tasks), key=lambda k: bins[k][0])
        bins[i] = (bins[i][0] + waiting.get(code, 0), bins[i][1] + [code])
    return [",".join(sorted(codes)) for _, codes in bins if codes]


def reconcile(load_id: int | None = None, url: str | None = None) -> dict:
    """Row counts must add up for every file, and agree with what landed in raw/core/audit."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""
            WITH raw AS (SELECT file_id, count(*) FILTER (WHERE row_kind IN ('data', 'blank', 'total')) AS n_read,
                                count(*) FILTER (WHERE row_kind IN ('blank', 'total')) AS n_skipped
                         FROM raw.source_row GROUP BY file_id),
                 typed AS (SELECT file_id, count(*) AS n FROM core.assessment GROUP BY file_id
                           UNION ALL SELECT file_id, count(*) FROM core.roster_entry GROUP BY file_id),
                 rej AS (SELECT file_id, count(DISTINCT source_row) AS n FROM audit.rejected_row GROUP BY file_id)
            SELECT f.file_id, f.rel_path, f.status, f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_skipped,
                   coalesce(raw.n_read, 0), coalesce(raw.n_skipped, 0), coalesce(typed.n, 0), coalesce(rej.n, 0)
            FROM audit.source_file f
            LEFT JOIN raw USING (file_id) LEFT JOIN typed USING (file_id) LEFT JOIN rej USING (file_id)
            WHERE f.status <> 'pending'""")
        problems, totals = [], {"files": 0, "rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "rows_skipped": 0}
        for (fid, path, status, read, loaded, rejected, skipped, raw_read, raw_skipped, typed, rej) in cur.fetchall():
            totals["files"] += 1
            for k, v in (("rows_read", read), ("rows_loaded", loaded), ("rows_rejected", rejected),
                         ("rows_skipped", skipped)):
                totals[k] += v
            checks = [read == loaded + rejected + skipped, raw_read == read or status == "superseded"
                      or read == 0, raw_skipped == skipped or read == 0, typed == loaded,
                      status not in ("loaded", "partially_loaded") or rej == rejected]
            if not all(checks):
                problems.append(f"file {fid} ({status}): read={read} loaded={loaded} rejected={rejected} "
                                f"skipped={skipped} raw={raw_read}/{raw_skipped} typed={typed} rejected_rows={rej}")
        cur.execute("SELECT status, count(*) FROM audit.source_file GROUP BY 1 ORDER BY 1")
        totals["by_status"] = dict(cur.fetchall())
        if load_id is not None:
            cur.execute("UPDATE audit.load_run SET finished_at = now(), summary = %s WHERE load_id = %s",
                        (json.dumps(totals), load_id))
    if problems:
        raise AccountingError("row accounting does not hold:\n" + "\n".join(problems[:50]))
    return totals


def run_all(root: Path, url: str | None = None) -> dict:
    prepare(url)
    scanned = scan(root, url=url)
    load_kind(root, "roster", url=url)
    for group in task_groups(scanned["provinces"], url):
        load_kind(root, "submission", group, url=url)
    return {"scan": scanned, "totals": reconcile(scanned["load_id"], url)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--drive", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        totals = run_all(args.drive)
    except (db.WarehouseUnavailable, config.ConfigError) as exc:   # not a bug: say it plainly, no stack trace
        raise SystemExit(f"dgsa ingest: {exc}") from None
    print(json.dumps(totals, indent=2, default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
