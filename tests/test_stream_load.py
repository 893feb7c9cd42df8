"""Big files load with the default settings, chunk by chunk (dgsa.ingest.stream_load), in memory
bounded by the chunk and not by the file; and the chunked path gives the SAME warehouse as the
whole-file path (every ledger row, raw row, verdict, rejection, typed row), the one-per-file
rule included across chunks."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgsa.foundation import db
from dgsa.ingest import stream_read
from dgsa.ingest import steps as ingest
from dgsa_tools.sample import generator as sample

import contract_tables
from helpers import ROSTER_HEADER

ROWS = 200_000
INGEST_TABLES = ["source_file", "rejected_row", "source_row", "assessment", "assessment_skill", "roster_entry",
                 "validation_result"]


def _cid(n: int) -> str:
    body = f"1{n:011d}"
    check = (11 - sum(int(d) * w for d, w in zip(body, range(13, 1, -1))) % 11) % 10
    return body + str(check)


def _big_roster(drive: Path) -> dict:
    """A roster CSV of ROWS people (title line, header, then data): one person twice, in
    different chunks; one bad check digit; a blank line inside; blank lines at the end."""
    path = drive / "roster" / "2563" / "บัญชีกลุ่มเป้าหมาย.csv"
    path.parent.mkdir(parents=True)
    twice, bad = (5, ROWS - 10), ROWS // 2 + 3
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["บัญชีกลุ่มเป้าหมาย รอบปี 2563"])
        w.writerow(ROSTER_HEADER)
        for i in range(1, ROWS + 1):
            cid = _cid(twice[0]) if i == twice[1] else _cid(i)
            if i == bad:
                cid = cid[:12] + str((int(cid[12]) + 1) % 10)
            w.writerow([i, cid, "นาย", f"สมชาย{i % 997}", f"ใจดี{i % 991}", "สำนักงานจังหวัด", "นักจัดการงานทั่วไป",
                        "50", "6"])
            if i == 1000:
                w.writerow([""] * 9)
        for _ in range(3):
            w.writerow([""] * 9)
    return {"path": path, "twice": [r + 2 for r in twice], "bad": bad + 2}


RUN = """
import json, resource, sys
from pathlib import Path
from dgsa.ingest import steps
totals = steps.run_all(Path(sys.argv[1]), sys.argv[2])["totals"]
print(json.dumps({"totals": totals, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory, warehouse_url):
    drive = tmp_path_factory.mktemp("big")
    facts = _big_roster(drive)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGSA_MAX_", "DGSA_CHUNK", "DGSA_STREAM"))}
    with db.scratch_database(warehouse_url, "dgsa_big") as url:
        proc = subprocess.run([sys.executable, "-c", RUN, str(drive), url], env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("""SELECT status, reason_code, rows_read, rows_loaded, rows_rejected, rows_skipped, file_id
                           FROM audit.source_file WHERE kind = 'roster'""")
            ledger = cur.fetchone()
            cur.execute("SELECT count(*), max(source_row) FROM raw.source_row WHERE file_id = %s", (ledger[6],))
            raw = cur.fetchone()
            cur.execute("SELECT count(*) FROM core.roster_entry WHERE file_id = %s", (ledger[6],))
            typed = cur.fetchone()[0]
            cur.execute("SELECT source_row, reason_code, raw_value FROM audit.rejected_row WHERE file_id = %s "
                        "ORDER BY source_row", (ledger[6],))
            rejected = cur.fetchall()
            cur.execute("SELECT sum(rows_loaded) FROM audit.file_round WHERE file_id = %s", (ledger[6],))
            rounds = cur.fetchone()[0]
            cur.execute("""SELECT expectation_no, element_count, unexpected_count FROM audit.validation_result
                           WHERE file_id = %s AND reason_code = 'DUPLICATE_PERSON_IN_FILE'""", (ledger[6],))
            duplicate_rule = cur.fetchall()
        yield facts, out, ledger, raw, typed, rejected, rounds, duplicate_rule


def test_a_big_roster_loads_with_the_default_limits_in_chunks(big):
    facts, out, ledger, raw, typed, rejected, rounds, duplicate_rule = big
    print(f"\n{ROWS:,}-row roster CSV ({facts['path'].stat().st_size / 1e6:.0f} MB), default settings: "
          f"peak RSS of the loading process {out['peak_rss_mib']:.0f} MiB")
    status, reason, read, loaded, rejected_n, skipped, _fid = ledger
    assert (status, reason) == ("partially_loaded", "ROWS_REJECTED")
    assert (read, loaded, rejected_n, skipped) == (ROWS + 1, ROWS - 3, 3, 1)    # the inner blank line is skipped
    assert raw == (ROWS + 3, ROWS + 3)           # title, header, rows and the inner blank: not the blanks at the end
    assert typed == rounds == ROWS - 3
    assert [(r, c) for r, c, _v in rejected] == sorted(
        [(facts["twice"][0], "DUPLICATE_PERSON_IN_FILE"), (facts["bad"] + 1, "CID_CHECK_DIGIT"),
         (facts["twice"][1] + 1, "DUPLICATE_PERSON_IN_FILE")])      # rows after the inner blank line move down one
    assert all(v.startswith("x-xxxx-xxxxx-") for _r, _c, v in rejected), "citizen IDs are shown masked"
    assert duplicate_rule == [(5, ROWS, 2)]   # the rule, once, over the whole file (its place in the suite)
    assert out["totals"]["rows_loaded"] == ROWS - 3


@pytest.fixture(scope="module")
def messy_drive(tmp_path_factory):
    drive = tmp_path_factory.mktemp("messy") / "drive"
    sample.generate(drive, 60, 31, messy=True)
    return drive


def test_load_tasks_follow_the_work(messy_drive, warehouse_url, monkeypatch):
    with db.scratch_database(warehouse_url, "dgsa_groups") as url:
        ingest.prepare(url)
        provinces = ingest.scan(messy_drive, url=url)["provinces"]
        assert len(provinces) > 8
        groups = ingest.task_groups(provinces, url)
        cores = len(os.sched_getaffinity(0))
        assert len(groups) == min(cores, len(provinces))      # a small load: one task per core, not per province
        assert sorted(c for g in groups for c in g.split(",")) == sorted(provinces)
        monkeypatch.setenv("DGSA_LOAD_TASK_BYTES", "1")       # every province's bytes would overfill a task
        assert ingest.task_groups(provinces, url) == provinces
        monkeypatch.delenv("DGSA_LOAD_TASK_BYTES")
        assert ingest.task_groups(provinces[:5], url) == provinces[:5]      # few provinces: labelled tasks
        monkeypatch.setenv("DGSA_LOAD_TASKS", "3")
        assert len(ingest.task_groups(provinces, url)) == 3


def test_chunked_and_whole_reads_make_the_same_warehouse(messy_drive, warehouse_url, monkeypatch):
    drive = messy_drive
    dumps = []
    for chunked in (False, True):
        if chunked:    # every file in chunks of 25 rows
            monkeypatch.setenv("DGSA_STREAM_MIN_BYTES", "0")
            monkeypatch.setenv("DGSA_CHUNK_ROWS", "25")
        with db.scratch_database(warehouse_url, "dgsa_chunks") as url:
            ingest.prepare(url)
            ingest.run_all(drive, url)
            dumps.append(contract_tables.dump(url, INGEST_TABLES))
    assert dumps[0]["roster_entry"] and dumps[0]["rejected_row"]
    assert contract_tables.differences(*dumps) == []


def test_rows_streamed_are_the_rows_read_whole(tmp_path):
    from dgsa.ingest import readers

    drive = tmp_path / "drive"
    sample.generate(drive, 40, 5, messy=True)
    compared = 0
    for path in sorted(p for p in drive.rglob("*") if p.suffix.lower() in {".csv", ".xlsx", ".xls", ".tsv"}):
        try:
            whole = readers.read_bytes(path.read_bytes(), path.name, clean=False)
        except Exception:   # noqa: BLE001 - unreadable files are compared by the test above
            continue
        source = stream_read.open_source(path)
        assert [(g.sheet_name, g.rows) for g in whole.sheets] == \
            [(name, list(source.rows(name))) for name in source.sheet_names()], path.name
        assert whole.encoding == source.encoding
        compared += 1
    assert compared > 20
