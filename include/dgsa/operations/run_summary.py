"""The run summary: what the last ingest did and what it changed.

* files the ingest recorded (new versions), by status; rows loaded and rejected;
* the ledger as a whole, by status;
* per round and province, the compliance counts that changed since the previous summary
  (marts.compliance_by_province against the counts kept in audit.run_summary);
* whether the last mart build was published.

Written by dgsa_marts' `summarise_run` task after each build: in the task log, as its XCom, as a
row of audit.run_summary and as Markdown beside the feedback workbooks
(<DGSA_OUTBOX>/run-summaries/run-summary-<time>-load<id>.md, the newest also as
<DGSA_OUTBOX>/run-summary.md). `make pipeline` prints it:

    python -m dgsa.operations.run_summary            # print the newest summary
    python -m dgsa.operations.run_summary --build    # build a new one now (as the task does)
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
from pathlib import Path

from dgsa.foundation import config, db, pii

log = logging.getLogger(__name__)
STATUSES = ("compliant", "late", "unsigned", "group_mismatch", "target_mismatch", "missing", "not_on_list")


def _compliance(cur) -> dict:
    cur.execute("SELECT to_regclass('marts.compliance_by_province') IS NOT NULL")
    if not cur.fetchone()[0]:
        return {}
    cur.execute(f"""SELECT round, province_code, on_list, {', '.join(STATUSES)} FROM marts.compliance_by_province
                    WHERE on_list > 0 OR not_on_list > 0 ORDER BY 1, 2""")
    out: dict = {}
    for rnd, code, on_list, *counts in cur.fetchall():
        out.setdefault(rnd, {})[code] = dict(zip(("on_list", *STATUSES), (on_list, *counts)))
    return out


def _changes(before: dict, after: dict) -> list[dict]:
    names = {p["province_code"]: p["name_th"] for p in config.provinces()}
    out = []
    for rnd in sorted(set(before) | set(after)):
        b, a = before.get(rnd, {}), after.get(rnd, {})
        for code in sorted(set(b) | set(a)):
            old, new = b.get(code, {}), a.get(code, {})
            diff = {k: [old.get(k, 0), new.get(k, 0)] for k in ("on_list", *STATUSES)
                    if old.get(k, 0) != new.get(k, 0)}
            if diff:
                out.append({"round": rnd, "province_code": code, "province": names.get(code, code),
                            "changed": diff})
    return out


def build(url: str | None = None, dag_run_id: str | None = None, outbox: Path | None = None) -> dict:
    """Summarise the newest ingest; keep it (audit.run_summary, Markdown file); return it."""
    from dgsa.operations import feedback  # noqa: PLC0415

    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT load_id, started_at, finished_at, dag_run_id, files_seen FROM audit.load_run
                       WHERE scope = 'ingest' OR scope IS NULL ORDER BY load_id DESC LIMIT 1""")
        run = cur.fetchone()
        load_id = run[0] if run else None
        cur.execute("""SELECT status, count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0)
                       FROM audit.source_file WHERE load_id = %s GROUP BY 1 ORDER BY 1""", (load_id,))
        new_files = {s: {"files": n, "rows_loaded": int(lo), "rows_rejected": int(rj)}
                     for s, n, lo, rj in cur.fetchall()}
        cur.execute("SELECT status, count(*) FROM audit.source_file GROUP BY 1 ORDER BY 1")
        ledger = dict(cur.fetchall())
        cur.execute("SELECT published, message, built_at FROM audit.mart_build ORDER BY build_id DESC LIMIT 1")
        mart = cur.fetchone()
        after = _compliance(cur)
        cur.execute("SELECT compliance FROM audit.run_summary ORDER BY summary_id DESC LIMIT 1")
        prev = cur.fetchone()
        before = prev[0] if prev else {}
        summary = {
            "load_id": load_id, "ingest_dag_run_id": run[3] if run else None,
            "ingest_started_at": run[1].isoformat() if run else None,
            "files_seen": run[4] if run else None,
            "new_files_by_status": new_files,
            "rows_loaded": sum(v["rows_loaded"] for v in new_files.values()),
            "rows_rejected": sum(v["rows_rejected"] for v in new_files.values()),
            "ledger_by_status": ledger,
            "marts_published": bool(mart and mart[0]),
            "mart_message": pii.scrub(mart[1]) if mart and mart[1] else None,
            "first_summary": prev is None,
            "compliance_changes": _changes(before, after),
        }
        text = markdown(summary)
        cur.execute("""INSERT INTO audit.run_summary (load_id, dag_run_id, compliance, summary, markdown)
                       VALUES (%s, %s, %s, %s, %s) RETURNING summary_id, created_at""",
                    (load_id, dag_run_id, json.dumps(after), json.dumps(summary, ensure_ascii=False), text))
        summary_id, created = cur.fetchone()
    outbox = outbox or feedback.outbox_dir()
    folder = outbox / "run-summaries"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-summary-{created.astimezone(config.BANGKOK):%Y%m%d-%H%M%S}-load{load_id}.md"
    path.write_text(text, encoding="utf-8")
    tmp = outbox / "run-summary.md.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, outbox / "run-summary.md")
    log.info("run summary %s (%s):\n%s", summary_id, path, text)
    return dict(summary, summary_id=summary_id, markdown_path=str(path))


def markdown(s: dict) -> str:
    when = dt.datetime.now(config.BANGKOK).strftime("%Y-%m-%d %H:%M")
    lines = [f"# DG-SA run summary ({when} Asia/Bangkok)", "",
             f"Ingest load {s['load_id']} ({s['ingest_dag_run_id'] or 'manual'}): "
             f"{s['files_seen'] or 0} files on the drive.", "",
             "## New file versions by status", "", "| status | files | rows loaded | rows rejected |",
             "|---|---:|---:|---:|"]
    for status, v in sorted(s["new_files_by_status"].items()):
        lines.append(f"| {status} | {v['files']} | {v['rows_loaded']} | {v['rows_rejected']} |")
    if not s["new_files_by_status"]:
        lines.append("| (nothing new) | 0 | 0 | 0 |")
    lines += [f"| **total** | {sum(v['files'] for v in s['new_files_by_status'].values())} | "
              f"{s['rows_loaded']} | {s['rows_rejected']} |", "",
              "Ledger (every version ever seen): " + ", ".join(f"{k} {v}" for k, v in s["ledger_by_status"].items()),
              "", "## Marts", "",
              "published" if s["marts_published"] else f"NOT published: {s['mart_message'] or 'no build yet'}", "",
              "## Compliance counts changed since the previous run", ""]
    changes = s["compliance_changes"]
    if s["first_summary"]:
        lines.append(f"First summary: nothing to compare with. The counts of {len(changes)} province(s) are "
                     "kept for the next run (figures: marts.compliance_by_province).")
    elif not changes:
        lines.append("No change.")
    else:
        lines += ["| round | province | changed (before → after) |", "|---|---|---|"]
        for c in changes:
            what = ", ".join(f"{k} {a} → {b}" for k, (a, b) in c["changed"].items())
            lines.append(f"| {c['round']} | {c['province_code']} {c['province']} | {what} |")
    return "\n".join(lines) + "\n"


def latest_markdown(url: str | None = None) -> str | None:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('audit.run_summary') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT markdown FROM audit.run_summary ORDER BY summary_id DESC LIMIT 1")
        row = cur.fetchone()
    return row[0] if row else None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", action="store_true", help="build a new summary now")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    text = build()["markdown_path"] if args.build else None
    print(Path(text).read_text(encoding="utf-8") if text else (latest_markdown() or "no run summary yet"))


if __name__ == "__main__":
    main()
