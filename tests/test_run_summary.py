"""The run summary: files by status, rows, compliance changes since the previous run; kept in
audit.run_summary and as Markdown in the outbox. (Through real Airflow, with its XCom and task log:
tests/test_ui_ops.py.)"""
import json
import re
from pathlib import Path

from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts
from dgsa.operations import run_summary

from helpers import ids, sub_row, when, write_roster, write_submission

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
