"""How the loader decides, through real files and the real warehouse:

* precedence: on one cell only the first broken rule in suite order is reported (every broken
  rule is still counted in audit.validation_result); reorder the suite and the other one wins;
* PROCESSING_ERROR: an exception while typing one file rejects that file, the others load;
* reconcile: broken row accounting fails the step, naming the file.
"""
from __future__ import annotations

import json
import shutil

import pytest

from dgsa.contract import suites as contract
from dgsa.ingest import rows, steps as ingest
from dgsa.ingest.file_state import AccountingError

from helpers import ids, sub_row, when, write_roster, write_submission

P = ids(10, seed=29)
FILE = "provinces/50-เชียงใหม่/a.xlsx"


def _drive(tmp_path, rows_=None):
    drive = tmp_path / "drive"
    write_roster(drive, [(p, "ก", "ข", "50", 6) for p in P])
    write_submission(drive, FILE, rows_ or [     # sheet rows 3-10 (a title line, then the header)
        sub_row(1, P[1], date="1/1/2573"),       # 2030: outside every round AND after the file arrived
        sub_row(2, P[2], date="1/11/2564"),      # round 2564, after the file arrived (2020-10-20): that rule alone
        sub_row(3, P[3][:12] + str((int(P[3][12]) + 1) % 10), group="9"),   # two cells, two reasons
    ] + [sub_row(n, P[n]) for n in range(4, 9)], when(20))
    return drive


def _rejections(sql):
    return sql("""SELECT r.source_row, r.reason_code, r.column_name FROM audit.rejected_row r
                  JOIN audit.source_file f USING (file_id) WHERE f.rel_path = %s ORDER BY 1, 2""", (FILE,))


def _broken(sql, reason):
    """{expectation_no: rows that broke it} for the file, for the rules with this reason code."""
    return dict(sql("""SELECT v.expectation_no, v.unexpected_count FROM audit.validation_result v
                       JOIN audit.source_file f USING (file_id) WHERE f.rel_path = %s AND v.reason_code = %s""",
                    (FILE, reason)))


def test_first_broken_rule_in_suite_order_wins_on_a_cell(warehouse, sql, tmp_path):
    ingest.run_all(_drive(tmp_path), url=warehouse)
    assert _rejections(sql) == [(3, "DATE_OUTSIDE_ROUND", "วันที่ประเมิน"), (4, "DATE_AFTER_RECEIPT", "วันที่ประเมิน"),
                                (5, "CID_CHECK_DIGIT", "เลขประจำตัวประชาชน"), (5, "GROUP_UNKNOWN", "กลุ่มเป้าหมาย")]
    codes = [(e["meta"]["reason_code"], e["meta"]["fields"]) for e in contract.suite_json("submission_rows")[
        "expectations"]]
    assessed_after_receipt = codes.index(("DATE_AFTER_RECEIPT", ["assessed_on"])) + 1
    assert _broken(sql, "DATE_AFTER_RECEIPT")[assessed_after_receipt] == 2   # row 3 broke it too: counted only
    assert sql("SELECT status, rows_loaded, rows_rejected FROM audit.source_file WHERE rel_path = %s", (FILE,)) == [
        ("partially_loaded", 5, 3)]


def test_reordering_the_suite_changes_the_winner(warehouse, sql, tmp_path):
    folder = tmp_path / "expectations"
    shutil.copytree(contract.EXPECTATIONS_DIR, folder)
    path = folder / "submission_rows.json"
    suite = json.loads(path.read_text(encoding="utf-8"))
    codes = [e["meta"]["reason_code"] for e in suite["expectations"]]
    outside, after = codes.index("DATE_OUTSIDE_ROUND"), codes.index("DATE_AFTER_RECEIPT")
    assert after == outside + 1
    e = suite["expectations"]
    e[outside], e[after] = e[after], e[outside]
    path.write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
    before = contract.EXPECTATIONS_DIR
    contract.EXPECTATIONS_DIR = folder
    for cached in (contract.suite_json, contract.suite, contract._subsuite):
        cached.cache_clear()
    try:
        ingest.run_all(_drive(tmp_path), url=warehouse)
    finally:
        contract.EXPECTATIONS_DIR = before
        for cached in (contract.suite_json, contract.suite, contract._subsuite):
            cached.cache_clear()
    assert [r for r in _rejections(sql) if r[0] == 3] == [(3, "DATE_AFTER_RECEIPT", "วันที่ประเมิน")]


def test_an_exception_while_typing_one_file_rejects_it_and_the_others_load(warehouse, sql, tmp_path, monkeypatch):
    drive = _drive(tmp_path, [sub_row(1, P[0]), sub_row(2, P[1])])
    write_submission(drive, "provinces/50-เชียงใหม่/b.xlsx", [sub_row(1, P[2])], when(21))
    write_submission(drive, "provinces/51-ลำพูน/c.xlsx", [sub_row(1, P[3], province="51")], when(21))
    real = rows.RowTyper.type_rows

    def breaks_on_b(typer, *args):
        (b,), = sql("SELECT file_id FROM audit.source_file WHERE rel_path LIKE '%%/b.xlsx'")
        if typer.file_id == b:
            raise ZeroDivisionError("a typing bug (test)")
        return real(typer, *args)

    monkeypatch.setattr(rows.RowTyper, "type_rows", breaks_on_b)
    totals = ingest.run_all(drive, url=warehouse)["totals"]
    assert sql("""SELECT rel_path, status, reason_code, rows_loaded FROM audit.source_file WHERE kind = 'submission'
                  ORDER BY rel_path""") == [
        ("provinces/50-เชียงใหม่/a.xlsx", "loaded", None, 2),
        ("provinces/50-เชียงใหม่/b.xlsx", "rejected", "PROCESSING_ERROR", 0),
        ("provinces/51-ลำพูน/c.xlsx", "loaded", None, 1)]
    assert "ZeroDivisionError" in sql("SELECT message FROM audit.source_file WHERE rel_path LIKE '%%/b.xlsx'")[0][0]
    assert sql("SELECT count(*) FROM core.assessment") == [(3,)]
    assert totals["rows_loaded"] == len(P) + 3     # roster + a + c; accounting holds


@pytest.mark.parametrize("break_it,says", [      # (the ledger's own counts must add up: a CHECK constraint)
    ("UPDATE audit.source_file SET rows_loaded = rows_loaded - 1, rows_rejected = rows_rejected + 1 "
     "WHERE rel_path = %s", "loaded=4 rejected=4 skipped=0 raw=8/0 typed=5 rejected_rows=3"),
    ("DELETE FROM raw.source_row WHERE source_row = 10 AND file_id = "
     "(SELECT file_id FROM audit.source_file WHERE rel_path = %s)", "raw=7/0"),
    ("DELETE FROM core.assessment WHERE source_row = 10 AND file_id = "
     "(SELECT file_id FROM audit.source_file WHERE rel_path = %s)", "typed=4"),
    ("DELETE FROM audit.rejected_row WHERE file_id = (SELECT file_id FROM audit.source_file WHERE rel_path = %s)",
     "rejected_rows=0"),
])
def test_reconcile_fails_when_accounting_is_broken(warehouse, sql, tmp_path, break_it, says):
    ingest.run_all(_drive(tmp_path), url=warehouse)
    ingest.reconcile(url=warehouse)                    # holds as loaded
    sql(break_it, (FILE,))
    with pytest.raises(AccountingError, match="row accounting does not hold") as failed:
        ingest.reconcile(url=warehouse)
    (file_id,), = sql("SELECT file_id FROM audit.source_file WHERE rel_path = %s", (FILE,))
    line = next(ln for ln in str(failed.value).splitlines() if ln.startswith(f"file {file_id} "))
    assert says in line, line
