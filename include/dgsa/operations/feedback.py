"""Feedback workbooks to provinces: what we received, which rows to fix and why, which files
were not loaded, and who still has to be chased. Thai first, then English.

One workbook per province with anything to say (a file in its folder, or someone to follow up),
written to DGSA_OUTBOX (default .dgsa/outbox; never the drive) as
    <outbox>/<NN-name>/DG-SA-feedback-<NN>-<YYYYmmdd-HHMMSS>.xlsx
only when its content changed since the last one (outbox/manifest.json keeps each province's
latest file and content hash); earlier workbooks stay as history.

    python -m dgsa.operations.feedback          # make feedback: write what changed, print where
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import re
from pathlib import Path

from dgsa.foundation import config, db, pii
from dgsa.foundation.sqlfiles import read_sql

log = logging.getLogger(__name__)
SHEETS = {"summary": "สรุป Summary", "rejected": "แถวที่ถูกปฏิเสธ Rejected rows",
          "not_loaded": "ไฟล์ที่ไม่ได้นำเข้า Not loaded", "follow_up": "ต้องติดตาม Follow-up"}
FONT = "TH Sarabun New"          # the Thai government's standard font; Excel substitutes if absent
FONT_SIZE = 14
RISKY_START = ("=", "+", "-", "@", "\t", "\r")
NOT_LOADED = ("rejected", "ignored", "duplicate")
TH_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]


def outbox_dir() -> Path:
    """DGSA_OUTBOX (default .dgsa/outbox). Refuses a folder inside the drive: the drive is read-only."""
    path = Path(os.environ.get("DGSA_OUTBOX") or config.PROJECT_DIR / ".dgsa" / "outbox").resolve()
    drive = os.environ.get("DGSA_DRIVE")
    if drive and path.is_relative_to(Path(drive).resolve()):
        raise config.ConfigError(f"DGSA_OUTBOX={path} is inside the drive {drive}: feedback never goes on the drive")
    return path


@functools.cache
def labels() -> dict:
    return config._yaml("labels.yaml")


def thai_datetime(value: dt.datetime | None) -> str:
    """26 ต.ค. 2563 10:00 (Asia/Bangkok, Buddhist era)."""
    if value is None:
        return ""
    v = value.astimezone(config.BANGKOK)
    return f"{v.day} {TH_MONTHS[v.month - 1]} {v.year + 543} {v:%H:%M}"


def _label(kind: str, code: str | None) -> str:
    entry = labels()[kind].get(code or "")
    return f"{entry['th']} / {entry['en']}" if entry else (code or "")


def _in_folder(rel_path: str) -> str:
    """The path as the province sees it: inside its own folder."""
    parts = rel_path.split("/", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "provinces" else rel_path


def _file_messages(f: dict) -> tuple[str, str]:
    """Thai and English reason of a file; the ledger keeps the English one with its details filled
    in, the Thai template gets the same details."""
    th, en, msg = f["message_th"], f["message_en"], f["message"]
    if th is None:
        return msg or "", msg or ""
    if msg and "{detail}" in en:
        pattern = "^" + re.escape(en).replace(re.escape("{detail}"), "(?P<detail>.*)").replace(
            re.escape("{column}"), ".*") + "$"
        m = re.match(pattern, msg, re.S)
        detail = m.group("detail") if m else ""
        return th.replace("{detail}", detail).replace("{column}", ""), msg
    return th, msg or en


# ---------------------------------------------------------------- content (plain rows, hashed)
def _query(cur, name: str, provinces: list[str]) -> list[dict]:
    cur.execute(read_sql(f"feedback/{name}.sql"), {"provinces": provinces})
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def collect(url: str | None = None, provinces: list[str] | None = None) -> dict[str, dict]:
    """Every workbook's content, by province code: {code: {"title": ..., sheet key: [rows]}}."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('marts.compliance_person') IS NOT NULL")
        with_marts = cur.fetchone()[0]
        cur.execute(read_sql("feedback/provinces.sql"))
        codes = {r[0] for r in cur.fetchall()}
        if with_marts:
            cur.execute(read_sql("feedback/provinces_follow_up.sql"))
            codes |= {r[0] for r in cur.fetchall()}
        codes = sorted(codes if provinces is None else codes & set(provinces))
        files = _query(cur, "files", codes)
        rejected = _query(cur, "rejected_rows", codes)
        counts = _query(cur, "compliance", codes) if with_marts else []
        follow = _query(cur, "follow_up", codes) if with_marts else []
    names = {p["province_code"]: p for p in config.provinces()}
    out = {}
    for code in codes:
        out[code] = {
            "code": code, "name_th": names[code]["name_th"], "name_en": names[code]["name_en"],
            "summary": _summary_rows(code, [c for c in counts if c["province_code"] == code],
                                     [f for f in files if f["province_code"] == code]),
            "rejected": _rejected_rows([r for r in rejected if r["province_code"] == code]),
            "not_loaded": _not_loaded_rows([f for f in files if f["province_code"] == code]),
            "follow_up": _follow_up_rows([p for p in follow if p["province_code"] == code]),
        }
    return out


def _summary_rows(code: str, counts: list[dict], files: list[dict]) -> list[list]:
    rows: list[list] = [["การส่งผลการประเมิน / Compliance"],
                        ["รอบ / Round", "กำหนดส่ง / Deadline", "อยู่ในบัญชี / On list", "ครบถ้วน / Compliant",
                         "ส่งล่าช้า / Late", "ยังไม่ลงนาม / Unsigned", "กลุ่มไม่ตรง / Group mismatch",
                         "ระดับไม่ตรง / Target mismatch", "ยังไม่ส่ง / Missing", "ไม่อยู่ในบัญชี / Not on list"]]
    for c in counts:
        rows.append([c["round"], thai_datetime(c["deadline_at"]), c["on_list"], c["compliant"], c["late"],
                     c["unsigned"], c["group_mismatch"], c["target_mismatch"], c["missing"], c["not_on_list"]])
    if not counts:
        rows.append(["ยังไม่มีข้อมูล (ยังไม่ได้สร้าง marts) / No figures yet (marts not built)"])
    rows += [[], ["ไฟล์ที่ได้รับ / Files received"],
             ["ไฟล์ / File", "สถานะ / Status", "แถวที่นำเข้า / Rows loaded", "แถวที่ถูกปฏิเสธ / Rows rejected",
              "ได้รับเมื่อ / Received", "หมายเหตุ / Note"]]
    for f in files:
        note = "" if f["status"] == "loaded" else " / ".join(m for m in _file_messages(f) if m)
        rows.append([_in_folder(f["rel_path"]), _label("file_status", f["status"]), f["rows_loaded"],
                     f["rows_rejected"], thai_datetime(f["received_at"]), note])
    if not files:
        rows.append(["ยังไม่ได้รับไฟล์ / No files received"])
    return rows


def _rejected_rows(rows: list[dict]) -> list[list]:
    out = [["ไฟล์ / File", "แถวที่ / Row", "คอลัมน์ / Column", "ค่าที่พิมพ์ไว้ / Value as typed",
            "สิ่งที่ต้องแก้ไข", "What to fix", "รหัส / Code"]]
    for r in rows:
        out.append([_in_folder(r["rel_path"]), r["source_row"], r["column_name"] or "",
                    pii.scrub(r["raw_value"]) or "", r["message_th"], r["message_en"], r["reason_code"]])
    return out


def _not_loaded_rows(files: list[dict]) -> list[list]:
    out = [["ไฟล์ / File", "สถานะ / Status", "เหตุผล", "Reason", "รหัส / Code", "ได้รับเมื่อ / Received"]]
    for f in files:
        if f["status"] not in NOT_LOADED:
            continue
        th, en = _file_messages(f)
        if f["duplicate_of_path"]:
            th += f" (ไฟล์เดิม: {_in_folder(f['duplicate_of_path'])})"
            en += f" (same as {_in_folder(f['duplicate_of_path'])})"
        out.append([_in_folder(f["rel_path"]), _label("file_status", f["status"]), th, en, f["reason_code"] or "",
                    thai_datetime(f["received_at"])])
    return out


def _follow_up_rows(people: list[dict]) -> list[list]:
    out = [["รอบ / Round", "สถานะ / Status", "ชื่อ-สกุล / Name", "สังกัด / Unit", "ตำแหน่ง / Position",
            "เลขประจำตัวประชาชน (ปิดบัง) / Citizen ID (masked)", "กลุ่มที่กำหนด / Assigned group",
            "กลุ่มที่แจ้ง / Declared group", "ปัญหาทั้งหมด / Every problem", "ไฟล์ / File", "แถวที่ / Row"]]
    for p in people:
        problems = "; ".join(labels()["compliance_status"][c]["th"] for c in p["problems"] or [])
        out.append([p["round"], _label("compliance_status", p["status"]), p["full_name"], p["unit"] or "",
                    p["position"] or "", p["citizen_id_masked"], p["assigned_group"] or "",
                    p["declared_group"] or "", problems, _in_folder(p["rel_path"]) if p["rel_path"] else "",
                    p["source_row"] or ""])
    return out


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


# ---------------------------------------------------------------- the workbook
def safe_cell(cell, value) -> None:
    """Write a value; text that a spreadsheet could take for a formula stays text (data type
    string, and Excel's quote prefix so editing the cell keeps it text)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    value = pii.scrub(value)
    if isinstance(value, str):       # control characters (typed or pasted) cannot go into .xlsx XML
        value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    cell.value = value
    if isinstance(value, str) and value.startswith(RISKY_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def write_workbook(path: Path, content: dict, as_of: dt.datetime) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - heavy, not at DAG parse time
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    plain, bold = Font(name=FONT, size=FONT_SIZE), Font(name=FONT, size=FONT_SIZE, bold=True)
    title_font, fill = Font(name=FONT, size=FONT_SIZE + 4, bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(vertical="top", wrap_text=True)      # one style object for every cell (not one per cell)
    wb = Workbook()
    wb.remove(wb.active)
    titles = {"summary": "สรุป / Summary", "rejected": "แถวที่ถูกปฏิเสธ / Rejected rows",
              "not_loaded": "ไฟล์ที่ไม่ได้นำเข้า / Files not loaded", "follow_up": "ต้องติดตาม / Follow-up"}
    for key, sheet_name in SHEETS.items():
        ws = wb.create_sheet(sheet_name)
        top = [[f"{titles[key]}: จังหวัด{content['name_th']} ({content['code']}) / {content['name_en']}"],
               ["ข้อมูล ณ / As of", thai_datetime(as_of)]]
        rows = top + content[key]
        widths: dict[int, float] = {}
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=c)
                safe_cell(cell, value)
                cell.font, cell.alignment = plain, wrap
                if value not in (None, "") and r > 2:
                    widths[c] = max(widths.get(c, 0), min(60, max(len(line) for line in str(value).split("\n"))))
        ws.cell(row=1, column=1).font = title_font
        ws.cell(row=1, column=1).alignment = Alignment(vertical="top", wrap_text=False)
        # the header row: row 3, or in the summary the row under each section title
        header_rows = [3] if key != "summary" else [
            r + 1 for r in range(3, len(rows)) if len(rows[r - 1]) == 1 and len(rows[r]) > 1]
        for r in header_rows:
            for cell in ws[r]:
                cell.font, cell.fill = bold, fill
        for r, values in enumerate(rows, start=1):        # section titles in the summary
            if len(values) == 1 and r > 2:
                ws.cell(row=r, column=1).font = bold
                ws.cell(row=r, column=1).alignment = Alignment(vertical="top", wrap_text=False)
        for c, width in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = max(10, width * 1.1 + 2)
        ws.freeze_panes = "A4" if key != "summary" else "A3"
        if key != "summary" and len(rows) > 3:
            ws.auto_filter.ref = f"A3:{get_column_letter(len(rows[2]))}{len(rows)}"
    wb.properties.title = f"DG-SA feedback {content['code']}"
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    os.replace(tmp, path)


def write_all(url: str | None = None, outbox: Path | None = None, provinces: list[str] | None = None,
              now: dt.datetime | None = None) -> dict:
    """Write every province's workbook whose content changed. Returns what was written."""
    outbox = outbox or outbox_dir()
    outbox.mkdir(parents=True, exist_ok=True)
    now = (now or dt.datetime.now(config.BANGKOK)).astimezone(config.BANGKOK)
    manifest_path = outbox / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    written, unchanged = [], 0
    for code, content in collect(url, provinces).items():
        digest = content_hash(content)
        last = manifest.get(code)
        if last and last["sha256"] == digest and (outbox / last["file"]).exists():
            unchanged += 1
            continue
        folder = outbox / f"{code}-{content['name_th']}"
        folder.mkdir(exist_ok=True)
        path = folder / f"DG-SA-feedback-{code}-{now:%Y%m%d-%H%M%S}.xlsx"
        n = 1
        while path.exists():
            n += 1
            path = folder / f"DG-SA-feedback-{code}-{now:%Y%m%d-%H%M%S}-{n}.xlsx"
        write_workbook(path, content, now)
        manifest[code] = {"file": path.relative_to(outbox).as_posix(), "sha256": digest,
                          "written_at": now.isoformat(), "rejected_rows": len(content["rejected"]) - 1,
                          "follow_up": len(content["follow_up"]) - 1}
        written.append(manifest[code]["file"])
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, manifest_path)
    log.info("feedback: %d workbooks written, %d unchanged, in %s", len(written), unchanged, outbox)
    return {"outbox": str(outbox), "written": written, "unchanged": unchanged}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--province", action="append", help="only these province codes (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result = write_all(provinces=args.province)
    print(f"feedback workbooks in {result['outbox']}: {len(result['written'])} written, "
          f"{result['unchanged']} unchanged")
    for rel in result["written"]:
        print("  " + rel)


if __name__ == "__main__":
    main()
