"""The sample drive's vocabulary and small helpers: names, units, positions, weights, headers,
citizen IDs, Thai dates, sheets, file times, and the plan (Drive) a generation returns."""
from __future__ import annotations

import csv
import datetime as dt
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


FIRST_M = ["สมชาย", "สมศักดิ์", "ประเสริฐ", "วิชัย", "สุรชัย", "อนุชา", "ธนากร", "กิตติพงษ์", "ณัฐวุฒิ", "ปิยะ",
           "ชัยวัฒน์", "ศักดิ์ชัย", "สุเมธ", "วีระ", "ธีรพงษ์", "อำนาจ", "จักรพันธ์", "พงศกร", "ภานุวัฒน์", "เกียรติศักดิ์"]
FIRST_F = ["สมหญิง", "สุภาพร", "วันเพ็ญ", "กาญจนา", "ศิริพร", "นภัสสร", "อรุณี", "พรทิพย์", "จิราพร", "ปวีณา",
           "รัตนา", "สุนันทา", "ดวงใจ", "วิไลวรรณ", "กนกวรรณ", "ชนิดา", "ณัฐธิดา", "พิมพ์ชนก", "อัญชลี", "มาลัย"]
LAST = ["ใจดี", "รักษ์ไทย", "ศรีสุข", "แก้วมณี", "ทองดี", "บุญมา", "สุขสวัสดิ์", "วงศ์สวัสดิ์", "จันทร์เพ็ญ", "พรหมมา",
        "ศรีวงศ์", "สมบูรณ์", "ประเสริฐศักดิ์", "มั่นคง", "เจริญสุข", "ชัยมงคล", "ทองคำ", "พึ่งบุญ", "อินทร์แก้ว",
        "สายทอง", "ปัญญาดี", "นาคสวัสดิ์", "บุญเรือง", "คงสมบูรณ์", "ศักดิ์สิทธิ์", "วัฒนากุล", "ธนสาร", "รุ่งเรือง"]
POSITIONS = {  # group -> (position, level) choices
    "EXE": [("รองผู้ว่าราชการจังหวัด", "บริหารต้น"), ("ผู้ว่าราชการจังหวัด", "บริหารสูง")],
    "MGT": [("ปลัดจังหวัด", "อำนวยการสูง"), ("หัวหน้าสำนักงานจังหวัด", "อำนวยการสูง"), ("นายอำเภอ", "อำนวยการต้น")],
    "ACA": [("นักวิเคราะห์นโยบายและแผน", "ชำนาญการ"), ("นักทรัพยากรบุคคล", "ปฏิบัติการ"),
            ("นักวิเคราะห์นโยบายและแผน", "ชำนาญการพิเศษ")],
    "TEC": [("นักวิชาการคอมพิวเตอร์", "ปฏิบัติการ"), ("นักวิชาการคอมพิวเตอร์", "ชำนาญการ"),
            ("เจ้าพนักงานเครื่องคอมพิวเตอร์", "ชำนาญงาน")],
    "SRV": [("เจ้าพนักงานปกครอง", "ชำนาญงาน"), ("ปลัดอำเภอ", "ปฏิบัติการ"), ("ปลัดอำเภอ", "ชำนาญการ")],
    "OTH": [("เจ้าพนักงานธุรการ", "ปฏิบัติงาน"), ("นักจัดการงานทั่วไป", "ปฏิบัติการ"),
            ("เจ้าพนักงานการเงินและบัญชี", "ชำนาญงาน")],
}
GROUP_WEIGHTS = {"EXE": 2, "MGT": 6, "ACA": 15, "TEC": 5, "SRV": 40, "OTH": 32}
PROVINCE_UNITS = ["สำนักงานจังหวัด{p}", "ที่ทำการปกครองจังหวัด{p}", "ที่ทำการปกครองอำเภอเมือง{p}",
                  "สำนักงานป้องกันและบรรเทาสาธารณภัยจังหวัด{p}"]
CENTRAL_UNITS = ["กองการเจ้าหน้าที่", "สำนักนโยบายและแผน", "ศูนย์เทคโนโลยีสารสนเทศและการสื่อสาร", "กองคลัง",
                 "สำนักบริหารการทะเบียน", "กองกลาง"]
OUTCOME_WEIGHTS = {"COMPLIANT": 70, "LATE": 6, "UNSIGNED": 6, "GROUP_MISMATCH": 5, "TARGET_MISMATCH": 3,
                   "MISSING": 10}
LEVEL_WEIGHTS = {None: 5, 1: 20, 2: 45, 3: 22, 4: 8}
THAI_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
HEADERS_TH = ["ลำดับ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "ตำแหน่ง", "ระดับ", "สังกัด", "จังหวัด",
              "กลุ่มเป้าหมาย", "ระดับเป้าหมาย", "วันที่ประเมิน"]
TAIL_TH = ["ผลการประเมินภาพรวม", "ลงนามรับรอง", "วันที่ลงนาม", "หมายเหตุ"]


def dashed(cid: str) -> str:
    """A citizen ID as often typed: X-XXXX-XXXXX-XX-X."""
    return f"{cid[0]}-{cid[1:5]}-{cid[5:10]}-{cid[10:12]}-{cid[12]}"


def citizen_id(rng: random.Random) -> str:
    body = str(rng.randint(1, 8)) + "".join(str(rng.randint(0, 9)) for _ in range(11))
    check = (11 - sum(int(d) * w for d, w in zip(body, range(13, 1, -1))) % 11) % 10
    return body + str(check)


def _thai_date(d: dt.date, style: int) -> str:
    be = d.year + 543
    return [f"{d.day}/{d.month}/{be}", f"{d.day:02d}/{d.month:02d}/{be % 100:02d}",
            f"{d.day} {THAI_MONTHS[d.month - 1]} {be % 100:02d}", d.isoformat()][style % 4]


def write_sheet(path: Path, header: list, rows: list[list], *, title_lines: list[str] = (), fmt: str = "xlsx") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            for t in title_lines:
                w.writerow([t])
            w.writerow(header)
            w.writerows([["" if v is None else v for v in r] for r in rows])
        return
    from openpyxl import Workbook  # noqa: PLC0415

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("ผลการประเมิน")
    for t in title_lines:
        ws.append([t])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def set_mtime(path: Path, when: dt.datetime) -> None:
    ts = when.timestamp()
    os.utime(path, (ts, ts))


# ---------------------------------------------------------------- streaming generation
FULL_EXPECTED_MAX = 20_000     # above this, DIR.expected.json holds counts, not every person
OUTCOMES = list(OUTCOME_WEIGHTS) + ["NOT_ON_LIST"]
GROUPS = list(GROUP_WEIGHTS)
LEVEL_WORDS = ["เริ่มต้น", "กำลังพัฒนา", "ชำนาญ", "เชี่ยวชาญ"]
MALE_TITLES, FEMALE_TITLES = ["นาย", "นาย", "นาย", "ว่าที่ร้อยตรี"], ["นาง", "นางสาว"]
_ID_STEP = 31_415_926_537       # odd, not a multiple of 5: index -> 11 digits is a bijection mod 10**11


def _p(weights) -> np.ndarray:
    w = np.array(list(weights), dtype=float)
    return w / w.sum()


def _ids(rng: np.random.Generator, first_index: int, n: int, offset: int) -> list[str]:
    """n distinct valid citizen IDs: the person's running index scrambled into 11 digits (so IDs
    never repeat across the drive, however large), a random first digit 1-8, the check digit."""
    idx = np.arange(first_index, first_index + n, dtype=np.int64)
    body = rng.integers(1, 9, n).astype(np.int64) * 10**11 + (idx * _ID_STEP + offset) % 10**11
    total = np.zeros(n, dtype=np.int64)
    rest = body.copy()
    for weight in range(2, 14):            # the last digit of the 12 has weight 2, the first 13
        total += (rest % 10) * weight
        rest //= 10
    check = (11 - total % 11) % 10
    return [f"{b:012d}{c}" for b, c in zip(body.tolist(), check.tolist())]


@dataclass
class Drive:
    """What was written: returned by generate() and saved as DIR.expected.json."""
    out: Path
    seed: int
    people: int
    round: str
    mode: str
    files: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)            # file -> data rows written
    roster: list = field(default_factory=list)          # full mode: every listed person
    not_on_list: list = field(default_factory=list)     # full mode: every unlisted submitter
    outcomes: dict = field(default_factory=dict)        # province -> outcome -> people
    bad_rows: dict = field(default_factory=dict)        # reason code -> rows
    rejections: dict = field(default_factory=dict)      # full mode: file -> [[source_row, reason]]

    def as_dict(self) -> dict:
        d = {"seed": self.seed, "people": self.people, "round": self.round, "expected": self.mode,
             "files": self.files, "rows": self.rows, "data_rows": sum(self.rows.values()),
             "roster_rows": self.people, "outcomes": self.outcomes, "bad_rows": self.bad_rows}
        if self.mode == "full":
            d.update(roster=self.roster, not_on_list=self.not_on_list, rejections=self.rejections)
        return d
