"""The follow-up list of one province as an .xlsx workbook, formula-safe: every text cell is
written as text (never a formula), and one that begins with = + - @ or a tab/CR also gets
Excel's quote prefix, so it stays text when someone edits it. Only masked IDs (the marts
hold nothing else; a 13-digit run in any cell is refused as a last guard)."""
from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dgsa.dashboard.queries import change_labels

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
FULL_ID = re.compile(r"\d{13}|\d-\d{4}-\d{5}-\d{2}-\d")
COLUMNS = [  # (key, Thai header, English header)
    ("full_name", "ชื่อ-นามสกุล", "Name"),
    ("unit", "สังกัด", "Unit"),
    ("position", "ตำแหน่ง", "Position"),
    ("status", "สถานะ", "Status"),
    ("problems", "ปัญหาที่พบ", "Problems"),
    ("citizen_id_masked", "เลขประจำตัวประชาชน (ปิดบัง)", "Citizen ID (masked)"),
    ("assigned_group", "กลุ่มเป้าหมายตามบัญชี", "Assigned group"),
    ("declared_group", "กลุ่มที่แจ้งในแบบประเมิน", "Declared group"),
    ("received_at", "วันที่ได้รับ", "Received at"),
    ("change", "เทียบกับรอบก่อน", "Since the previous round"),
]


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _put(ws, row: int, col: int, value) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, dt.datetime):
        cell.value = value.replace(tzinfo=None) if value.tzinfo else value
        cell.number_format = "yyyy-mm-dd hh:mm"
        return
    text = _text(value)
    if text is not None and FULL_ID.search(text):
        raise ValueError("refusing to write what looks like a full citizen ID")
    cell.value = text
    if text is not None:
        cell.data_type = "s"                  # text, even when it starts with '='
        if text.startswith(RISKY_START):
            cell.quotePrefix = True


def followup_workbook(rows: list[dict], *, province_code: str, province_name: str, round_code: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"ติดตาม {province_code}"[:31]
    _put(ws, 1, 1, f"รายชื่อที่ต้องติดตาม DG-SA รอบ {round_code} จังหวัด{province_name} / "
                   f"DG-SA follow-up list, round {round_code}, province {province_code}")
    ws.cell(row=1, column=1).font = Font(bold=True)
    for col, (_key, th, en) in enumerate(COLUMNS, start=1):
        _put(ws, 2, col, f"{th} / {en}")
        ws.cell(row=2, column=col).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = 24
    for r, row in enumerate(rows, start=3):
        for col, (key, _th, _en) in enumerate(COLUMNS, start=1):
            value = row.get(key)
            if key == "received_at" and isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            if key == "change" and value:
                label = change_labels().get(value)
                value = f"{label['th']} / {label['en']}" if label else value
            _put(ws, r, col, value)
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{max(2, len(rows) + 2)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
