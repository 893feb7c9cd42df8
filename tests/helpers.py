"""Build small drives for tests: real files on disk."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from dgsa.foundation import config
from dgsa_tools.sample.vocab import citizen_id, set_mtime, write_sheet

SUB_HEADER = ["ลำดับ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "จังหวัด", "กลุ่มเป้าหมาย", "ระดับเป้าหมาย",
              "วันที่ประเมิน", "DL", "GOV", "TECH", "PROC", "SVC", "STRAT", "PM", "LEAD", "DT", "ลงนามรับรอง"]
ROSTER_HEADER = ["ลำดับ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "สังกัด", "ตำแหน่ง", "จังหวัด",
                 "กลุ่มเป้าหมาย"]


def ids(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        c = citizen_id(rng)
        if c not in out:
            out.append(c)
    return out


def when(day: int, month: int = 10, hour: int = 10) -> dt.datetime:
    return dt.datetime(2020, month, day, hour, tzinfo=config.BANGKOK)


def sub_row(n, cid, group="6", level="2", date="20/10/2563", skills=(2, 2, None, None, None, None, None, None, None),
            signed="ลงนามแล้ว", province="50", first="สมชาย", last="ใจดี"):
    return [n, cid, "นาย", first, last, province, group, level, date, *skills, signed]


def write_submission(drive: Path, rel: str, rows: list, moment: dt.datetime, header=SUB_HEADER, fmt=None,
                     title_lines=("ผลการประเมิน DG-SA",)) -> Path:
    path = drive / rel
    write_sheet(path, header, rows, title_lines=list(title_lines), fmt=fmt or path.suffix.lstrip("."))
    set_mtime(path, moment)
    return path


def write_roster(drive: Path, people: list[tuple], round_code="2563", moment=None, name="roster.xlsx") -> Path:
    """people: (cid, first, last, province, group_no)"""
    rows = [[i + 1, cid, "นาย", first, last, "สำนักงานจังหวัด", "นักจัดการงานทั่วไป", prov, grp]
            for i, (cid, first, last, prov, grp) in enumerate(people)]
    path = drive / "roster" / round_code / name
    write_sheet(path, ROSTER_HEADER, rows, fmt="xlsx")
    set_mtime(path, moment or when(30, 9))
    return path
