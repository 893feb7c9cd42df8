"""The data contract (expectations/*.json): every expectation breaks on a row made to break
it and passes on good rows; the suites are plain GX and load in a vanilla context.

Adding an expectation to a row suite without adding its case below fails
test_every_expectation_has_a_case: a rule is a JSON change plus a test.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from dgsa.contract import suites as contract
from dgsa_tools.sample.vocab import citizen_id

D = dt.date
SKILLS = ["DL", "GOV", "TECH", "PROC", "SVC", "STRAT", "PM", "LEAD", "DT"]
PARAMS = {"target_groups": ["ACA", "EXE", "MGT", "OTH", "SRV", "TEC"], "provinces": ["10", "50", "51"],
          "levels": [1, 2, 3, 4], "max_bad_row_share": 0.5}


def _cid(n: int) -> str:
    import random
    return citizen_id(random.Random(n))


def submission_row(n: int, **change) -> dict:
    cid = _cid(n)
    row = {"file_id": 1, "source_row": n, "framework_version": "ocsc-2561", "citizen_id_text": cid,
           "citizen_id_rounded": False, "citizen_id": cid, "citizen_id_check_digit_ok": True,
           "folder_province": "50", "received_on": D(2020, 10, 26), "first_name": "สมชาย", "last_name": "ใจดี",
           "row_province": "50", "target_group_text": "5", "declared_group": "SRV", "declared_target_level": 2,
           "overall_level": None, "signed": True, "assessed_on_text": "20/10/2563", "assessed_on": D(2020, 10, 20),
           "signed_on_text": None, "signed_on": None, "round_code": "2563"}
    row.update(change)
    return row


def roster_row(n: int, **change) -> dict:
    cid = _cid(n)
    row = {"file_id": 1, "source_row": n, "citizen_id_text": cid, "citizen_id_rounded": False, "citizen_id": cid,
           "citizen_id_check_digit_ok": True, "first_name": "สมหญิง", "last_name": "ใจงาม", "row_province": "50",
           "assigned_group_text": "SRV", "assigned_group": "SRV"}
    row.update(change)
    return row


CID_CASES = {
    ("CID_MISSING", "!citizen_id_text"): dict(citizen_id_text=None, citizen_id=None, citizen_id_check_digit_ok=None),
    ("CID_PRECISION_LOST", "citizen_id_rounded"): dict(citizen_id_text="1.23457E+12", citizen_id_rounded=True,
                                                       citizen_id=None, citizen_id_check_digit_ok=None),
    ("CID_FORMAT", "citizen_id"): dict(citizen_id_text="12345", citizen_id="12345", citizen_id_check_digit_ok=None),
    ("CID_CHECK_DIGIT", "citizen_id_check_digit_ok"): dict(citizen_id_check_digit_ok=False),
    ("DUPLICATE_PERSON_IN_FILE", "file_id,citizen_id"): "duplicate of the first good row",
    ("NAME_MISSING", "!first_name"): dict(first_name=None),
    ("NAME_MISSING", "!last_name"): dict(last_name=None),
}
# (reason_code, column) -> the change that breaks exactly that expectation
CASES = {
    "submission_rows": {
        **CID_CASES,
        ("GROUP_MISSING", "!target_group_text"): dict(target_group_text=None, declared_group=None),
        ("GROUP_UNKNOWN", "declared_group"): dict(target_group_text="9", declared_group="9"),
        ("LEVEL_MISSING", "!declared_target_level"): dict(declared_target_level=None),
        ("LEVEL_UNKNOWN", "declared_target_level"): dict(declared_target_level="สูงมาก"),
        ("LEVEL_UNKNOWN", "overall_level"): dict(overall_level="x"),
        ("SIGNED_UNKNOWN", "signed"): dict(signed="อาจจะ"),
        ("DATE_MISSING", "!assessed_on_text"): dict(assessed_on_text=None, assessed_on=None, round_code=None),
        ("DATE_INVALID", "!assessed_on"): dict(assessed_on_text="31/02/2563", assessed_on=None, round_code=None),
        ("DATE_OUTSIDE_ROUND", "!round_code"): dict(assessed_on_text="1/1/2562", assessed_on=D(2019, 1, 1),
                                                   round_code=None),
        ("DATE_AFTER_RECEIPT", "received_on/assessed_on"): dict(assessed_on=D(2020, 10, 27)),
        ("DATE_INVALID", "!signed_on"): dict(signed_on_text="เมื่อวาน", signed_on=None),
        ("SIGNED_BEFORE_ASSESSED", "signed_on/assessed_on"): dict(signed_on_text="1/10/2563", signed_on=D(2020, 10, 1)),
        ("DATE_AFTER_RECEIPT", "received_on/signed_on"): dict(signed_on_text="30/10/2563", signed_on=D(2020, 10, 30)),
        ("PROVINCE_UNKNOWN", "row_province"): dict(row_province="เมืองลับแล"),
        ("PROVINCE_MISMATCH", "row_province/folder_province"): dict(row_province="51"),
    },
    "roster_rows": {
        **CID_CASES,
        ("GROUP_MISSING", "!assigned_group_text"): dict(assigned_group_text=None, assigned_group=None),
        ("GROUP_UNKNOWN", "assigned_group"): dict(assigned_group_text="7", assigned_group="7"),
        ("PROVINCE_UNKNOWN", "!row_province"): dict(row_province=None),
        ("PROVINCE_UNKNOWN", "row_province"): dict(row_province="xx"),
    },
}
ROW_FACTORY = {"submission_rows": submission_row, "roster_rows": roster_row}


def _key(suite: str, e: dict) -> tuple[str, str]:
    """(reason code, what it reads): 'col', 'A/B' for pairs, 'a,b' for compound keys; not-null
    rules are marked '!col'."""
    kw, code = e["kwargs"], e["meta"]["reason_code"]
    if "column_list" in kw:
        return code, ",".join(kw["column_list"])
    if "column_A" in kw:
        return code, f"{kw['column_A']}/{kw['column_B']}"
    return code, ("!" if e["type"] == "expect_column_values_to_not_be_null" else "") + kw["column"]


def _expectations(suite: str) -> list[tuple[int, dict]]:
    return list(enumerate(contract.suite_json(suite)["expectations"]))


@pytest.mark.parametrize("suite", sorted(CASES))
def test_every_expectation_has_a_case(suite):
    keys = [_key(suite, e) for _, e in _expectations(suite)]
    assert len(keys) == len(set(keys)), "two expectations share a test key"
    assert set(keys) == set(CASES[suite]), "a row rule without a test (or a test without its rule)"


@pytest.mark.parametrize("suite,position", [(s, i) for s in sorted(CASES) for i, _ in _expectations(s)],
                         ids=lambda v: str(v))
def test_a_row_breaks_it_and_good_rows_pass(suite, position):
    import pandas as pd

    e = contract.suite_json(suite)["expectations"][position]
    make = ROW_FACTORY[suite]
    change = CASES[suite][_key(suite, e)]
    good_a, good_b = make(1), make(2)
    bad = make(3, citizen_id_text=good_a["citizen_id"], citizen_id=good_a["citizen_id"]) \
        if isinstance(change, str) else make(3, **change)
    result = contract.validate_frame(suite, pd.DataFrame([good_a, good_b, bad]), PARAMS)
    v = contract.verdicts(result)[position]
    failing = {k["source_row"] for k in v.failing}
    assert 3 in failing and 2 not in failing, (e["meta"]["reason_code"], failing)
    others = {k["source_row"] for w in contract.verdicts(result) for k in w.failing if w.position != position}
    assert 2 not in others, "a good row broke another rule"


def test_skill_rules():
    import pandas as pd

    def row(n, **change):
        r = {"file_id": 1, "source_row": n, "skill_code": "DL", "level": 2, "has_column": True, "required": True}
        r.update(change)
        return r
    frame = pd.DataFrame([row(1), row(2, level=None),                  # a blank level is allowed
                          row(3, level="สูงมาก"),                       # SKILL_LEVEL_UNKNOWN
                          row(4, has_column=False, level=None),       # SKILL_COLUMN_MISSING (required)
                          row(5, has_column=False, level=None, required=False)])   # not required: fine
    level, column = contract.verdicts(contract.validate_frame("submission_skills", frame, PARAMS))
    assert (level.meta["reason_code"], [k["source_row"] for k in level.failing]) == ("SKILL_LEVEL_UNKNOWN", [3])
    assert (column.meta["reason_code"], [k["source_row"] for k in column.failing]) == ("SKILL_COLUMN_MISSING", [4])
    assert column.failing[0]["skill_code"] == "DL"


def test_file_gate():
    import pandas as pd

    frame = pd.DataFrame([
        {"file_id": 1, "data_rows": 10, "missing_columns": None, "rejected_share": 0.1, "rejected_ratio": "1/10"},
        {"file_id": 2, "data_rows": 10, "missing_columns": "signed", "rejected_share": None, "rejected_ratio": ""},
        {"file_id": 3, "data_rows": 0, "missing_columns": None, "rejected_share": None, "rejected_ratio": "0/0"},
        {"file_id": 4, "data_rows": 4, "missing_columns": None, "rejected_share": 0.75, "rejected_ratio": "3/4"},
        {"file_id": 5, "data_rows": 4, "missing_columns": None, "rejected_share": 0.5, "rejected_ratio": "2/4"}])
    got = {v.meta["reason_code"]: sorted(k["file_id"] for k in v.failing)
           for v in contract.verdicts(contract.validate_frame("file_gate", frame, PARAMS))}
    assert got == {"MISSING_COLUMNS": [2], "NO_DATA_ROWS": [3], "TOO_MANY_BAD_ROWS": [4]}


def test_every_expectation_says_why_in_thai_and_english():
    for path in contract.EXPECTATIONS_DIR.glob("*.json"):
        for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            m = e["meta"]
            assert m["reason_code"] and m["message_th"] and m["message_en"], (path.name, e["type"])
            assert any("\u0e00" <= ch <= "\u0e7f" for ch in m["message_th"]), "Thai message in Thai"
    codes = {}
    for path in contract.EXPECTATIONS_DIR.glob("*.json"):
        for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            m = e["meta"]
            assert codes.setdefault(m["reason_code"], (m["message_th"], m["message_en"])) == \
                (m["message_th"], m["message_en"]), f"{m['reason_code']}: one code, one message"


def test_suites_load_and_validate_in_vanilla_gx(tmp_path):
    """Plain GX, no dgsa code: every suite file loads with ExpectationSuite(**json), and the row
    suite validates a sample batch."""
    import great_expectations as gx
    import pandas as pd

    context = gx.get_context(mode="ephemeral")
    suites = {p.relative_to(contract.EXPECTATIONS_DIR).as_posix(): gx.ExpectationSuite(**json.loads(p.read_text()))
              for p in contract.EXPECTATIONS_DIR.rglob("*.json")}
    assert {"submission_rows.json", "submission_skills.json", "roster_rows.json", "file_gate.json",
            "marts/compliance_person.json", "marts/compliance_by_province.json", "marts/training_nominee.json",
            "marts/training_needs.json", "marts/target_progress.json"} <= set(suites)
    assert all(len(s.expectations) > 0 for s in suites.values())
    batch = (context.data_sources.add_pandas("vanilla").add_dataframe_asset("sample")
             .add_batch_definition_whole_dataframe("all")
             .get_batch(batch_parameters={"dataframe": pd.DataFrame([submission_row(i) for i in range(1, 6)])}))
    result = batch.validate(suites["submission_rows.json"], expectation_parameters=PARAMS)
    assert result.success and result.statistics["evaluated_expectations"] == len(
        suites["submission_rows.json"].expectations)


def test_results_keep_no_cell_values():
    import pandas as pd

    frame = pd.DataFrame([submission_row(1), submission_row(2, citizen_id_check_digit_ok=False)])
    data = json.dumps(contract.sanitised(contract.validate_frame("submission_rows", frame, PARAMS)), default=str)
    assert submission_row(2)["citizen_id"] not in data and submission_row(1)["citizen_id"] not in data
    assert '"unexpected_count": 1' in data


def test_the_gx_memo_changes_no_verdict():
    """dgsa.contract.gx_memo skips GX's repeated rebuilding of expectations; on rows that break every
    rule of every row suite (and the skill and file-gate suites) the verdicts are identical
    with and without it, failing row indices included."""
    import pandas as pd

    from dgsa.contract import gx_memo

    frames = {suite: pd.DataFrame([ROW_FACTORY[suite](1), ROW_FACTORY[suite](2)] + [
        ROW_FACTORY[suite](n, citizen_id_text=ROW_FACTORY[suite](1)["citizen_id"],
                           citizen_id=ROW_FACTORY[suite](1)["citizen_id"]) if isinstance(change, str)
        else ROW_FACTORY[suite](n, **change) for n, change in enumerate(CASES[suite].values(), start=3)])
        for suite in CASES}
    frames["submission_skills"] = pd.DataFrame(
        [{"file_id": 1, "source_row": n, "skill_code": s, "level": lv, "has_column": has, "required": req}
         for n, (lv, has, req) in enumerate([(2, True, True), ("x", True, False), (None, False, True)], start=1)
         for s in ("DL", "GOV")])
    frames["file_gate"] = pd.DataFrame([
        {"file_id": 1, "data_rows": 10, "missing_columns": None, "rejected_share": 0.1, "rejected_ratio": "1/10"},
        {"file_id": 2, "data_rows": 10, "missing_columns": "signed", "rejected_share": None, "rejected_ratio": ""},
        {"file_id": 3, "data_rows": 4, "missing_columns": None, "rejected_share": 0.75, "rejected_ratio": "3/4"}])

    def seen(suite, frame):
        return [(v.position, v.success, v.element_count, v.unexpected_count, v.observed_value,
                 sorted(map(str, v.failing))) for v in contract.verdicts(contract.validate_frame(suite, frame, PARAMS))]

    memoised = {suite: seen(suite, frame) for suite, frame in frames.items()}
    assert gx_memo.active(), "the memo is meant to be on for the pinned GX version"
    with gx_memo.disabled():
        plain = {suite: seen(suite, frame) for suite, frame in frames.items()}
    assert memoised == plain
    broken = {suite: sum(not ok for _, ok, *_ in got) for suite, got in memoised.items()}
    assert broken == {"submission_rows": len(CASES["submission_rows"]), "roster_rows": len(CASES["roster_rows"]),
                      "submission_skills": 2, "file_gate": 2}
