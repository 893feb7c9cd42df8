"""What each sheet of a province's feedback workbook says, as plain rows (lists of values),
Thai first, then English. feedback.py collects the data and writes the workbook.

    summary     per round: deadline, on list, compliant and each non-compliant status; every file received
    progress    the current round against the previous one: per person the change and skills met
                before / now, and the province's totals (marts.person_progress, marts.target_progress)
    rejected    row rejections to fix (file, row, column, value, what to fix, code)
    not_loaded  rejected, ignored and duplicate files with their reason
    follow_up   the current round's people not compliant, with every problem
"""
from __future__ import annotations

import datetime as dt
import functools
import re

from dgsa.foundation import config, pii

SHEETS = {"summary": "สรุป Summary", "progress": "ความก้าวหน้า Progress",
          "rejected": "แถวที่ถูกปฏิเสธ Rejected rows", "not_loaded": "ไฟล์ที่ไม่ได้นำเข้า Not loaded",
          "follow_up": "ต้องติดตาม Follow-up"}
TITLES = {"summary": "สรุป / Summary", "progress": "ความก้าวหน้าเทียบกับรอบก่อน / Progress since the previous round",
          "rejected": "แถวที่ถูกปฏิเสธ / Rejected rows", "not_loaded": "ไฟล์ที่ไม่ได้นำเข้า / Files not loaded",
          "follow_up": "ต้องติดตาม / Follow-up"}
NOT_LOADED = ("rejected", "ignored", "duplicate")
TH_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
CHANGES = ("IMPROVED", "FELL_BACK", "MIXED", "UNCHANGED", "FIRST_ASSESSMENT", "NOT_ASSESSED")


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


def _yes_no(value) -> str:
    return "" if value is None else ("ตามเป้า / on track" if value else "ต่ำกว่าเป้า / behind")


def _share(value) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"


def summary_rows(code: str, counts: list[dict], files: list[dict]) -> list[list]:
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
        note = " / ".join(m for m in (note, f.get("note_th"), f.get("note_en")) if m)  # missing, replaced (files.sql)
        rows.append([_in_folder(f["rel_path"]), _label("file_status", f["status"]), f["rows_loaded"],
                     f["rows_rejected"], thai_datetime(f["received_at"]), note])
    if not files:
        rows.append(["ยังไม่ได้รับไฟล์ / No files received"])
    return rows


def rejected_rows(rows: list[dict]) -> list[list]:
    out = [["ไฟล์ / File", "แถวที่ / Row", "คอลัมน์ / Column", "ค่าที่พิมพ์ไว้ / Value as typed",
            "สิ่งที่ต้องแก้ไข", "What to fix", "รหัส / Code"]]
    for r in rows:
        out.append([_in_folder(r["rel_path"]), r["source_row"], r["column_name"] or "",
                    pii.scrub(r["raw_value"]) or "", r["message_th"], r["message_en"], r["reason_code"]])
    return out


def not_loaded_rows(files: list[dict]) -> list[list]:
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


def follow_up_rows(people: list[dict]) -> list[list]:
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


def progress_rows(round_code: str | None, previous: str | None, totals: list[dict], people: list[dict]) -> list[list]:
    """The province's progress in the current round since the previous one: its totals, how many
    people made each change, then every person on the round's list (fell back first)."""
    if round_code is None or previous is None:
        return [[f"รอบ {round_code or '-'} เป็นรอบแรก ยังไม่มีรอบก่อนหน้าให้เปรียบเทียบ / "
                 f"Round {round_code or '-'} is the first: there is no previous round to compare with"]]
    by_round = {t["round"]: t for t in totals}
    now, before = by_round.get(round_code, {}), by_round.get(previous, {})
    rows: list[list] = [[f"รอบ {round_code} เทียบกับรอบ {previous} / Round {round_code} against {previous}"],
                        ["ตัวชี้วัด / Figure", f"รอบ {previous} / Round {previous}", f"รอบ {round_code} / Round {round_code}"],
                        ["ผู้ที่ประเมินแล้ว / People assessed", before.get("people_assessed"), now.get("people_assessed")],
                        ["ถึงระดับเป้าหมายทุกทักษะ / Meeting every target", _share(before.get("share_meeting_all")),
                         _share(now.get("share_meeting_all"))],
                        ["ตามเป้าสู่ปีเป้าหมาย / On track to the goal", _yes_no(before.get("on_track")),
                         _yes_no(now.get("on_track"))],
                        [], ["จำนวนคนตามความเปลี่ยนแปลง / People by change"],
                        ["ความเปลี่ยนแปลง / Change", "จำนวนคน / People"]]
    for code in CHANGES:
        rows.append([_label("progress_change", code), sum(p["change"] == code for p in people)])
    rows.append(["รวม (ทุกคนในบัญชีรอบนี้) / Total (everyone on this round's list)", len(people)])
    rows += [[], ["รายบุคคล / Person by person"],
             ["ความเปลี่ยนแปลง / Change", "ชื่อ-สกุล / Name", "เลขประจำตัวประชาชน (ปิดบัง) / Citizen ID (masked)",
              "กลุ่มที่กำหนด / Assigned group", "ทักษะที่ต้องถึง / Skills required",
              f"ถึงเป้าหมายรอบ {previous} / Met in {previous}", f"ถึงเป้าหมายรอบ {round_code} / Met in {round_code}"]]
    for p in people:
        rows.append([_label("progress_change", p["change"]), p["full_name"], p["citizen_id_masked"],
                     p["assigned_group"] or "", p["skills_required"],
                     "" if p["skills_met_before"] is None else p["skills_met_before"],
                     "" if p["skills_met_now"] is None else p["skills_met_now"]])
    return rows
