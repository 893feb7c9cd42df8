"""The loader: COPY, one transaction per file, exact row numbers and reasons, row accounting."""
from pathlib import Path

import pytest

from dgsa.ingest import steps as ingest, write

from dgsa_tools.sample.vocab import set_mtime

from helpers import ids, sub_row, when, write_roster, write_submission

P = ids(9)


def _scan_and_load(drive: Path, url: str):
    scanned = ingest.scan(drive, url=url)
    ingest.load_kind(drive, "roster", url=url)
    for code in scanned["provinces"]:
        ingest.load_kind(drive, "submission", code, url=url)
    return scanned


def test_good_rows_load_bad_rows_are_rejected_with_row_numbers(tmp_path, warehouse, sql):
    rows = [sub_row(1, P[0]),
            sub_row(2, P[1][:12] + str((int(P[1][12]) + 1) % 10)),      # wrong check digit
            sub_row(3, P[2], date="31/02/2563"),                        # impossible date
            None,                                                       # blank line
            sub_row(5, P[3], province="10"),                            # province disagrees with folder
            sub_row(6, P[4], signed="maybe"),
            sub_row(7, P[5], group="๖", level="กำลังพัฒนา", date="๒๐ ต.ค. ๖๓"),
            sub_row(8, P[6], group="Others", level="Developing", date="2020-10-20"),
            sub_row(9, P[7], group="กลุ่มผู้ปฏิบัติงานอื่นๆ", level="๒", date="20/10/2020"),
            ["รวม 8 คน"]]
    rows = [r if r is not None else [None] * 5 for r in rows]
    write_submission(tmp_path, "provinces/50-เชียงใหม่/ผล.xlsx", rows, when(20))
    _scan_and_load(tmp_path, warehouse)
    (status, read, loaded, rejected, skipped), = sql(
        "SELECT status, rows_read, rows_loaded, rows_rejected, rows_skipped FROM audit.source_file")
    assert (status, read, loaded, rejected, skipped) == ("partially_loaded", 10, 4, 4, 2)
    got = sql("SELECT source_row, reason_code, column_name, raw_value FROM audit.rejected_row ORDER BY 1")
    # title line is row 1, header row 2: the first data row is row 3
    assert [(r, c) for r, c, _, _ in got] == [(4, "CID_CHECK_DIGIT"), (5, "DATE_INVALID"), (7, "PROVINCE_MISMATCH"),
                                             (8, "SIGNED_UNKNOWN")]
    assert got[0][2] == "เลขประจำตัวประชาชน" and got[0][3].startswith("x-xxxx-xxxxx-")
    assert got[1][3] == "31/02/2563"
    loaded_rows = sql("SELECT source_row, declared_group, declared_target_level, assessed_on::text FROM core.assessment "
                      "ORDER BY 1")
    assert loaded_rows == [(r, "OTH", 2, "2020-10-20") for r in (3, 9, 10, 11)]
    assert sql("SELECT count(*) FROM audit.rejected_row WHERE raw_value LIKE %s", (f"%{P[1][:10]}%",))[0][0] == 0


def test_same_person_twice_rejects_every_occurrence(tmp_path, warehouse, sql):
    rows = [sub_row(1, P[0]), sub_row(2, P[1]), sub_row(3, P[0], first="สมศรี"), sub_row(4, P[2])]
    write_submission(tmp_path, "provinces/50-เชียงใหม่/a.xlsx", rows, when(20))
    _scan_and_load(tmp_path, warehouse)
    assert sql("SELECT source_row, reason_code FROM audit.rejected_row ORDER BY 1") == [
        (3, "DUPLICATE_PERSON_IN_FILE"), (5, "DUPLICATE_PERSON_IN_FILE")]
    assert sql("SELECT rows_loaded, rows_rejected FROM audit.source_file") == [(2, 2)]


def test_too_many_bad_rows_rejects_the_whole_file(tmp_path, warehouse, sql):
    rows = [sub_row(1, P[0]), sub_row(2, P[1], level="9"), sub_row(3, P[2], level="9")]
    write_submission(tmp_path, "provinces/50-เชียงใหม่/a.xlsx", rows, when(20))
    _scan_and_load(tmp_path, warehouse)
    assert sql("SELECT status, reason_code, rows_read, rows_rejected FROM audit.source_file") == [
        ("rejected", "TOO_MANY_BAD_ROWS", 3, 3)]
    assert sql("SELECT count(*) FROM core.assessment") == [(0,)]


def test_a_failing_load_leaves_nothing_behind(tmp_path, warehouse, sql, monkeypatch):
    write_submission(tmp_path, "provinces/50-เชียงใหม่/a.xlsx", [sub_row(1, P[0]), sub_row(2, P[1])], when(20))
    ingest.scan(tmp_path, url=warehouse)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full half-way")
    monkeypatch.setattr(write, "_write_typed", boom)
    with pytest.raises(RuntimeError):
        ingest.load_kind(tmp_path, "submission", "50", url=warehouse)
    assert sql("SELECT status FROM audit.source_file") == [("new",)]          # read again next run
    assert sql("SELECT (SELECT count(*) FROM raw.source_row) + (SELECT count(*) FROM core.assessment)") == [(0,)]
    monkeypatch.undo()
    ingest.load_kind(tmp_path, "submission", "50", url=warehouse)
    assert sql("SELECT status, rows_loaded FROM audit.source_file") == [("loaded", 2)]


def test_ledger_duplicates_superseded_ignored_unknown_province(tmp_path, warehouse, sql):
    a = write_submission(tmp_path, "provinces/50-เชียงใหม่/a.xlsx", [sub_row(1, P[0])], when(20))
    copy = tmp_path / "provinces/50-เชียงใหม่/copy of a.xlsx"
    copy.write_bytes(a.read_bytes())
    set_mtime(copy, when(22))
    (tmp_path / "provinces/50-เชียงใหม่/scan.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "provinces/50-เชียงใหม่/~$a.xlsx").write_bytes(b"lock")
    (tmp_path / "provinces/50-เชียงใหม่/Thumbs.db").write_bytes(b"x")
    write_submission(tmp_path, "provinces/เชียงใหม่/b.xlsx", [sub_row(1, P[1])], when(20))
    write_submission(tmp_path, "provinces/50-เชียงใหม่/empty.csv", [], when(20), title_lines=())
    (tmp_path / "provinces/50-เชียงใหม่/zero.xlsx").write_bytes(b"")
    _scan_and_load(tmp_path, warehouse)
    got = dict(sql("SELECT rel_path, status || ':' || coalesce(reason_code, '') FROM audit.source_file"))
    assert got == {
        "provinces/50-เชียงใหม่/a.xlsx": "loaded:",
        "provinces/50-เชียงใหม่/copy of a.xlsx": "duplicate:DUPLICATE_CONTENT",
        "provinces/50-เชียงใหม่/scan.pdf": "ignored:NOT_A_SUBMISSION",
        "provinces/50-เชียงใหม่/~$a.xlsx": "ignored:LOCK_FILE",
        "provinces/50-เชียงใหม่/Thumbs.db": "ignored:SYSTEM_FILE",
        "provinces/เชียงใหม่/b.xlsx": "rejected:UNKNOWN_PROVINCE",
        "provinces/50-เชียงใหม่/empty.csv": "rejected:NO_DATA_ROWS",
        "provinces/50-เชียงใหม่/zero.xlsx": "rejected:FILE_EMPTY",
    }
    # a corrected file under the same name: the old version is superseded, the new one read
    write_submission(tmp_path, "provinces/50-เชียงใหม่/a.xlsx", [sub_row(1, P[0]), sub_row(2, P[2])], when(25))
    _scan_and_load(tmp_path, warehouse)
    assert sql("SELECT status, rows_loaded FROM audit.source_file WHERE rel_path LIKE '%/a.xlsx' ORDER BY file_id") == [
        ("superseded", 1), ("loaded", 2)]
    assert sql("SELECT count(*) FROM core.live_assessment") == [(2,)]
    assert sql("SELECT count(*) FROM core.assessment") == [(3,)]       # history kept
    before = sql("SELECT count(*), max(file_id) FROM audit.source_file")
    _scan_and_load(tmp_path, warehouse)                                  # nothing new: nothing changes
    assert sql("SELECT count(*), max(file_id) FROM audit.source_file") == before


def test_file_still_being_written_stays_pending(tmp_path, warehouse, sql, monkeypatch):
    import datetime as dt
    import os
    import threading
    path = write_submission(tmp_path, "provinces/50-เชียงใหม่/a.csv", [sub_row(1, P[0])], when(20))
    now = dt.datetime.now().timestamp()
    os.utime(path, (now, now))
    monkeypatch.setenv("DGSA_SETTLE_SECONDS", "1.0")

    def keep_writing():
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("\n")
    timer = threading.Timer(0.3, keep_writing)
    timer.start()
    ingest.scan(tmp_path, url=warehouse)
    timer.join()
    assert sql("SELECT status, reason_code FROM audit.source_file") == [("pending", "FILE_NOT_SETTLED")]
    ingest.scan(tmp_path, url=warehouse)                   # unchanged across two looks now
    assert sql("SELECT status FROM audit.source_file") == [("new",)]


def test_roster_in_unknown_round_folder_is_rejected(tmp_path, warehouse, sql):
    write_roster(tmp_path, [(P[0], "ก", "ข", "50", 6)], round_code="2599")
    _scan_and_load(tmp_path, warehouse)
    assert sql("SELECT status, reason_code FROM audit.source_file") == [("rejected", "UNKNOWN_ROUND")]


def test_reconcile_holds(tmp_path, warehouse):
    write_submission(tmp_path, "provinces/50-เชียงใหม่/a.csv", [sub_row(1, P[0]), [None], sub_row(3, P[1])], when(20))
    scanned = _scan_and_load(tmp_path, warehouse)
    totals = ingest.reconcile(scanned["load_id"], url=warehouse)
    assert totals["rows_read"] == 3 and totals["rows_loaded"] == 2 and totals["rows_skipped"] == 1


def test_links_leaving_the_drive_are_not_followed(tmp_path, warehouse, sql):
    drive, outside = tmp_path / "drive", tmp_path / "outside"
    secret = write_submission(outside, "secret.xlsx", [sub_row(1, P[0])], when(20))
    (drive / "provinces/50-เชียงใหม่").mkdir(parents=True)
    (drive / "provinces/50-เชียงใหม่/link.xlsx").symlink_to(secret)
    (drive / "provinces/51-ลำพูน").symlink_to(outside, target_is_directory=True)
    _scan_and_load(drive, warehouse)
    # the ledger sees every path (issue 21.6): the folder link out gets a row too, with its province
    assert sorted(sql("SELECT rel_path, status, reason_code, province_code FROM audit.source_file")) == [
        ("provinces/50-เชียงใหม่/link.xlsx", "ignored", "LINK_OUTSIDE_DRIVE", "50"),
        ("provinces/51-ลำพูน/", "ignored", "LINK_OUTSIDE_DRIVE", "51")]
    assert sql("SELECT count(*) FROM core.assessment") == [(0,)]
