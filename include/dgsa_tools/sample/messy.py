"""The messy half of the sample drive: every variant and bad case of submission-format.md,
each written with its expected outcome (file status, reason, rejected rows, loaded values).

Used by `python -m dgsa_tools.sample --messy`; the cases go into DIR.expected.json under "cases".
People in these files are extra (not on the roster), so the clean expectations still hold;
in the marts they appear as NOT_ON_LIST.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from pathlib import Path

from dgsa.foundation import config
from dgsa_tools.sample.vocab import citizen_id, dashed, set_mtime

TH_HEADER = ["ลำดับ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "จังหวัด", "กลุ่มเป้าหมาย", "ระดับเป้าหมาย",
             "วันที่ประเมิน", "ด้านที่ 1", "ด้านที่ 2", "ด้านที่ 5", "ลงนามรับรอง", "วันที่ลงนาม", "หมายเหตุ"]
EN_HEADER = ["No.", "Remarks", "Signed", "Assessment Date", "Target Level", "Target Group", "Surname", "First Name",
             "Title", "Citizen ID", "Province", "Digital Literacy", "GOV", "Digital Service Design", "Extra column"]
WHEN = dt.datetime(2020, 10, 26, 10, tzinfo=config.BANGKOK)


class Cases:
    def __init__(self, out: Path, rng: random.Random, used: set[str]):
        self.out, self.rng, self.used, self.cases = out, rng, used, []

    def cid(self) -> str:
        c = citizen_id(self.rng)
        while c in self.used:
            c = citizen_id(self.rng)
        self.used.add(c)
        return c

    def add(self, rel, status, reason=None, rejections=(), loaded=None, note=""):
        self.cases.append({"file": rel, "status": status, "reason_code": reason, "note": note,
                           "rejections": [list(r) for r in rejections], "loaded": loaded or {}})

    def path(self, rel: str) -> Path:
        p = self.out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


def _th_row(n, cid, *, date="20/10/2563", group="5", level="2", skills=("2", "2", "2"), signed="ลงนามแล้ว",
            province="เชียงใหม่", first="สมชาย", last="ใจดี", title="นาย", signed_on=None, remarks=None):
    return [n, cid, title, first, last, province, group, level, date, *skills, signed, signed_on, remarks]


def _expect(cid, *, group="SRV", level=2, assessed="2020-10-20", signed=True, first="สมชาย", last="ใจดี",
            title="นาย", skills=None):
    return {"declared_group": group, "declared_target_level": level, "assessed_on": assessed,
            "signed": signed, "first_name": first, "last_name": last, "title": title,
            "skills": skills or {"DL": 2, "GOV": 2, "SVC": 2}}


def add_cases(out: Path, rng: random.Random, used_ids: set[str]) -> list[dict]:
    """Write the cases under out; used_ids are the citizen IDs already on the drive (avoided)."""
    c = Cases(out, rng, set(used_ids))
    prov = "provinces/50-เชียงใหม่/messy"

    # 1. legacy .xls
    ids = [c.cid() for _ in range(3)]
    rel = f"{prov}/ผลDG-SA เก่า.xls"
    _write_xls(c.path(rel), TH_HEADER, [_th_row(i + 1, ids[i]) for i in range(3)])
    c.add(rel, "loaded", loaded={i: _expect(i) for i in ids}, note="legacy xls")

    # 2. Windows-874 CSV, tab separated, B.E. dates in several spellings, Thai digits
    ids = [c.cid() for _ in range(4)]
    dates = ["20/10/2563", "20/10/63", "๒๐ ต.ค. ๖๓", "20 ตุลาคม 2563"]
    rel = f"{prov}/ผลDG-SA windows874.csv"
    _write_csv(c.path(rel), TH_HEADER, [_th_row(i + 1, ids[i], date=dates[i], group="๕", level="๒") for i in range(4)],
               encoding="cp874", delimiter="\t")
    c.add(rel, "loaded", loaded={i: _expect(i) for i in ids}, note="cp874, tab, B.E. dates, Thai digits")

    # 3. English headers in another order, extra column, UTF-8 without BOM, C.E. dates, word levels
    ids = [c.cid() for _ in range(3)]
    rows = []
    for i, cid in enumerate(ids):
        rows.append([i + 1, None, ["Y", "yes", "✓"][i], ["2020-10-20", "20/10/2020", "2020-10-20"][i],
                     ["Developing", "developing", "กำลังพัฒนา"][i], ["Service", "SRV", "กลุ่มผู้ปฏิบัติงานที่เกี่ยวข้องกับงานด้านบริการ"][i],
                     "ใจดี", "สมชาย", "นาย", cid, "Chiang Mai", "Developing", "2", "กำลังพัฒนา", "ignored"])
    rel = f"{prov}/dgsa english.csv"
    _write_csv(c.path(rel), EN_HEADER, rows, encoding="utf-8")
    c.add(rel, "loaded", loaded={i: _expect(i) for i in ids}, note="English headers, any order, extra column")

    # 4. workbook: instruction sheet first, title lines + merged cells, header on row 6,
    #    blank rows between blocks, total line, numeric IDs, Excel date cells, used range to 1,048,576
    ids = [c.cid() for _ in range(4)]
    rel = f"{prov}/ผลDG-SA หลายชีต.xlsx"
    _write_messy_xlsx(c.path(rel), ids)
    c.add(rel, "loaded", loaded={i: _expect(i) for i in ids},
          note="instruction sheet, merged title, header row 6, blank rows, total line, numeric IDs, date cells, "
               "formatting to row 1,048,576")

    # 5. one full-name column with glued titles; a formula-looking remark kept as text
    ids = [c.cid() for _ in range(2)]
    rel = f"{prov}/ชื่อเต็ม.csv"
    header = ["ลำดับ", "เลขประจำตัวประชาชน", "ชื่อ - นามสกุล", "กลุ่มเป้าหมาย", "ระดับเป้าหมาย", "วันที่ประเมิน", "DL", "GOV",
              "SVC", "ลงนาม", "หมายเหตุ"]
    rows = [[1, ids[0], "นางสาวสมหญิง ใจงาม", "5", "2", "20/10/2563", "2", "2", "2", "/", "=1+1"],
            [2, ids[1], "ว่าที่ร้อยตรี สมศักดิ์ มีสุข", "5", "2", "20/10/2563", "2", "2", "2", "true", "@note"]]
    _write_csv(c.path(rel), header, rows, encoding="utf-8-sig")
    c.add(rel, "loaded", loaded={ids[0]: _expect(ids[0], first="สมหญิง", last="ใจงาม", title="นางสาว"),
                                 ids[1]: _expect(ids[1], first="สมศักดิ์", last="มีสุข", title="ว่าที่ร้อยตรี")},
          note="full-name column, glued titles, formula-looking remarks")

    # 6. the same file copied under two names -> the later copy is a duplicate
    src = c.path(f"{prov}/ชื่อเต็ม.csv")
    rel = f"{prov}/สำเนา ชื่อเต็ม.csv"
    shutil.copyfile(src, c.path(rel))
    c.add(rel, "duplicate", "DUPLICATE_CONTENT", note="same bytes under a second name, received later")

    # 7. every bad row once, beside good rows (good rows still load)
    ids = [c.cid() for _ in range(19)]
    wrong = ids[1][:12] + str((int(ids[1][12]) + 1) % 10)
    rows = [_th_row(1, ids[0]),
            _th_row(2, wrong),                                            # row 4: check digit
            _th_row(3, ids[2], date="31/02/2563"),                        # row 5: impossible date
            _th_row(4, ids[3], group="9"),                                # row 6: unknown group
            _th_row(5, ids[4], level="สูงมาก"),                            # row 7: unknown level
            _th_row(6, ids[5], province="ลำพูน"),                          # row 8: province disagrees
            _th_row(7, ids[6], first=None),                               # row 9: name missing
            _th_row(8, ids[7], signed="อาจจะ"),                           # row 10: yes/no unknown
            _th_row(9, ids[8]), _th_row(10, ids[8]),                       # rows 11, 12: same person twice
            _th_row(11, ids[9]), _th_row(12, ids[10]), _th_row(13, ids[11]),
            _th_row(14, "1.23457E+12")]                                    # row 16: lost digits
    rows += [_th_row(15 + k, ids[12 + k]) for k in range(7)]              # rows 17-23: good
    rel = f"{prov}/แถวผิด.csv"
    _write_csv(c.path(rel), TH_HEADER, rows, encoding="utf-8-sig", title="ผลการประเมิน (มีแถวผิด)")
    c.add(rel, "partially_loaded", "ROWS_REJECTED",
          rejections=[(4, "CID_CHECK_DIGIT"), (5, "DATE_INVALID"), (6, "GROUP_UNKNOWN"), (7, "LEVEL_UNKNOWN"),
                      (8, "PROVINCE_MISMATCH"), (9, "NAME_MISSING"), (10, "SIGNED_UNKNOWN"),
                      (11, "DUPLICATE_PERSON_IN_FILE"), (12, "DUPLICATE_PERSON_IN_FILE"), (16, "CID_PRECISION_LOST")],
          loaded={i: _expect(i) for i in [ids[0], ids[9], ids[10], ids[11]] + ids[12:]},
          note="one of each bad row")

    # bad files, rejected whole
    ids = [c.cid() for _ in range(3)]
    bad_files = [
        ("ว่าง.xlsx", b"", "FILE_EMPTY"),
        ("เสีย.xlsx", b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(300)), "FILE_UNREADABLE"),
        ("รหัสผ่าน.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000, "FILE_ENCRYPTED"),
    ]
    for name, data, code in bad_files:
        rel = f"{prov}/{name}"
        c.path(rel).write_bytes(data)
        c.add(rel, "rejected", code)
    rel = f"{prov}/หัวตารางอย่างเดียว.csv"
    _write_csv(c.path(rel), TH_HEADER, [], encoding="utf-8")
    c.add(rel, "rejected", "NO_DATA_ROWS")
    rel = f"{prov}/ไม่มีหัวตาราง.csv"
    _write_csv(c.path(rel), ["a", "b", "c"], [[1, 2, 3]], encoding="utf-8")
    c.add(rel, "rejected", "NO_HEADER_ROW")
    rel = f"{prov}/ขาดคอลัมน์.csv"
    _write_csv(c.path(rel), ["เลขประจำตัวประชาชน", "ชื่อ", "นามสกุล"], [[ids[0], "ก", "ข"]], encoding="utf-8")
    c.add(rel, "rejected", "MISSING_COLUMNS")
    rel = f"{prov}/ผิดเกินครึ่ง.csv"
    _write_csv(c.path(rel), TH_HEADER, [_th_row(1, ids[1]), _th_row(2, ids[2], level="x"),
                                        _th_row(3, "123", level="x")], encoding="utf-8")
    c.add(rel, "rejected", "TOO_MANY_BAD_ROWS")
    rel = "provinces/ไม่ระบุจังหวัด/ผล.csv"
    _write_csv(c.path(rel), TH_HEADER, [_th_row(1, c.cid())], encoding="utf-8")
    c.add(rel, "rejected", "UNKNOWN_PROVINCE")

    # not submissions
    for name, code in (("scan-0001.pdf", "NOT_A_SUBMISSION"), ("รูปถ่าย.jpg", "NOT_A_SUBMISSION"),
                       ("บันทึก.docx", "NOT_A_SUBMISSION"), ("~$ผลDG-SA หลายชีต.xlsx", "LOCK_FILE"),
                       ("Thumbs.db", "SYSTEM_FILE"), (".DS_Store", "SYSTEM_FILE")):
        rel = f"{prov}/{name}"
        c.path(rel).write_bytes(b"%PDF-1.4 not read" if name.endswith(".pdf") else b"\x00binary")
        c.add(rel, "ignored", code)

    for case in c.cases:
        set_mtime(out / case["file"], WHEN)
    set_mtime(out / f"{prov}/สำเนา ชื่อเต็ม.csv", WHEN + dt.timedelta(hours=1))
    return c.cases


def _write_csv(path: Path, header, rows, *, encoding: str, delimiter=",", title: str | None = None) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        if title:
            w.writerow([title])
        w.writerow(header)
        w.writerows([["" if v is None else v for v in r] for r in rows])


def _write_xls(path: Path, header, rows) -> None:
    import xlwt  # noqa: PLC0415

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("ผล")
    for j, h in enumerate(header):
        ws.write(0, j, h)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            if v is not None:
                ws.write(i, j, v)
    wb.save(str(path))


def _write_messy_xlsx(path: Path, ids: list[str]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import PatternFill  # noqa: PLC0415

    wb = Workbook()
    info = wb.active
    info.title = "คำชี้แจง"
    info.append(["กรุณากรอกข้อมูลในชีต ผลการประเมิน"])
    ws = wb.create_sheet("ผลการประเมิน")
    ws.append(["แบบรายงานผลการประเมินตนเอง DG-SA"])
    ws.merge_cells("A1:H1")
    ws.append(["จังหวัดเชียงใหม่"])
    ws.append([])
    ws.append(["ข้อมูล ณ วันที่ 26 ต.ค. 2563"])
    ws.append([])
    ws.append(TH_HEADER)                                               # header on row 6
    d = dt.datetime(2020, 10, 20)
    ws.append(_th_row(1, int(ids[0]), date=d))                         # numeric ID, date cell
    ws.append(_th_row(2, dashed(ids[1]), date=44124))
    ws.append([])                                                      # blank rows between blocks
    ws.append([None, None])
    ws.append(_th_row(3, float(ids[2]), date="20/10/2563", level=2, skills=(2, 2, 2)))
    ws.append(_th_row(4, ids[3], date=d, signed="✔"))
    ws.append(["รวม 4 คน"])
    fill = PatternFill("solid", fgColor="FFFF00")
    for col in range(1, 16):
        ws.cell(1_048_576, col).fill = fill
    wb.save(path)
