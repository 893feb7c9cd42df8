"""How the sample's people change from one round to the next (used by dgsa_tools.sample.rounds).

Between two rounds a listed person may leave (LEAVE), move to a later province in the list
(TRANSFER), be assigned another group (REGROUP), and their skills follow a trend over the
skills their (new) group requires: most improve (the lowest one or two required skills rise
a level; a blank one is filled in at Developing), some fall back (one required skill drops a
level, 1 -> blank), some are mixed (one up, one down), the rest stay as they were. New staff
join every round (JOIN of a province's list). Every draw comes from the caller's random stream,
so a province's round is the same whatever else is generated.
"""
from __future__ import annotations

import numpy as np

from dgsa.foundation import config
from dgsa_tools.sample.vocab import (CENTRAL_UNITS, FEMALE_TITLES, FIRST_F, FIRST_M, GROUP_WEIGHTS, GROUPS, LAST,
                                     LEVEL_WEIGHTS, MALE_TITLES, POSITIONS, PROVINCE_UNITS, _ids, _p)

LEAVE, TRANSFER, REGROUP, JOIN = 0.04, 0.03, 0.05, 0.06
TRENDS = {"improve": 0.66, "fall_back": 0.09, "mixed": 0.07, "same": 0.18}
_TREND = list(TRENDS)
# the columns of a person that carry from round to round (the rest is drawn per round)
STATE = ("citizen_id", "title", "first_name", "last_name", "position", "position_level", "unit", "province_code",
         "assigned_group", "skills")


def units_of(prov: dict) -> list[str]:
    return CENTRAL_UNITS if prov["province_code"] == "10" else [u.format(p=prov["name_th"]) for u in PROVINCE_UNITS]


def state_of(person: dict) -> dict:
    """A person's carried state (a copy: the round's plan keeps its own record)."""
    s = {k: person[k] for k in STATE}
    s["skills"] = dict(person["skills"])
    return s


def recode(skills: dict, codes: list[str], rng: np.random.Generator) -> dict:
    """Skills in another framework's codes: a code both frameworks have keeps its level, the
    others are drawn as for a new person."""
    if list(skills) == codes:
        return skills
    levels = list(LEVEL_WEIGHTS)
    drawn = rng.choice(len(levels), size=len(codes), p=_p(LEVEL_WEIGHTS.values())).tolist()
    return {c: skills[c] if c in skills else levels[d] for c, d in zip(codes, drawn)}


def move(rng: np.random.Generator, people: list[dict], province_i: int, provinces: list[dict], framework: dict
         ) -> tuple[list[dict], list[tuple[int, dict]], dict]:
    """One round on: (who stays in the province, [(province index, person)] who moved, counts)."""
    n = len(people)
    fate, regroup, pick, trend = rng.random(n), rng.random(n), rng.random((n, 3)), rng.choice(
        len(_TREND), size=n, p=_p(TRENDS.values()))
    hop = rng.integers(1, 4, n)
    codes = [s["code"] for s in framework["skills"]]
    stay, moved, counts = [], [], {"left": 0, "transferred": 0, "regrouped": 0}
    last = len(provinces) - 1
    for j, old in enumerate(people):
        if fate[j] < LEAVE:
            counts["left"] += 1
            continue
        p = dict(old, skills=recode(dict(old["skills"]), codes, rng))
        if regroup[j] < REGROUP:
            g = GROUPS[(GROUPS.index(p["assigned_group"]) + 1 + int(pick[j, 0] * (len(GROUPS) - 1))) % len(GROUPS)]
            p["assigned_group"] = g
            p["position"], p["position_level"] = POSITIONS[g][int(pick[j, 1] * len(POSITIONS[g]))]
            counts["regrouped"] += 1
        _trend(p["skills"], framework["targets"][p["assigned_group"]], _TREND[trend[j]], pick[j, 2])
        if fate[j] < LEAVE + TRANSFER and province_i < last:
            to = min(last, province_i + int(hop[j]))
            units = units_of(provinces[to])
            p["province_code"] = provinces[to]["province_code"]
            p["unit"] = units[int(pick[j, 1] * len(units))]
            moved.append((to, p))
            counts["transferred"] += 1
        else:
            stay.append(p)
    return stay, moved, counts


def _trend(skills: dict, required: list[str], trend: str, u: float) -> None:
    """Change the required skills in place as the trend says (blank = level 0)."""
    level = {c: skills.get(c) or 0 for c in required}
    rising = sorted((c for c in required if level[c] < 4), key=lambda c: (level[c], required.index(c)))
    falling = [c for c in required if level[c] > 0]
    up, down = [], []
    if trend == "improve":
        up = rising[:1 + (u < 0.5)]
    elif trend == "fall_back" and falling:
        down = [falling[int(u * len(falling))]]
    elif trend == "mixed" and rising:
        up = rising[:1]
        down = [c for c in falling if c != up[0]][:1]
    for c in up:
        skills[c] = 2 if level[c] == 0 else level[c] + 1
    for c in down:
        skills[c] = (level[c] - 1) or None


def fresh(rng: np.random.Generator, n: int, first_index: int, offset: int, prov: dict, codes: list[str]
          ) -> list[dict]:
    """n new people of a province (joiners, or people who submit without being on the list)."""
    if n <= 0:
        return []
    cids = _ids(rng, first_index, n, offset)
    female = (rng.random(n) < 0.55).tolist()
    group = rng.choice(len(GROUPS), size=n, p=_p(GROUP_WEIGHTS.values())).tolist()
    pick = rng.random((n, 5))
    levels = list(LEVEL_WEIGHTS)
    skills = rng.choice(len(levels), size=(n, len(codes)), p=_p(LEVEL_WEIGHTS.values())).tolist()
    units = units_of(prov)
    out = []
    for j in range(n):
        g = GROUPS[group[j]]
        position, plevel = POSITIONS[g][int(pick[j, 0] * len(POSITIONS[g]))]
        titles = FEMALE_TITLES if female[j] else MALE_TITLES
        out.append({"citizen_id": cids[j], "title": titles[int(pick[j, 1] * len(titles))],
                    "first_name": (FIRST_F if female[j] else FIRST_M)[int(pick[j, 2] * 20)],
                    "last_name": LAST[int(pick[j, 3] * len(LAST))], "position": position, "position_level": plevel,
                    "unit": units[int(pick[j, 4] * len(units))], "province_code": prov["province_code"],
                    "assigned_group": g, "skills": {c: levels[s] for c, s in zip(codes, skills[j])}})
    return out


def framework_of(round_cfg: dict) -> dict:
    return config.frameworks()[round_cfg["framework_version"]]
