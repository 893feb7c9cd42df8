"""Fail closed (issue 21, defect 1): a rule that cannot be evaluated never passes a row.

Great Expectations 1.x reports an expectation it could not evaluate in two shapes: one dict per
metric id (a missing column, a value of the wrong type: the metric raised) or one dict at the
top (the expectation itself raised). Either, and a failed expectation that names no failing
row or file, is a bug in a suite or in typing: contract.ContractError, which fails the step.
No file is then rejected and no row loaded (judge's per-file isolation does not swallow it),
and the task fails, which alerts.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from dgsa.contract import suites as contract
from dgsa.ingest import rows, steps as ingest
from dgsa.operations import alerts

from helpers import ids, sub_row, when, write_roster, write_submission
from test_contract import PARAMS, roster_row, submission_row

ROOT = Path(__file__).resolve().parent.parent
NO_ROWS_NAMED = {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 0},
                 "meta": {"reason_code": "TEST_NO_ROWS", "message_th": "ทดสอบ", "message_en": "test"}}
FRAMES = {"submission_rows": lambda: pd.DataFrame([submission_row(1), submission_row(2)]),
          "roster_rows": lambda: pd.DataFrame([roster_row(1), roster_row(2)]),
          "file_gate": lambda: pd.DataFrame([{"file_id": 1, "data_rows": 10, "missing_columns": None,
                                              "rejected_share": 0.0, "rejected_ratio": "0/10"}])}


def _use_suites(folder: Path) -> None:
    contract.EXPECTATIONS_DIR = folder
    for cached in (contract.suite_json, contract.suite, contract._subsuite):
        cached.cache_clear()


@pytest.fixture
def suites(tmp_path):
    """A copy of expectations/ the test may add to: add(suite, expectation)."""
    folder = tmp_path / "expectations"
    shutil.copytree(contract.EXPECTATIONS_DIR, folder)
    before = contract.EXPECTATIONS_DIR

    def add(name: str, expectation: dict) -> Path:
        path = folder / f"{name}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["expectations"].append(expectation)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        _use_suites(folder)
        return folder
    yield add
    _use_suites(before)


# ---------------------------------------------------------------- each shape, on the suites themselves
def test_a_missing_fact_column_fails_closed():
    """Metric-id shape: the check-digit fact is not in the frame (a typing bug). Before: success
    False, no failing row, every row loaded."""
    frame = pd.DataFrame([submission_row(1), submission_row(2, citizen_id_check_digit_ok=False)])
    with pytest.raises(contract.ContractError, match="citizen_id_check_digit_ok.*does not exist"):
        contract.validate_frame("submission_rows", frame.drop(columns=["citizen_id_check_digit_ok"]), PARAMS)


def test_text_where_a_date_belongs_fails_closed():
    """Metric-id shape: a date column holding text (the comparison raises inside GX)."""
    frame = pd.DataFrame([submission_row(1), submission_row(2, assessed_on="20/10/2563")])
    with pytest.raises(contract.ContractError, match="received_on/assessed_on.*not supported"):
        contract.validate_frame("submission_rows", frame, PARAMS)


def test_an_exception_at_the_top_of_the_result_fails_closed(suites):
    """Top-level shape: an expectation GX cannot run on a frame at all (a SQL-only rule)."""
    suites("submission_rows", {"type": "unexpected_rows_expectation",
                               "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch}"},
                               "meta": {"reason_code": "TEST_TOP", "message_th": "ทดสอบ", "message_en": "test"}})
    with pytest.raises(contract.ContractError, match="unexpected_rows_expectation"):
        contract.validate_frame("submission_rows", FRAMES["submission_rows"](), PARAMS)


@pytest.mark.parametrize("suite", sorted(FRAMES))
def test_a_failure_that_names_no_row_or_file_fails_closed(suites, suite):
    """success=False with nothing counted or named (a table-level rule in a row suite or the file
    gate): nothing could be rejected for it, so nothing may pass it either."""
    suites(suite, NO_ROWS_NAMED)
    with pytest.raises(contract.ContractError, match="expect_table_row_count_to_equal.*no unexpected rows"):
        contract.validate_frame(suite, FRAMES[suite](), PARAMS)


def test_the_mart_gate_fails_closed_on_an_exception(suites, warehouse_url):
    """validate_table (the mart gate, SQL in PostgreSQL): a rule on a column the table lacks."""
    folder = suites("file_gate", NO_ROWS_NAMED)     # any change: the probe suite lives beside it
    (folder / "probe.json").write_text(json.dumps({"name": "probe", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such_column"},
         "meta": {"check": "probe"}}]}), encoding="utf-8")
    with pytest.raises(contract.ContractError, match="no_such_column"):
        contract.validate_table("probe", warehouse_url, "ref", "province")


def test_good_frames_still_pass():
    """The checks add no false alarm: clean rows, and rows that break rules, validate as before."""
    result = contract.validate_frame("submission_rows", pd.DataFrame(
        [submission_row(1), submission_row(2, citizen_id_check_digit_ok=False)]), PARAMS)
    broken = [v for v in contract.verdicts(result) if not v.success]
    assert [(v.meta["reason_code"], [k["source_row"] for k in v.failing]) for v in broken] == [
        ("CID_CHECK_DIGIT", [2])]


# ---------------------------------------------------------------- through the loader
def _drive(tmp_path: Path) -> Path:
    drive = tmp_path / "drive"
    p = ids(3, seed=5)
    write_roster(drive, [(p[0], "ก", "ข", "50", 6), (p[1], "ค", "ง", "50", 6), (p[2], "จ", "ฉ", "50", 6)])
    write_submission(drive, "provinces/50-เชียงใหม่/a.xlsx", [sub_row(1, p[0]), sub_row(2, p[1])], when(20))
    write_submission(drive, "provinces/50-เชียงใหม่/b.xlsx", [sub_row(1, p[2], date="21/10/2563")], when(21))
    return drive


def _nothing_decided(sql) -> None:
    assert sql("""SELECT rel_path, status, reason_code FROM audit.source_file WHERE kind = 'submission'
                  ORDER BY rel_path""") == [("provinces/50-เชียงใหม่/a.xlsx", "new", None),
                                            ("provinces/50-เชียงใหม่/b.xlsx", "new", None)]
    assert sql("""SELECT count(*) FROM core.assessment""") == [(0,)]
    assert sql("""SELECT count(*) FROM audit.rejected_row r JOIN audit.source_file f USING (file_id)
                  WHERE f.kind = 'submission'""") == [(0,)]


def test_a_typing_bug_on_one_file_fails_the_step_and_decides_no_file(warehouse, sql, tmp_path, monkeypatch):
    """A typing bug that leaves text in b.xlsx's date column (judged in one batch with a.xlsx):
    before, every row of both files loaded; now the step fails and both files wait, untouched."""
    real = rows.RowTyper.type_rows

    def leaves_text(typer, *args):
        rec = real(typer, *args)
        (b,), = sql("SELECT file_id FROM audit.source_file WHERE rel_path LIKE '%%/b.xlsx'")
        if typer.file_id == b:
            rec["assessed_on"] = [d.strftime("%d/%m/%Y") for d in rec["assessed_on"]]
        return rec

    monkeypatch.setattr(rows.RowTyper, "type_rows", leaves_text)
    with pytest.raises(contract.ContractError, match="assessed_on"):
        ingest.run_all(_drive(tmp_path), url=warehouse)
    _nothing_decided(sql)


def test_the_per_file_isolation_does_not_swallow_a_contract_error(warehouse, sql, tmp_path, monkeypatch):
    """A ContractError on a batch used to send each file to be judged alone, and the file that
    still raised was rejected (PROCESSING_ERROR) while the other loaded."""
    real = contract.validate_frame

    def breaks_on_b(name, df, *args, **kwargs):
        (b,), = sql("SELECT file_id FROM audit.source_file WHERE rel_path LIKE '%%/b.xlsx'")
        if name == "submission_rows" and b in set(df["file_id"]):
            raise contract.ContractError("suite submission_rows: injected for b.xlsx")
        return real(name, df, *args, **kwargs)

    monkeypatch.setattr(contract, "validate_frame", breaks_on_b)
    with pytest.raises(contract.ContractError, match="injected"):
        ingest.run_all(_drive(tmp_path), url=warehouse)
    _nothing_decided(sql)


def test_a_contract_error_fails_the_task_and_alerts(airflow_home, warehouse, sql, tmp_path, suites):
    """Through real Airflow: a row rule on a fact typing does not produce fails load_province
    (one alert naming it), and the files stay 'new' for the next run."""
    folder = suites("submission_rows", {"type": "expect_column_values_to_not_be_null",
                                        "kwargs": {"column": "no_such_fact"},
                                        "meta": {"reason_code": "TEST_FACT", "message_th": "ทดสอบ",
                                                 "message_en": "test", "fields": []}})
    env = dict(os.environ, AIRFLOW_HOME=str(airflow_home), DGSA_WAREHOUSE_URL=warehouse, DGSA_TASK_RETRIES="0",
               DGSA_DRIVE=str(_drive(tmp_path)), DGSA_EXPECTATIONS_DIR=str(folder))
    env.pop("AIRFLOW_CONN_DGSA_ALERTS_SMTP", None)
    done = subprocess.run([str(ROOT / "bin/dgsa-env"), "airflow", "dags", "test", "dgsa_ingest"], env=env,
                          capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    sent = [json.loads(line[line.index(alerts.MARK + " {") + len(alerts.MARK) + 1:].split("\x1b")[0]
                       .rsplit("}", 1)[0] + "}") for line in out.splitlines() if alerts.MARK + " {" in line]
    assert [(a["task_id"], a["province"]) for a in sent] == [("load_province", "50 เชียงใหม่")], out[-3000:]
    assert sent[0]["first_error"].startswith("ContractError: suite submission_rows") and \
        "no_such_fact" in sent[0]["first_error"]
    assert sql("SELECT status FROM audit.source_file WHERE kind = 'roster'") == [("loaded",)]
    _nothing_decided(sql)
