"""The run summary (files by status, rows, compliance changes since the previous run), and the
whole loop through real Airflow: `airflow dags test` of dgsa_ingest then dgsa_marts writes the
feedback workbooks and the summary (log, XCom, Markdown), and labels mapped tasks `50 เชียงใหม่`."""
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

from dgsa import ingest, marts, run_summary

from helpers import ids, sub_row, when, write_roster, write_submission

ROOT = Path(__file__).resolve().parent.parent
P = ids(4, seed=31)
CID_13 = re.compile(r"(?<![0-9])[0-9](?:[-\s]?[0-9]){12}(?![0-9])")


def _drive(root: Path) -> Path:
    write_roster(root, [(P[0], "ก", "ข", "50", 6), (P[1], "ค", "ง", "50", 6), (P[2], "จ", "ฉ", "51", 6)])
    write_submission(root, "provinces/50-เชียงใหม่/a.xlsx",
                     [sub_row(1, P[0]), sub_row(2, P[3][:-1] + str((int(P[3][-1]) + 1) % 10))], when(20))
    return root


def test_summary_counts_and_changes_since_the_previous_run(tmp_path, warehouse):
    drive, outbox = _drive(tmp_path / "drive"), tmp_path / "outbox"
    ingest.run_all(drive, url=warehouse)
    marts.build(warehouse)
    first = run_summary.build(warehouse, outbox=outbox)
    assert first["first_summary"] is True
    assert first["new_files_by_status"] == {"loaded": {"files": 1, "rows_loaded": 3, "rows_rejected": 0},
                                            "partially_loaded": {"files": 1, "rows_loaded": 1, "rows_rejected": 1}}
    assert (first["rows_loaded"], first["rows_rejected"], first["marts_published"]) == (4, 1, True)
    assert {(c["round"], c["province_code"]) for c in first["compliance_changes"]} == {("2563", "50"), ("2563", "51")}
    # the next ingest: 51's person sends; only 51 changes
    write_submission(drive, "provinces/51-ลำพูน/b.xlsx", [sub_row(1, P[2], province="51")], when(21))
    ingest.run_all(drive, url=warehouse)
    marts.build(warehouse)
    second = run_summary.build(warehouse, outbox=outbox)
    assert second["first_summary"] is False
    assert second["new_files_by_status"] == {"loaded": {"files": 1, "rows_loaded": 1, "rows_rejected": 0}}
    assert second["compliance_changes"] == [{"round": "2563", "province_code": "51", "province": "ลำพูน",
                                             "changed": {"compliant": [0, 1], "missing": [1, 0]}}]
    md = (outbox / "run-summary.md").read_text(encoding="utf-8")
    assert "| 2563 | 51 ลำพูน | compliant 0 → 1, missing 1 → 0 |" in md
    assert len(list((outbox / "run-summaries").glob("*.md"))) == 2
    assert run_summary.latest_markdown(warehouse) == md
    json.dumps(second)                                   # XCom holds JSON
    for path in outbox.rglob("*.md"):
        assert not CID_13.search(path.read_text(encoding="utf-8"))


def test_the_loop_through_airflow(tmp_path, airflow_home, warehouse):
    drive, outbox = _drive(tmp_path / "drive"), tmp_path / "outbox"
    env = dict(os.environ, AIRFLOW_HOME=str(airflow_home), DGSA_WAREHOUSE_URL=warehouse, DGSA_DRIVE=str(drive),
               DGSA_OUTBOX=str(outbox), DGSA_TASK_RETRIES="0")
    outputs = {}
    for dag_id in ("dgsa_ingest", "dgsa_marts"):
        done = subprocess.run([str(ROOT / "bin/dgsa-env"), "airflow", "dags", "test", dag_id], env=env,
                              capture_output=True, text=True, timeout=900)
        outputs[dag_id] = done.stdout + done.stderr
        assert "DGSA ALERT" not in outputs[dag_id], outputs[dag_id][-3000:]
    with sqlite3.connect(airflow_home / "airflow.db") as meta:
        labels = meta.execute("SELECT rendered_map_index FROM task_instance WHERE dag_id = 'dgsa_ingest' "
                              "AND task_id = 'load_province'").fetchall()
        states = dict(meta.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'dgsa_marts' AND "
                                   "run_id = (SELECT max(run_id) FROM dag_run WHERE dag_id = 'dgsa_marts')"))
        xcom = meta.execute("SELECT value FROM xcom WHERE dag_id = 'dgsa_marts' AND task_id = 'summarise_run' "
                            "AND key = 'return_value' ORDER BY rowid DESC LIMIT 1").fetchone()
    assert labels == [("50 เชียงใหม่",)]
    assert states == {"build_marts": "success", "build_data_docs": "success", "write_feedback": "success",
                      "summarise_run": "success"}
    summary = json.loads(xcom[0])
    summary = json.loads(summary) if isinstance(summary, str) else summary
    assert summary["rows_loaded"] == 4 and summary["rows_rejected"] == 1
    assert "# DG-SA run summary" in outputs["dgsa_marts"]            # in the task log
    assert (outbox / "run-summary.md").read_text(encoding="utf-8") == run_summary.latest_markdown(warehouse)
    workbooks = sorted(p.relative_to(outbox).as_posix() for p in outbox.rglob("*.xlsx"))
    assert [w.split("/")[0] for w in workbooks] == ["50-เชียงใหม่", "51-ลำพูน"]
    printed = subprocess.run([str(ROOT / "bin/dgsa-env"), "python", "-m", "dgsa.run_summary"], env=env,
                             capture_output=True, text=True, check=True).stdout
    assert printed.strip() == run_summary.latest_markdown(warehouse).strip()
