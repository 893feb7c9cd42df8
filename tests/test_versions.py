"""Versions that come back, files removed from the drive, withdrawals (issue 21.2), and the
ledger seeing every path (21.6). Submission format: "A version that comes back ... is in force
again from the run that sees it, as if newly received"; "A file removed from the drive stays in
force ... Withdrawing a version is an engineer's explicit, audited act"."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgsa.dashboard import queries
from dgsa.ingest import steps as ingest, withdraw
from dgsa.marts import build as marts
from dgsa.operations import feedback
from dgsa_tools.sample.vocab import set_mtime

from helpers import ids, sub_row, when, write_roster, write_submission

ROOT = Path(__file__).resolve().parent.parent
P = ids(10, seed=43)
PATH = "provinces/50-เชียงใหม่/dgsa.xlsx"


def _ledger(sql) -> list[tuple]:
    return sql("""SELECT file_id, status, superseded_by, missing_since IS NOT NULL FROM audit.source_file
                  WHERE rel_path = %s ORDER BY file_id""", (PATH,))


def _live(sql) -> list[str]:
    return sorted(r[0] for r in sql("SELECT citizen_id FROM core.live_assessment"))


def _summary_files(url) -> dict:
    """The province's feedback workbook, Summary sheet: file -> (status label, note)."""
    rows = feedback.collect(url, ["50"])["50"]["summary"]
    return {r[0]: (r[1], r[5]) for r in rows if len(r) == 6 and r[0] == "dgsa.xlsx"}


def test_a_version_that_comes_back_is_in_force_again(tmp_path, warehouse, sql):
    write_roster(tmp_path, [(c, "ก", "ข", "50", 6) for c in P[:4]])
    a = write_submission(tmp_path, PATH, [sub_row(1, P[0]), sub_row(2, P[1])], when(20))
    a_bytes = a.read_bytes()
    ingest.run_all(tmp_path, warehouse)
    write_submission(tmp_path, PATH, [sub_row(1, P[2]), sub_row(2, P[3])], when(22))       # B
    ingest.run_all(tmp_path, warehouse)
    (a_id, *_), (b_id, *_) = _ledger(sql)
    assert _live(sql) == sorted(P[2:4])
    a.write_bytes(a_bytes)                                   # A's bytes restored (e.g. from a backup)
    set_mtime(a, when(24))
    ingest.run_all(tmp_path, warehouse)
    rows = _ledger(sql)
    a2_id = rows[2][0]
    assert rows == [(a_id, "superseded", b_id, False), (b_id, "superseded", a2_id, False),
                    (a2_id, "loaded", None, False)]
    assert sql("SELECT count(DISTINCT sha256) FROM audit.source_file WHERE rel_path = %s", (PATH,)) == [(2,)]
    assert _live(sql) == sorted(P[:2])
    marts.build(url=warehouse)
    assert sorted(sql("""SELECT citizen_id_masked IS NOT NULL, status, source_file_id FROM marts.compliance_person
                         WHERE source_file_id IS NOT NULL""")) == [(True, "COMPLIANT", a2_id)] * 2
    assert sql("SELECT count(*) FROM marts.compliance_person WHERE status = 'MISSING'") == [(2,)]   # B's people
    feedback_files = feedback.collect(warehouse, ["50"])["50"]["summary"]
    statuses = [r[1] for r in feedback_files if len(r) == 6 and r[0] == "dgsa.xlsx"]
    assert statuses[0].startswith("นำเข้าแล้ว") and statuses[1:] == [statuses[1]] * 2 and "แทนที่" in statuses[1]
    # the same bytes again (touched): still the same version, nothing new
    set_mtime(a, when(26))
    before = sql("SELECT count(*), max(file_id) FROM audit.source_file")
    ingest.run_all(tmp_path, warehouse)
    assert sql("SELECT count(*), max(file_id) FROM audit.source_file") == before
    ingest.reconcile(url=warehouse)


def test_a_removed_file_stays_in_force_marked_missing_until_it_comes_back(tmp_path, warehouse, sql):
    a = write_submission(tmp_path, PATH, [sub_row(1, P[0]), sub_row(2, P[1])], when(20))
    other = write_submission(tmp_path, "provinces/50-เชียงใหม่/other.xlsx", [sub_row(1, P[2])], when(20))
    ingest.run_all(tmp_path, warehouse)
    saved = a.read_bytes()
    a.unlink()
    ingest.run_all(tmp_path, warehouse)
    (a_id, status, _, missing), = _ledger(sql)
    assert (status, missing) == ("loaded", True)                       # still in force, marked
    assert _live(sql) == sorted(P[:3])
    assert sql("SELECT missing_since IS NULL FROM audit.source_file WHERE rel_path LIKE %s",
               ("%/other.xlsx",)) == [(True,)]
    # the feedback workbook and the page's query show it
    status_label, note = _summary_files(warehouse)["dgsa.xlsx"]
    assert status_label.startswith("นำเข้าแล้ว") and "ไม่พบไฟล์นี้บนไดรฟ์" in note and "no longer on the drive" in note
    missing_rows = queries.missing_files("50", url=warehouse)
    assert [(r["file_id"], r["rel_path"], r["rounds_in_force"]) for r in missing_rows] == [(a_id, PATH, "2563")]
    assert queries.missing_files("51", url=warehouse) == []
    # put back as it was: the same version, no longer missing
    a.write_bytes(saved)
    set_mtime(a, when(20))
    ingest.run_all(tmp_path, warehouse)
    assert _ledger(sql) == [(a_id, "loaded", None, False)]
    assert queries.missing_files(None, url=warehouse) == []
    assert other.exists()


def test_withdraw_is_an_audited_command(tmp_path, warehouse, sql):
    write_submission(tmp_path, PATH, [sub_row(1, P[0]), sub_row(2, P[1])], when(20))
    ingest.run_all(tmp_path, warehouse)
    (a_id, *_), = _ledger(sql)
    with pytest.raises(withdraw.NotWithdrawable):
        withdraw.withdraw(a_id, "  ", "somchai", url=warehouse)       # a reason is required
    env = dict(os.environ, DGSA_WAREHOUSE_URL=warehouse, PYTHONPATH=str(ROOT / "include"))
    proc = subprocess.run([sys.executable, "-m", "dgsa.ingest.withdraw", str(a_id), "--reason", "sent by mistake",
                           "--by", "somchai"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"withdrew file {a_id}" in proc.stdout
    assert sql("SELECT status, reason_code FROM audit.source_file WHERE file_id = %s", (a_id,)) == [
        ("withdrawn", "WITHDRAWN")]
    assert sql("SELECT file_id, rel_path, previous_status, reason, withdrawn_by FROM audit.withdrawal") == [
        (a_id, PATH, "loaded", "sent by mistake", "somchai")]
    assert _live(sql) == []                                            # out of force; rows kept as history
    assert sql("SELECT count(*) FROM core.assessment") == [(2,)]
    again = subprocess.run([sys.executable, "-m", "dgsa.ingest.withdraw", str(a_id), "--reason", "x", "--by", "y"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "is withdrawn" in again.stderr
    ingest.run_all(tmp_path, warehouse)                                # a later run does not bring it back
    assert _live(sql) == [] and sql("SELECT count(*) FROM audit.source_file") == [(1,)]
    ingest.reconcile(url=warehouse)


def test_a_folder_listed_but_not_entered_gets_a_ledger_row(tmp_path, warehouse, sql, monkeypatch):
    """Root ignores permission bits: the EACCES of a folder without execute permission is injected
    (tests/test_faults.py runs the real thing as `nobody`). Its files are not marked missing."""
    write_submission(tmp_path, "provinces/52-ลำปาง/locked/x.xlsx", [sub_row(1, P[5], province="52")], when(20))
    write_submission(tmp_path, PATH, [sub_row(1, P[0])], when(20))
    ingest.run_all(tmp_path, warehouse)
    locked = str(tmp_path.resolve() / "provinces/52-ลำปาง/locked")
    real_lstat = os.lstat

    def lstat(path, *a, **k):
        if os.fspath(path).startswith(locked + os.sep):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_lstat(path, *a, **k)
    monkeypatch.setattr(os, "lstat", lstat)
    ingest.run_all(tmp_path, warehouse)
    monkeypatch.undo()
    got = dict(sql("SELECT rel_path, status || ':' || coalesce(reason_code, '') || ':' || province_code || ':' || "
                   "(missing_since IS NOT NULL) FROM audit.source_file"))
    assert got == {"provinces/52-ลำปาง/locked/": "rejected:FOLDER_NO_ACCESS:52:false",
                   "provinces/52-ลำปาง/locked/x.xlsx": "loaded::52:false", PATH: "loaded::50:false"}
    ingest.run_all(tmp_path, warehouse)                                # readable again: the folder row is closed
    assert sql("SELECT status, reason_code FROM audit.source_file WHERE rel_path LIKE '%%/locked/'") == [
        ("superseded", "ACCESS_RESTORED")]
