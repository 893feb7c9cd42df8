"""Feedback workbooks on the messy drive: the rejections with the row numbers the province sees
and the suites' Thai messages, formula safety, no full citizen ID, nothing new when nothing changed."""
import datetime as dt
import json
import re
import zipfile
from decimal import Decimal

import pytest

from dgsa.foundation import db
from dgsa.operations import feedback
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts
from dgsa_tools.sample import generator as sample

CID_13 = re.compile(r"(?<![0-9๐-๙])[0-9๐-๙](?:[-\s]?[0-9๐-๙]){12}(?![0-9๐-๙])")


@pytest.fixture(scope="module")
def messy(tmp_path_factory, warehouse_url):
    from conftest import RESET_SQL
    with db.transaction(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(RESET_SQL)
    drive = tmp_path_factory.mktemp("messy_fb") / "drive"
    expected = sample.generate(drive, people_n=80, seed=13, messy=True)
    ingest.run_all(drive, url=warehouse_url)
    marts.build(warehouse_url)
    outbox = tmp_path_factory.mktemp("outbox")
    result = feedback.write_all(warehouse_url, outbox=outbox)
    return drive, expected, outbox, result


def _rows(url, query, params=None):
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def _load(path):
    from openpyxl import load_workbook
    return load_workbook(path)


def _manifest(outbox):
    return json.loads((outbox / "manifest.json").read_text(encoding="utf-8"))


def _sheet_rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_every_province_with_files_gets_a_workbook_with_four_sheets(messy, warehouse_url):
    _, _, outbox, result = messy
    with_files = {c for c, in _rows(warehouse_url, "SELECT DISTINCT province_code FROM audit.source_file "
                                                   "WHERE province_code IS NOT NULL")}
    assert with_files <= set(_manifest(outbox))
    assert len(result["written"]) == len(_manifest(outbox))
    wb = _load(outbox / _manifest(outbox)["50"]["file"])
    assert wb.sheetnames == list(feedback.SHEETS.values())
    assert wb.sheetnames[0].startswith("สรุป")
    for ws in wb.worksheets:
        assert ws.freeze_panes in ("A3", "A4")
        assert ws["A1"].font.name == feedback.FONT
        assert ws.column_dimensions["A"].width >= 10
    assert not any(p.is_relative_to(messy[0]) for p in outbox.rglob("*"))     # nothing on the drive


def test_rejections_have_the_row_numbers_and_thai_messages(messy, warehouse_url):
    drive, expected, outbox, _ = messy
    manifest = _manifest(outbox)
    checked = 0
    for case in expected["cases"]:
        if not case["rejections"]:
            continue
        code = case["file"].split("/")[1][:2]
        wb = _load(outbox / manifest[code]["file"])
        rows = _sheet_rows(wb[feedback.SHEETS["rejected"]])
        assert rows[2][:2] == ["ไฟล์ / File", "แถวที่ / Row"]
        in_folder = case["file"].split("/", 2)[2]
        got = sorted([r[1], r[6]] for r in rows[3:] if r[0] == in_folder)
        assert got == sorted(case["rejections"]), case["note"]
        db_msgs = _rows(warehouse_url, """SELECT r.source_row, r.message_th, r.message_en FROM audit.rejected_row r
                                          JOIN audit.source_file f USING (file_id) WHERE f.rel_path = %s""",
                        (case["file"],))
        got_msgs = {(r[1], r[4], r[5]) for r in rows[3:] if r[0] == in_folder}
        assert got_msgs == set(db_msgs)
        assert all(re.search("[ก-๙]", th) for _, th, _ in db_msgs)       # Thai first
        checked += 1
    assert checked >= 1


def test_files_not_loaded_and_follow_up(messy, warehouse_url):
    _, _, outbox, _ = messy
    manifest = _manifest(outbox)
    for code, entry in manifest.items():
        wb = _load(outbox / entry["file"])
        not_loaded = {r[0]: r for r in _sheet_rows(wb[feedback.SHEETS["not_loaded"]])[3:]}
        want = _rows(warehouse_url, """SELECT rel_path, status, reason_code FROM audit.source_file
                                       WHERE province_code = %s AND status IN ('rejected', 'ignored', 'duplicate')""",
                     (code,))
        assert {p.split("/", 2)[2] for p, _, _ in want} == set(not_loaded)
        for path, _, reason in want:
            assert not_loaded[path.split("/", 2)[2]][4] == reason
            assert re.search("[ก-๙]", not_loaded[path.split("/", 2)[2]][2])
        follow = _sheet_rows(wb[feedback.SHEETS["follow_up"]])[3:]
        n = _rows(warehouse_url, "SELECT count(*) FROM marts.compliance_person WHERE province_code = %s "
                                 "AND status <> 'COMPLIANT'", (code,))[0][0]
        assert len(follow) == n
        assert entry["rejected_rows"] == len(_sheet_rows(wb[feedback.SHEETS["rejected"]])) - 3


def test_ignored_files_are_listed_for_their_province(messy, warehouse_url):
    _, _, outbox, _ = messy
    ignored = _rows(warehouse_url, "SELECT province_code, rel_path FROM audit.source_file "
                                   "WHERE status = 'ignored' AND rel_path LIKE 'provinces/%%'")
    listed = [(c, p) for c, p in ignored if c is not None]
    assert listed, "the messy drive has ignored files in province folders"
    for code, path in listed:
        wb = _load(outbox / _manifest(outbox)[code]["file"])
        assert path.split("/", 2)[2] in {r[0] for r in _sheet_rows(wb[feedback.SHEETS["not_loaded"]])}


def test_no_full_citizen_id_anywhere_in_any_workbook(messy):
    _, _, outbox, _ = messy
    for xlsx in outbox.rglob("*.xlsx"):
        with zipfile.ZipFile(xlsx) as z:
            for name in z.namelist():
                text = z.read(name).decode("utf-8", "replace")
                assert not CID_13.search(text), f"{xlsx.name}:{name}"


def test_formula_looking_values_stay_text(tmp_path):
    content = {"code": "50", "name_th": "เชียงใหม่", "name_en": "Chiang Mai",
               "summary": [["x"]], "not_loaded": [["h1", "h2"]], "follow_up": [["h1", "h2"]],
               "rejected": [["h1", "h2", "h3", "h4", "h5", "h6"],
                            ["=HYPERLINK(\"http://evil\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rcmd"],
                            ["bell\x07", "ok"]]}
    path = tmp_path / "f.xlsx"
    feedback.write_workbook(path, content, dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC))
    ws = _load(path)[feedback.SHEETS["rejected"]]
    row = [c for c in ws[4]]
    # (XML reads a lone CR back as LF: still text, never a formula)
    assert [c.value for c in row] == [v.replace("\r", "\n") for v in content["rejected"][1]]
    assert all(c.data_type == "s" for c in row)
    assert all(c.quotePrefix for c in row)
    assert ws["A5"].value == "bell\N{REPLACEMENT CHARACTER}"      # a control character cannot break the file
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any("<f>" in z.read(n).decode() or "<f " in z.read(n).decode() for n in sheets)


def _layout_content():
    return {"code": "50", "name_th": "เชียงใหม่", "name_en": "Chiang Mai", "round": "2563",
            "summary": [["ส่วนแรก / First"], ["h1", "h2", "h3", "h4"], ["a", 1, None, "x"], [],
                        ["ส่วนสอง / Second"], ["k1", "k2"], ["line one\nline two, the longer", 2.5]],
            "progress": [["ไม่มีรอบก่อน / Nothing to compare with"]],
            "rejected": [["ไฟล์ / File", "แถวที่ / Row"], ["a.xlsx", 7], ["b.csv", 12], ["c.csv", Decimal("13")]],
            "not_loaded": [["h1", "h2"]], "follow_up": [["h1", "h2", "h3"]]}


def test_workbook_layout_what_the_province_sees(tmp_path):
    """The streamed workbook keeps the layout: title, bold headers on the fill (across the sheet
    in the sectioned sheets), bold section titles, TH Sarabun New wrapped on every cell, widths
    from the longest line, frozen header, an autofilter over a one-table sheet."""
    path = tmp_path / "f.xlsx"
    feedback.write_workbook(path, _layout_content(), dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC))
    wb = _load(path)
    assert wb.sheetnames == list(feedback.SHEETS.values())
    assert wb.properties.title == "DG-SA feedback 50"
    summary = wb[feedback.SHEETS["summary"]]
    assert summary["A1"].value == "สรุป / Summary: จังหวัดเชียงใหม่ (50) / Chiang Mai รอบ 2563 / round 2563"
    assert (summary["A1"].font.b, summary["A1"].font.sz) == (True, feedback.FONT_SIZE + 4)
    assert not summary["A1"].alignment.wrap_text
    assert [r[:2] for r in _sheet_rows(summary)[1:2]] == [["ข้อมูล ณ / As of", "27 พ.ย. 2569 08:00"]]
    for ref in ("A3", "A7"):                                          # section titles
        assert summary[ref].font.b and not summary[ref].alignment.wrap_text and summary[ref].fill.fill_type is None
    for row in (4, 8):                                                # headers, filled across the sheet (4 columns)
        cells = summary[row]
        assert len(cells) == 4 and all(c.font.b and c.fill.fgColor.rgb.endswith("DDEBF7") for c in cells)
    data = summary["A5"]
    assert (data.font.name, data.font.sz, data.font.b, data.alignment.vertical, data.alignment.wrap_text) == (
        feedback.FONT, feedback.FONT_SIZE, False, "top", True)
    assert [c.value for c in summary[5]] == ["a", 1, None, "x"] and summary["C5"].font.name == feedback.FONT
    assert summary["A9"].value == "line one\nline two, the longer" and summary["B9"].value == 2.5
    assert summary.freeze_panes == "A3" and summary.auto_filter.ref is None
    assert summary.column_dimensions["A"].width == pytest.approx(len("line two, the longer") * 1.1 + 2)
    assert summary.column_dimensions["B"].width == 10
    rejected = wb[feedback.SHEETS["rejected"]]
    assert rejected.freeze_panes == "A4" and rejected.auto_filter.ref == "A3:B6"
    assert all(c.font.b and c.fill.fill_type == "solid" for c in rejected[3])
    assert _sheet_rows(rejected)[3:] == [["a.xlsx", 7], ["b.csv", 12], ["c.csv", 13]]     # a number stays one
    assert wb[feedback.SHEETS["not_loaded"]].auto_filter.ref is None   # a header and no rows


def test_workbook_reads_the_same_in_calamine(tmp_path):
    """A second reader (calamine, the ingest's own) sees the same sheets and values as openpyxl."""
    from python_calamine import CalamineWorkbook
    path = tmp_path / "f.xlsx"
    feedback.write_workbook(path, _layout_content(), dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC))
    cal = CalamineWorkbook.from_path(str(path))
    assert cal.sheet_names == list(feedback.SHEETS.values())
    wb = _load(path)
    for name in cal.sheet_names:
        got = [[v for v in row] for row in cal.get_sheet_by_name(name).to_python(skip_empty_area=False)]
        want = [["" if v is None else v for v in row] for row in _sheet_rows(wb[name])]
        assert [[v for v in r if v != ""] for r in got] == [[v for v in r if v != ""] for r in want], name


def test_unchanged_input_writes_nothing_new_and_a_change_writes_one(messy, warehouse_url):
    _, _, outbox, _ = messy
    before = sorted(p.name for p in outbox.rglob("*.xlsx"))
    again = feedback.write_all(warehouse_url, outbox=outbox)
    assert again["written"] == [] and again["unchanged"] == len(_manifest(outbox))
    assert sorted(p.name for p in outbox.rglob("*.xlsx")) == before
    old = _manifest(outbox)["50"]["file"]
    # a province's content changes: only its workbook is written again, the old one kept
    _rows(warehouse_url, "UPDATE audit.source_file SET received_at = received_at - interval '1 day' "
                         "WHERE file_id = (SELECT min(file_id) FROM audit.source_file WHERE province_code = '50') "
                         "RETURNING 1")
    changed = feedback.write_all(warehouse_url, outbox=outbox)
    assert len(changed["written"]) == 1 and changed["written"][0].startswith("50-")
    assert (outbox / old).exists() and _manifest(outbox)["50"]["file"] != old


def test_outbox_inside_the_drive_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("DGSA_DRIVE", str(tmp_path))
    monkeypatch.setenv("DGSA_OUTBOX", str(tmp_path / "out"))
    with pytest.raises(Exception, match="inside the drive"):
        feedback.outbox_dir()


def test_provinces_in_passes_give_the_same_workbooks(messy, warehouse_url, tmp_path, monkeypatch):
    """Memory is bounded by a pass of DGSA_FEEDBACK_PROVINCES_PER_PASS provinces: one province a pass and
    the whole country in one pass give every province the same content (the manifests' hashes)."""
    hashes = {}
    for per_pass in ("1", "100"):
        monkeypatch.setenv("DGSA_FEEDBACK_PROVINCES_PER_PASS", per_pass)
        outbox = tmp_path / f"outbox-{per_pass}"
        result = feedback.write_all(warehouse_url, outbox=outbox)
        assert result["written"]
        hashes[per_pass] = {code: m["sha256"] for code, m in _manifest(outbox).items()}
    assert len(hashes["1"]) > 5 and hashes["1"] == hashes["100"]
