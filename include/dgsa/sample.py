"""Generate a realistic sample shared drive (deterministic for a seed).

    python -m dgsa.sample --out DIR --people N --seed S [--messy]

Writes provinces/<NN-ชื่อจังหวัด>/ผลDG-SA*.xlsx|csv for all 77 provinces, roster/2563/, and
DIR.expected.json beside the drive: every person's planned compliance status and skills,
so tests can check the marts by hand. Citizen IDs are synthetic (valid check digits).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dgsa import config

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


@dataclass
class Person:
    citizen_id: str
    title: str
    first_name: str
    last_name: str
    position: str
    position_level: str
    unit: str
    province_code: str
    assigned_group: str
    outcome: str                       # planned compliance status
    declared_group: str = ""
    declared_level: int = 2
    signed: bool = True
    skills: dict = field(default_factory=dict)
    assessed_on: str = ""
    signed_on: str = ""
    file: str = ""
    source_row: int = 0


def _pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_people(n: int, rng: random.Random, round_cfg: dict) -> list[Person]:
    provinces = config.provinces()
    weights = [3.0 if p["province_code"] == "10" else rng.uniform(0.5, 1.5) for p in provinces]
    codes = rng.choices([p["province_code"] for p in provinces], weights=weights, k=n)
    if n >= len(provinces):  # every province gets at least one person
        codes[: len(provinces)] = [p["province_code"] for p in provinces]
    names = {p["province_code"]: p["name_th"] for p in provinces}
    skills = [s["code"] for s in config.frameworks()[round_cfg["framework_version"]]["skills"]]
    seen, people = set(), []
    for code in codes:
        cid = citizen_id(rng)
        while cid in seen:
            cid = citizen_id(rng)
        seen.add(cid)
        female = rng.random() < 0.55
        group = _pick(rng, GROUP_WEIGHTS)
        position, level = rng.choice(POSITIONS[group])
        unit = rng.choice(CENTRAL_UNITS) if code == "10" else rng.choice(PROVINCE_UNITS).format(p=names[code])
        title = rng.choice(["นาง", "นางสาว"]) if female else rng.choice(["นาย", "นาย", "นาย", "ว่าที่ร้อยตรี"])
        p = Person(cid, title, rng.choice(FIRST_F if female else FIRST_M), rng.choice(LAST), position, level,
                   unit, code, group, _pick(rng, OUTCOME_WEIGHTS))
        p.declared_group = p.assigned_group
        if p.outcome == "GROUP_MISMATCH":
            p.declared_group = rng.choice([g for g in GROUP_WEIGHTS if g != group])
        if p.outcome == "TARGET_MISMATCH":
            p.declared_level = rng.choice([1, 3])
        p.signed = p.outcome != "UNSIGNED"
        p.skills = {s: _pick(rng, LEVEL_WEIGHTS) for s in skills}
        people.append(p)
    return people


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


def generate(out: Path, people_n: int, seed: int, messy: bool = False) -> dict:
    rng = random.Random(seed)
    round_cfg = config.rounds()[0]
    deadline: dt.datetime = round_cfg["deadline_at"]
    skills_cfg = config.frameworks()[round_cfg["framework_version"]]["skills"]
    people = make_people(people_n, rng, round_cfg)
    extras = make_people(max(1, people_n // 50), rng, round_cfg)  # submitted, not on the list
    for p in extras:
        p.outcome, p.declared_group, p.declared_level, p.signed = "NOT_ON_LIST", p.assigned_group, 2, True
    out.mkdir(parents=True, exist_ok=True)
    provinces = config.provinces()
    roster_dir = out / "roster" / round_cfg["round"]
    group_no = {g["code"]: g["group_no"] for g in config.target_groups()}
    roster_rows = [[i + 1, p.citizen_id, p.title, p.first_name, p.last_name, p.position, p.position_level, p.unit,
                    p.province_code, group_no[p.assigned_group]] for i, p in enumerate(people)]
    roster_path = roster_dir / "บัญชีกลุ่มเป้าหมาย.xlsx"
    write_sheet(roster_path, ["ลำดับ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "ตำแหน่ง", "ระดับ",
                              "สังกัด", "จังหวัด", "กลุ่มเป้าหมาย"], roster_rows,
                title_lines=[f"บัญชีกลุ่มเป้าหมาย รอบปี {round_cfg['round']}"])
    set_mtime(roster_path, dt.datetime.combine(round_cfg["opens_on"], dt.time(9), config.BANGKOK))
    skill_headers = [s["name_th"] for s in skills_cfg]
    files = []
    for i, prov in enumerate(provinces):
        code = prov["province_code"]
        folder = out / "provinces" / f"{code}-{prov['name_th']}"
        folder.mkdir(parents=True, exist_ok=True)
        submitters = [p for p in people + extras if p.province_code == code and p.outcome != "MISSING"]
        fmt = "csv" if i % 3 == 2 else "xlsx"
        on_time = dt.datetime.combine(dt.date(2020, 10, rng.randint(15, 29)), dt.time(rng.randint(8, 17)),
                                      config.BANGKOK)
        late = deadline + dt.timedelta(days=rng.randint(2, 20), hours=rng.randint(1, 9))
        batches = [("ผลDG-SA รอบ1", on_time, [p for p in submitters if p.outcome != "LATE"]),
                   ("ผลDG-SA เพิ่มเติม", late, [p for p in submitters if p.outcome == "LATE"])]
        for stem, when, batch in batches:
            if not batch:
                continue
            path = folder / f"{stem}.{fmt}"
            rows = []
            for n, p in enumerate(batch, start=1):
                assessed = when.date() - dt.timedelta(days=rng.randint(1, 12))
                assessed = max(assessed, dt.date(2020, 10, 1))
                signed_on = min(assessed + dt.timedelta(days=rng.randint(0, 3)), when.date())
                p.assessed_on, p.signed_on = assessed.isoformat(), signed_on.isoformat() if p.signed else ""
                p.file, p.source_row = path.relative_to(out).as_posix(), n + 2
                levels = [p.skills[s["code"]] for s in skills_cfg]
                overall = round(sum(v for v in levels if v) / max(1, sum(1 for v in levels if v)))
                date_cell = assessed if fmt == "xlsx" else _thai_date(assessed, n)
                signed_cell = (signed_on if fmt == "xlsx" else _thai_date(signed_on, n)) if p.signed else None
                rows.append([n, p.citizen_id if n % 2 else dashed(p.citizen_id),
                             p.title, p.first_name, p.last_name, p.position, p.position_level, p.unit, prov["name_th"],
                             group_no[p.declared_group], ["เริ่มต้น", "กำลังพัฒนา", "ชำนาญ", "เชี่ยวชาญ"][p.declared_level - 1],
                             date_cell, *levels, overall, "ลงนามแล้ว" if p.signed else "ยังไม่ลงนาม", signed_cell, None])
            write_sheet(path, HEADERS_TH + skill_headers + TAIL_TH, rows, fmt=fmt,
                        title_lines=[f"ผลการประเมินตนเอง DG-SA จังหวัด{prov['name_th']}"])
            set_mtime(path, when)
            files.append(path.relative_to(out).as_posix())
    expected = {
        "seed": seed, "people": people_n, "round": round_cfg["round"], "files": files,
        "roster": [asdict(p) for p in people], "not_on_list": [asdict(p) for p in extras],
    }
    if messy:
        from dgsa import sample_messy  # noqa: PLC0415

        expected["cases"] = sample_messy.add_cases(out, rng, people + extras)
    Path(str(out) + ".expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1))
    return expected


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--messy", action="store_true", help="add every messy variant and bad case of the spec")
    args = parser.parse_args(argv)
    exp = generate(args.out, args.people, args.seed, args.messy)
    print(f"wrote {len(exp['files'])} submission files, {len(exp['roster'])} people on the roster, "
          f"{len(exp['not_on_list'])} not on the list, to {args.out} (expected outcomes: {args.out}.expected.json)")


if __name__ == "__main__":
    main()
