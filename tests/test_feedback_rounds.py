"""Feedback workbooks over three rounds (tests/multiround_drive.py): the current round (the
latest with data) by default, a progress sheet since the previous round (per person: change,
skills met before and now; the province's totals) checked against the plan worked out by hand,
the follow-up sheet of the current round only, another round on request, masked IDs only."""
from __future__ import annotations

import json
import re
import zipfile

import pytest

from dgsa.foundation import pii
from dgsa.operations import feedback

import multiround_drive as mr

CID_13 = re.compile(r"(?<![0-9๐-๙])[0-9๐-๙](?:[-\s]?[0-9๐-๙]){12}(?![0-9๐-๙])")


@pytest.fixture(scope="module")
def rounds(multiround, tmp_path_factory):
    """The workbooks of the three rounds loaded once per session (conftest.multiround)."""
    outbox = tmp_path_factory.mktemp("fb_rounds_outbox")
    result = feedback.write_all(multiround["url"], outbox=outbox)
    return {"outbox": outbox, "result": result, **multiround}


def _workbook(outbox, code):
    from openpyxl import load_workbook
    manifest = json.loads((outbox / "manifest.json").read_text(encoding="utf-8"))
    return load_workbook(outbox / manifest[code]["file"])


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _labels():
    return feedback.sheets.labels()["progress_change"]


def test_current_round_is_the_latest_with_data(rounds):
    assert feedback.current_round(rounds["url"]) == "2565"
    wb = _workbook(rounds["outbox"], "50")
    assert wb.sheetnames == list(feedback.SHEETS.values())
    assert wb.sheetnames[1] == "ความก้าวหน้า Progress"
    assert "รอบ 2565" in wb[feedback.SHEETS["follow_up"]]["A1"].value


def test_progress_sheet_per_person_and_totals(rounds):
    labels = _labels()
    for prov in mr.FOLDERS:
        rows = _rows(_workbook(rounds["outbox"], prov)[feedback.SHEETS["progress"]])
        assert rows[2][0] == "รอบ 2565 เทียบกับรอบ 2564 / Round 2565 against 2564"
        plan = [p for p in rounds["plan"] if p["round"] == "2565" and p["province_code"] == prov]
        # per person: change, masked ID, skills met before / now
        head = next(i for i, r in enumerate(rows) if r[0] == "รายบุคคล / Person by person")
        people = [r for r in rows[head + 2:] if r[0]]
        got = sorted((r[2], r[0], r[5], r[6]) for r in people)
        want = sorted((pii.mask_citizen_id(rounds["ids"][p["name"]]),
                       f"{labels[p['change']]['th']} / {labels[p['change']]['en']}",
                       p["skills_met_before"], p["skills_met_now"]) for p in plan)     # blank cells read as None
        assert got == want, prov
        assert people[0][0].startswith(labels["FELL_BACK"]["th"]) or not any(p["change"] == "FELL_BACK" for p in plan)
        # the totals: people by change add up to the list, shares before and now
        counts = {r[0]: r[1] for r in rows if r and r[0] in {f"{v['th']} / {v['en']}" for v in labels.values()}
                  and isinstance(r[1], int)}
        for code, label in labels.items():
            assert counts[f"{label['th']} / {label['en']}"] == sum(p["change"] == code for p in plan), (prov, code)
        total = next(r for r in rows if r[0] and r[0].startswith("รวม"))
        assert total[1] == len(plan)
        share = next(r for r in rows if r[0] and r[0].startswith("ถึงระดับเป้าหมายทุกทักษะ"))
        sh = mr.shares()
        assert share[1:3] == [f"{sh[('2564', prov)] * 100:.1f}%", f"{sh[('2565', prov)] * 100:.1f}%"]


def test_follow_up_is_the_current_round_only(rounds):
    rows = _rows(_workbook(rounds["outbox"], "50")[feedback.SHEETS["follow_up"]])[3:]
    assert [(r[0], r[5]) for r in rows] == [("2565", pii.mask_citizen_id(rounds["ids"]["ดวงใจ"]))]
    summary = _rows(_workbook(rounds["outbox"], "50")[feedback.SHEETS["summary"]])
    assert [r[0] for r in summary[4:7]] == ["2563", "2564", "2565"]          # the compliance history stays


def test_another_round_on_request_and_first_round_has_nothing_to_compare(rounds, tmp_path):
    c2564 = feedback.collect(rounds["url"], ["50"], "2564")["50"]
    assert c2564["progress"][0][0] == "รอบ 2564 เทียบกับรอบ 2563 / Round 2564 against 2563"
    assert [r[0] for r in c2564["follow_up"][1:]] == []                      # everyone of 50 compliant in 2564
    c2563 = feedback.collect(rounds["url"], ["50"], "2563")["50"]
    assert "รอบแรก" in c2563["progress"][0][0] and "first" in c2563["progress"][0][0]
    assert [r[0] for r in c2563["follow_up"][1:]] == ["2563"]


def test_unchanged_rounds_write_nothing_and_no_full_id(rounds):
    again = feedback.write_all(rounds["url"], outbox=rounds["outbox"])
    assert again["written"] == [] and again["unchanged"] == len(rounds["result"]["written"])
    for xlsx in rounds["outbox"].rglob("*.xlsx"):
        with zipfile.ZipFile(xlsx) as z:
            text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        assert not CID_13.search(text)
        assert "<f>" not in text and "<f " not in text
