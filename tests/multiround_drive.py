"""A small hand-built drive over three rounds (2563, 2564, 2565) for the DG-SA page and the
feedback workbooks, with the plan of every person's change worked out here, independently of
the marts (the domain spec's rules applied by hand to the levels written below).

Province 50 (เชียงใหม่) holds every case: improved, fell back, mixed, unchanged, a person who
missed a round (FIRST_ASSESSMENT, then NOT_ASSESSED), one who joined in 2564, one who left
after 2563, one whose group changed (OTH -> SRV: compared over SRV's skills). Provinces 10 and
57 improve steadily; 10 has someone new in 2565 who never submits (NOT_ASSESSED). Target level 2 (Developing) in every round; OTH needs DL and GOV, SRV needs
DL, GOV and SVC (include/config/frameworks).

The fixture `multiround` (tests/conftest.py) loads this drive once per test session into a scratch
warehouse of its own (then REMOVED leaves the drive: the province tidied its folder, the file stays
in force) and builds the marts; test_dashboard_rounds and test_feedback_rounds only read it.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgsa.foundation import config
from helpers import ids, sub_row, write_roster, write_submission

ROUNDS = ("2563", "2564", "2565")
GREG = {"2563": 2020, "2564": 2021, "2565": 2022}
FOLDERS = {"50": "50-เชียงใหม่", "10": "10-กรุงเทพมหานคร", "57": "57-เชียงราย"}
SKILLS = ("DL", "GOV", "TECH", "PROC", "SVC", "STRAT", "PM", "LEAD", "DT")
REQUIRED = {"6": ("DL", "GOV"), "5": ("DL", "GOV", "SVC")}
GROUP_CODE = {"6": "OTH", "5": "SRV"}
TARGET = 2
REMOVED = f"provinces/{FOLDERS['50']}/dgsa-2563.xlsx"     # removed from the drive after the first load

# name -> province, {round: (group_no on that round's list or None, levels {skill: level} or None = no submission)}
PEOPLE: dict[str, tuple[str, dict]] = {
    "อนุชา": ("50", {"2563": ("6", {"DL": 1, "GOV": 1}), "2564": ("6", {"DL": 2, "GOV": 1}),
                    "2565": ("6", {"DL": 2, "GOV": 2})}),
    "บุญมี": ("50", {"2563": ("6", {"DL": 2, "GOV": 2}), "2564": ("6", {"DL": 1, "GOV": 2}),
                    "2565": ("6", {"DL": 2, "GOV": 2})}),
    "จันทร์": ("50", {"2563": ("6", {"DL": 1, "GOV": 2}), "2564": ("6", {"DL": 2, "GOV": 1}),
                     "2565": ("6", {"DL": 2, "GOV": 1})}),
    "ดวงใจ": ("50", {"2563": ("6", None), "2564": ("6", {"DL": 2, "GOV": 2}), "2565": ("6", None)}),
    "เอกชัย": ("50", {"2564": ("6", {"DL": 1, "GOV": 1}), "2565": ("6", {"DL": 2, "GOV": 2})}),
    "ฟ้าใส": ("50", {"2563": ("6", {"DL": 2, "GOV": 2})}),
    "กมล": ("50", {"2563": ("6", {"DL": 2, "GOV": 2}), "2564": ("5", {"DL": 2, "GOV": 2, "SVC": 1}),
                  "2565": ("5", {"DL": 3, "GOV": 2, "SVC": 2})}),
    "สมศรี": ("10", {"2563": ("6", {"DL": 1, "GOV": 1}), "2564": ("6", {"DL": 2, "GOV": 1}),
                    "2565": ("6", {"DL": 2, "GOV": 2})}),
    "วิชัย": ("10", {"2563": ("6", {"DL": 1, "GOV": 2}), "2564": ("6", {"DL": 2, "GOV": 2}),
                    "2565": ("6", {"DL": 2, "GOV": 2})}),
    "มานะ": ("10", {"2565": ("6", None)}),
    "ประภา": ("57", {"2563": ("6", {"DL": 1, "GOV": 1}), "2564": ("6", {"DL": 1, "GOV": 2}),
                    "2565": ("6", {"DL": 2, "GOV": 3})}),
}
LAST = "ทดสอบรอบ"


def moment(round_code: str, month: int = 10, day: int = 20) -> dt.datetime:
    return dt.datetime(GREG[round_code], month, day, 10, tzinfo=config.BANGKOK)


def build(drive: Path) -> dict:
    """Write the drive; returns {"ids": name -> citizen ID, "plan": [...]} (plan as plan())."""
    cids = dict(zip(PEOPLE, ids(len(PEOPLE), seed=29)))
    for rnd in ROUNDS:
        roster = [(cids[n], n, LAST, prov, rounds[rnd][0]) for n, (prov, rounds) in PEOPLE.items() if rnd in rounds]
        write_roster(drive, roster, round_code=rnd, moment=moment(rnd, 9, 30))
        for prov, folder in FOLDERS.items():
            rows = []
            for n, (p, rounds) in PEOPLE.items():
                group, levels = rounds.get(rnd, (None, None))
                if p != prov or levels is None:
                    continue
                rows.append(sub_row(len(rows) + 1, cids[n], group=group, level=str(TARGET),
                                    date=f"15/10/{rnd}", skills=tuple(levels.get(s) for s in SKILLS),
                                    province=prov, first=n, last=LAST))
            if rows:
                write_submission(drive, f"provinces/{folder}/dgsa-{rnd}.xlsx", rows, moment(rnd))
    return {"ids": cids, "plan": plan()}


def _met(levels: dict | None, required: tuple) -> int | None:
    return None if levels is None else sum((levels.get(s) or 0) >= TARGET for s in required)


def plan() -> list[dict]:
    """Per later round and person on its list: the change and skills met, by the spec's rules."""
    out = []
    for prev, rnd in zip(ROUNDS, ROUNDS[1:]):
        for n, (prov, rounds) in PEOPLE.items():
            if rnd not in rounds:
                continue
            group, now = rounds[rnd]
            before = rounds.get(prev, (None, None))[1]
            required = REQUIRED[group]
            if now is None:
                change = "NOT_ASSESSED"
            elif before is None:
                change = "FIRST_ASSESSMENT"
            else:
                deltas = [(now.get(s) or 0) - (before.get(s) or 0) for s in required]
                up, down = any(d > 0 for d in deltas), any(d < 0 for d in deltas)
                change = {(True, False): "IMPROVED", (False, True): "FELL_BACK", (True, True): "MIXED",
                          (False, False): "UNCHANGED"}[(up, down)]
            out.append({"round": rnd, "previous_round": prev, "province_code": prov, "name": n,
                        "assigned_group": GROUP_CODE[group], "skills_required": len(required),
                        "skills_met_now": _met(now, required), "skills_met_before": _met(before, required),
                        "change": change})
    return out


def shares() -> dict[tuple[str, str], float]:
    """(round, province) -> share of assessed listed people meeting every required skill."""
    out = {}
    for rnd in ROUNDS:
        for prov in FOLDERS:
            assessed = [(g, lv) for p, rounds in PEOPLE.values() if p == prov and rnd in rounds
                        for g, lv in [rounds[rnd]] if lv is not None]
            if assessed:
                meeting = sum(_met(lv, REQUIRED[g]) == len(REQUIRED[g]) for g, lv in assessed)
                out[(rnd, prov)] = meeting / len(assessed)
    return out


def expected_share(s0: float, r0: str, rnd: str, goal: str = "2565") -> float:
    """The straight-line rule: s0 + (1 - s0) * (round - r0) / (goal - r0), capped at 1.0."""
    if int(rnd) >= int(goal):
        return 1.0
    return min(1.0, s0 + (1 - s0) * (int(rnd) - int(r0)) / (int(goal) - int(r0)))

