"""The follow-up workbook on its own: every risky first character stays text, a full citizen ID
is refused, Thai text and dates survive."""
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from dgsa.dashboard import queries, xlsx


def _row(**over):
    row = {"full_name": "นายสมชาย ใจดี", "unit": "สำนักงานจังหวัด", "position": "นักจัดการงานทั่วไป",
           "status": "MISSING", "problems": ["MISSING"], "citizen_id_masked": "x-xxxx-xxxxx-45-6",
           "assigned_group": "OTH", "declared_group": None, "received_at": None}
    return {**row, **over}


def test_risky_text_is_written_as_text():
    risky = ["=1+2", "+66 2 123 4567", "-3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']
    rows = [_row(unit=text, position=text) for text in risky] + [
        _row(status="LATE", problems=["LATE", "UNSIGNED"], received_at="2020-11-05T10:00:00+07:00")]
    data = xlsx.followup_workbook(rows, province_code="50", province_name="เชียงใหม่", round_code="2563")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.max_row == len(rows) + 2
    units = [ws.cell(row=r, column=2) for r in range(3, 3 + len(risky))]
    assert [c.value for c in units] == [t.replace("\r", "\n") for t in risky]   # XML reads CR back as LF
    assert all(c.data_type == "s" and c.quotePrefix for c in units)
    last = len(rows) + 2
    assert ws.cell(row=last, column=5).value == "LATE, UNSIGNED"
    assert ws.cell(row=last, column=9).value == dt.datetime(2020, 11, 5, 10, 0)
    assert "เชียงใหม่" in ws.cell(row=1, column=1).value
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


@pytest.mark.parametrize("value", ["1234567890123", "1-2345-67890-12-3", "ID 1234567890123 here"])
def test_full_citizen_id_is_refused(value):
    with pytest.raises(ValueError, match="citizen ID"):
        xlsx.followup_workbook([_row(unit=value)], province_code="50", province_name="x", round_code="2563")


def test_tiles_cover_the_77_provinces_once():
    from dgsa.foundation import config

    grid = queries.tiles()
    assert set(grid) == {p["province_code"] for p in config.provinces()}
    assert len(set(grid.values())) == 77
