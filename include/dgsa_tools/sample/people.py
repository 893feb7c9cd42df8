"""The sample drive's people and files, one province at a time (used by dgsa_tools.sample.generator.generate).

Each province's people are drawn with numpy (vectorised, deterministic for the generator's
seed), appended to the roster workbook, and written into the province's files at once, so
memory is bounded by the largest province, not by the drive. Bad rows (--bad-share) are the
messy drive's row cases, each on an extra person who is on no list and loads nowhere.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
from pathlib import Path

import numpy as np

from dgsa.foundation import config
from dgsa_tools.sample.vocab import (CENTRAL_UNITS, FEMALE_TITLES, FIRST_F, FIRST_M, GROUP_WEIGHTS, GROUPS, HEADERS_TH, LAST,
                         LEVEL_WEIGHTS, LEVEL_WORDS, MALE_TITLES, OUTCOME_WEIGHTS, OUTCOMES, POSITIONS,
                         PROVINCE_UNITS, TAIL_TH, Drive, _ids, _p, _thai_date, dashed, set_mtime)
from dgsa_tools.sample.xlsx import StreamingXlsx

ROSTER_HEADER = ["ลำดับ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "ตำแหน่ง", "ระดับ", "สังกัด", "จังหวัด",
                 "กลุ่มเป้าหมาย"]
SHEET = "ผลการประเมิน"
CSV_SHARE = 0.3
EXCEL_ROWS = 1_048_576
FILE_ROWS = 1000        # on-time rows per file before a province splits its submission by unit
# bad row kinds: reason code the contract gives them (DUPLICATE writes the person twice)
BAD_KINDS = ["CID_CHECK_DIGIT", "CID_PRECISION_LOST", "CID_MISSING", "DATE_INVALID", "GROUP_UNKNOWN",
             "LEVEL_UNKNOWN", "PROVINCE_MISMATCH", "NAME_MISSING", "SIGNED_UNKNOWN", "DUPLICATE_PERSON_IN_FILE"]
O = {name: i for i, name in enumerate(OUTCOMES)}
_START = dt.date(2020, 10, 1)


@functools.lru_cache(maxsize=4096)
def _thai(d: dt.date, style: int) -> str:
    return _thai_date(d, style)


class _Sheet:
    """One submission file being written (xlsx or csv), with its title and header."""

    def __init__(self, path: Path, fmt: str, header: list, title: str):
        self.path, self.fmt, self.rows = path, fmt, 0
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            self._fh = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in close()
            self._w = csv.writer(self._fh)
        else:
            self._x = StreamingXlsx(path, SHEET)
        self.rows = -2                 # data rows written, once the title and header are in
        self.write([title])
        self.write(header)

    def write(self, row: list) -> None:
        self.rows += 1
        if self.fmt == "csv":
            self._w.writerow(["" if v is None else v for v in row])
        else:
            self._x.append(row)

    def close(self, when: dt.datetime) -> None:
        (self._fh if self.fmt == "csv" else self._x).close()
        set_mtime(self.path, when)


def write_drive(drive: Drive, round_cfg: dict, rng: np.random.Generator, bad_share: float,
                keep_ids: bool = False, later=None) -> set[str]:
    """Write roster and province files into drive.out, filling drive's plan. Returns every
    citizen ID used when keep_ids (the messy cases avoid them), else an empty set. later (the
    multi-round drive, dgsa_tools.sample.rounds.Later) gets each province's people right after
    its first round is written, and is closed at the end."""
    out, people_n = drive.out, drive.people
    provinces = config.provinces()
    skills_cfg = config.frameworks()[round_cfg["framework_version"]]["skills"]
    skill_codes = [s["code"] for s in skills_cfg]
    header = HEADERS_TH + [s["name_th"] for s in skills_cfg] + TAIL_TH
    group_no = {g["code"]: g["group_no"] for g in config.target_groups()}
    weights = np.array([3.0 if p["province_code"] == "10" else rng.uniform(0.5, 1.5) for p in provinces])
    share = weights / weights.sum()
    k = len(provinces)
    listed = (1 + rng.multinomial(people_n - k, share)) if people_n >= k else rng.multinomial(people_n, share)
    extras = rng.multinomial(max(1, people_n // 50), share)
    id_offset = int(rng.integers(0, 10**11))
    ctx = {"rng": rng, "drive": drive, "header": header, "group_no": group_no, "skill_codes": skill_codes,
           "deadline": round_cfg["deadline_at"], "bad_share": bad_share, "next": 0, "offset": id_offset,
           "used": set() if keep_ids else None, "names": [p["name_th"] for p in provinces]}
    # one workbook, as the ministry sends it; past Excel's 1,048,576 rows a sheet cannot hold
    # the list, so it comes as CSV
    fmt = "xlsx" if people_n <= EXCEL_ROWS - 2 else "csv"
    roster_path = out / "roster" / round_cfg["round"] / f"บัญชีกลุ่มเป้าหมาย.{fmt}"
    roster = _Sheet(roster_path, fmt, ROSTER_HEADER, f"บัญชีกลุ่มเป้าหมาย รอบปี {round_cfg['round']}")
    ctx["roster"] = roster
    for i, prov in enumerate(provinces):
        people = _province(ctx, i, prov, int(listed[i]), int(extras[i]))
        if later is not None:
            later.province(ctx, i, prov, people[:int(listed[i])])
    roster.close(dt.datetime.combine(round_cfg["opens_on"], dt.time(9), config.BANGKOK))
    if later is not None:
        later.close()
    return ctx["used"] or set()


def _province(ctx: dict, i: int, prov: dict, n_listed: int, n_extra: int) -> list[dict]:
    rng, drive = ctx["rng"], ctx["drive"]
    code, name = prov["province_code"], prov["name_th"]
    m = n_listed + n_extra
    cids = _ids(rng, ctx["next"], m, ctx["offset"])
    ctx["next"] += m
    female = (rng.random(m) < 0.55).tolist()
    group = rng.choice(len(GROUPS), size=m, p=_p(GROUP_WEIGHTS.values()))
    npos = np.array([len(POSITIONS[g]) for g in GROUPS])
    pos = (rng.random(m) * npos[group]).astype(np.int64).tolist()
    units = CENTRAL_UNITS if code == "10" else [u.format(p=name) for u in PROVINCE_UNITS]
    unit = rng.integers(0, len(units), m).tolist()
    title = rng.integers(0, 4, m).tolist()
    first = rng.integers(0, 20, m).tolist()
    last = rng.integers(0, len(LAST), m).tolist()
    outcome = rng.choice(len(OUTCOME_WEIGHTS), size=m, p=_p(OUTCOME_WEIGHTS.values()))
    outcome[n_listed:] = O["NOT_ON_LIST"]
    declared = group.copy()
    mism = outcome == O["GROUP_MISMATCH"]
    declared[mism] = (group[mism] + rng.integers(1, len(GROUPS), int(mism.sum()))) % len(GROUPS)
    dlevel = np.full(m, 2)
    tm = outcome == O["TARGET_MISMATCH"]
    dlevel[tm] = rng.choice([1, 3], int(tm.sum()))
    levels = list(LEVEL_WEIGHTS)
    skills = np.array([v or 0 for v in levels])[rng.choice(len(levels), size=(m, len(ctx["skill_codes"])),
                                                             p=_p(LEVEL_WEIGHTS.values()))]
    people = []
    for j in range(m):
        g = GROUPS[group[j]]
        position, plevel = POSITIONS[g][pos[j]]
        people.append({
            "citizen_id": cids[j],
            "title": FEMALE_TITLES[title[j] % 2] if female[j] else MALE_TITLES[title[j]],
            "first_name": (FIRST_F if female[j] else FIRST_M)[first[j]], "last_name": LAST[last[j]],
            "position": position, "position_level": plevel, "unit": units[unit[j]], "province_code": code,
            "assigned_group": g, "outcome": OUTCOMES[outcome[j]], "declared_group": GROUPS[declared[j]],
            "declared_level": int(dlevel[j]), "signed": OUTCOMES[outcome[j]] != "UNSIGNED",
            "skills": dict(zip(ctx["skill_codes"], [v or None for v in skills[j].tolist()])),
            "assessed_on": "", "signed_on": "", "file": "", "source_row": 0})
    if ctx["used"] is not None:
        ctx["used"].update(cids)
    roster = ctx["roster"]
    for p in people[:n_listed]:
        roster.write([roster.rows + 1, p["citizen_id"], p["title"], p["first_name"], p["last_name"], p["position"],
                      p["position_level"], p["unit"], code, ctx["group_no"][p["assigned_group"]]])
    counts = {}
    for p in people:
        counts[p["outcome"]] = counts.get(p["outcome"], 0) + 1
    drive.outcomes[code] = dict(sorted(counts.items()))
    folder = drive.out / "provinces" / f"{code}-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    on_time = [j for j, p in enumerate(people) if p["outcome"] not in ("MISSING", "LATE")]
    parts = max(1, min(len(units), -(-len(on_time) // FILE_ROWS)))   # big provinces: one file per unit group
    for part in range(parts):
        batch = [people[j] for j in on_time if unit[j] % parts == part]
        if batch:
            when = dt.datetime.combine(dt.date(2020, 10, int(rng.integers(15, 30))), dt.time(int(rng.integers(8, 18))),
                                       config.BANGKOK)
            stem = "ผลDG-SA รอบ1" if parts == 1 else f"ผลDG-SA รอบ1 ชุดที่ {part + 1}"
            _file(ctx, folder, stem, when, batch, prov, bad=True)
    late = [p for p in people if p["outcome"] == "LATE"]
    if late:
        when = ctx["deadline"] + dt.timedelta(days=int(rng.integers(2, 21)), hours=int(rng.integers(1, 10)))
        _file(ctx, folder, "ผลDG-SA เพิ่มเติม", when, late, prov, bad=False)
    if drive.mode == "full":
        drive.roster += people[:n_listed]
        drive.not_on_list += people[n_listed:]
    return people


def _file(ctx: dict, folder: Path, stem: str, when: dt.datetime, batch: list, prov: dict, bad: bool,
          fmt: str | None = None) -> str:
    rng, drive, gno = ctx["rng"], ctx["drive"], ctx["group_no"]
    fmt = fmt or ("csv" if rng.random() < CSV_SHARE else "xlsx")
    path = folder / f"{stem}.{fmt}"
    rel = path.relative_to(drive.out).as_posix()
    sheet = _Sheet(path, fmt, ctx["header"], f"ผลการประเมินตนเอง DG-SA จังหวัด{prov['name_th']}")
    n = len(batch)
    day = when.date()
    assessed_back = rng.integers(1, 13, n).tolist()
    sign_after = rng.integers(0, 4, n).tolist()
    bad_at = (rng.random(n) < ctx["bad_share"]).tolist() if bad and ctx["bad_share"] > 0 else [False] * n
    full = drive.mode == "full"
    for j, p in enumerate(batch):
        if bad_at[j]:
            _bad_rows(ctx, sheet, rel, prov, day)
        assessed = max(day - dt.timedelta(days=assessed_back[j]), _START)
        signed_on = min(assessed + dt.timedelta(days=sign_after[j]), day)
        row_no = sheet.rows + 1
        if full:
            p["assessed_on"], p["signed_on"] = assessed.isoformat(), signed_on.isoformat() if p["signed"] else ""
            p["file"], p["source_row"] = rel, row_no + 2
        levels = list(p["skills"].values())
        marked = [v for v in levels if v]
        overall = round(sum(marked) / max(1, len(marked)))
        csv_ = fmt == "csv"
        sheet.write([row_no, p["citizen_id"] if row_no % 2 else dashed(p["citizen_id"]), p["title"], p["first_name"],
                     p["last_name"], p["position"], p["position_level"], p["unit"], prov["name_th"],
                     gno[p["declared_group"]], LEVEL_WORDS[p["declared_level"] - 1],
                     _thai(assessed, row_no) if csv_ else assessed, *levels, overall,
                     "ลงนามแล้ว" if p["signed"] else "ยังไม่ลงนาม",
                     (_thai(signed_on, row_no) if csv_ else signed_on) if p["signed"] else None, None])
    sheet.close(when)
    drive.files.append(rel)
    drive.rows[rel] = sheet.rows
    return rel


def _bad_rows(ctx: dict, sheet: _Sheet, rel: str, prov: dict, day: dt.date) -> None:
    """One bad row (two for a duplicate person), on a fresh person who is on no list."""
    rng, drive = ctx["rng"], ctx["drive"]
    kind = BAD_KINDS[int(rng.integers(0, len(BAD_KINDS)))]
    cid = _ids(rng, ctx["next"], 1, ctx["offset"])[0]
    ctx["next"] += 1
    if ctx["used"] is not None:
        ctx["used"].add(cid)
    cells = {"cid": cid, "first": "สมชาย", "date": _thai(day - dt.timedelta(days=3), 0), "group": "5",
             "level": LEVEL_WORDS[1], "province": prov["name_th"], "signed": "ลงนามแล้ว"}
    if kind == "CID_CHECK_DIGIT":
        cells["cid"] = cid[:12] + str((int(cid[12]) + 1) % 10)
    elif kind == "CID_PRECISION_LOST":
        cells["cid"] = f"{cid[0]}.{cid[1:6]}E+12"
    elif kind == "CID_MISSING":
        cells["cid"] = None
    elif kind == "DATE_INVALID":
        cells["date"] = "31/02/2563"
    elif kind == "GROUP_UNKNOWN":
        cells["group"] = "9"
    elif kind == "LEVEL_UNKNOWN":
        cells["level"] = "สูงมาก"
    elif kind == "PROVINCE_MISMATCH":
        others = [n for n in ctx["names"] if n != prov["name_th"]]
        cells["province"] = others[int(rng.integers(0, len(others)))]
    elif kind == "NAME_MISSING":
        cells["first"] = None
    elif kind == "SIGNED_UNKNOWN":
        cells["signed"] = "อาจจะ"
    for _ in range(2 if kind == "DUPLICATE_PERSON_IN_FILE" else 1):
        row_no = sheet.rows + 1
        sheet.write([row_no, cells["cid"], "นาย", cells["first"], "ใจดี", "ปลัดอำเภอ", "ปฏิบัติการ", "หน่วยทดสอบ",
                     cells["province"], cells["group"], cells["level"], cells["date"], *([2] * 9), 2,
                     cells["signed"], cells["date"], None])
        drive.bad_rows[kind] = drive.bad_rows.get(kind, 0) + 1
        if drive.mode == "full":
            drive.rejections.setdefault(rel, []).append([row_no + 2, kind])
