"""Check the round and framework configuration (include/config/rounds.yaml, frameworks/*.yaml)
before anything is loaded under it.

`prepare` (migrate.seed_reference) calls validate() first: a wrong configuration fails there with
ONE ConfigError whose message names the round and the field, and nothing is written or loaded.
Wrong means: a field missing or unreadable, a round code that is not a B.E. year, a window that
ends before it starts or overlaps another round's, an unknown framework, a target level the
framework's scale lacks, a target matrix naming an unknown group or skill, a mapping (maps_from)
from or to a code that does not exist.

    python -m dgsa.foundation.rounds        # check the configuration, print the rounds
"""
from __future__ import annotations

import datetime as dt
import json
import re

from dgsa.foundation import config

FIELDS = ("round", "opens_on", "deadline_at", "window_from", "window_to", "target_level", "goal_year",
          "framework_version")
_YEAR = re.compile(r"^[0-9]{4}$")


def validate() -> None:
    """Raise config.ConfigError (one message, every problem found) when the configuration is wrong."""
    problems = problems_found()
    if problems:
        raise config.ConfigError(f"round configuration ({config.CONFIG_DIR}) is wrong: " + "; ".join(problems))


def problems_found() -> list[str]:
    """Every problem of rounds.yaml and the frameworks it names, each naming the round and field."""
    raw = (config._yaml("rounds.yaml") or {}).get("rounds") or []
    if not raw:
        return ["rounds.yaml: field rounds is empty (at least one round is needed)"]
    frameworks = config.frameworks()
    problems: list[str] = []
    windows = []
    seen: set[str] = set()
    for i, r in enumerate(raw):
        name = f"round {r.get('round')}" if isinstance(r, dict) and r.get("round") else f"round #{i + 1}"
        if not isinstance(r, dict):
            problems.append(f"{name}: is not a mapping of fields")
            continue
        missing = [f for f in FIELDS if r.get(f) in (None, "")]
        problems += [f"{name}: field {f} is missing" for f in missing]
        code = str(r.get("round", ""))
        if "round" not in missing:
            if not _YEAR.match(code):
                problems.append(f"{name}: field round must be a B.E. year such as 2566, not {code!r}")
            if code in seen:
                problems.append(f"{name}: field round repeats an earlier round")
            seen.add(code)
        if "goal_year" not in missing and not _YEAR.match(str(r["goal_year"])):
            problems.append(f"{name}: field goal_year must be a B.E. year, not {r['goal_year']!r}")
        days = {f: _date(r.get(f)) for f in ("opens_on", "window_from", "window_to")}
        problems += [f"{name}: field {f} is not a date (YYYY-MM-DD): {r.get(f)!r}"
                     for f, d in days.items() if d is None and f not in missing]
        if "deadline_at" not in missing and _datetime(r["deadline_at"]) is None:
            problems.append(f"{name}: field deadline_at is not a date and time (YYYY-MM-DD HH:MM:SS): "
                            f"{r['deadline_at']!r}")
        if days["window_from"] and days["window_to"]:
            if days["window_from"] > days["window_to"]:
                problems.append(f"{name}: field window_to ({days['window_to']}) is before window_from "
                                f"({days['window_from']})")
            else:
                windows.append((days["window_from"], days["window_to"], name))
        version = r.get("framework_version")
        if version and version not in frameworks:
            problems.append(f"{name}: field framework_version names {version!r}, which is not a framework in "
                            f"{config.CONFIG_DIR / 'frameworks'} (known: {', '.join(sorted(frameworks)) or 'none'})")
        elif version:
            ordinals = {lv.get("ordinal") for lv in frameworks[version].get("levels") or []}
            if "target_level" not in missing and r["target_level"] not in ordinals:
                problems.append(f"{name}: field target_level {r['target_level']!r} is not a level of framework "
                                f"{version} (levels: {sorted(o for o in ordinals if o is not None)})")
    windows.sort()
    for (a_from, a_to, a_name), (b_from, b_to, b_name) in zip(windows, windows[1:]):
        if b_from <= a_to:
            problems.append(f"{b_name}: field window_from ({b_from}) overlaps the window of {a_name} "
                            f"({a_from} to {a_to}): a date must belong to one round")
    users: dict[str, list[str]] = {}
    for r in raw:
        if isinstance(r, dict) and r.get("framework_version"):
            users.setdefault(r["framework_version"], []).append(f"round {r.get('round')}")
    for version, fw in frameworks.items():
        where = ", ".join(users.get(version, [])) or f"framework file of {version}"
        problems += [f"{where}: framework {version} {p}" for p in framework_problems(fw, frameworks)]
    return problems


def framework_problems(fw: dict, frameworks: dict[str, dict]) -> list[str]:
    """What is wrong inside one framework file (skills, levels, target matrix, maps_from)."""
    out = []
    skills = [s.get("code") for s in fw.get("skills") or []]
    if not skills:
        out.append("field skills is empty")
    for s in fw.get("skills") or []:
        for key in ("code", "skill_no", "name_en", "name_th"):
            if s.get(key) in (None, ""):
                out.append(f"field skills: a skill lacks {key} ({s.get('code') or s})")
    if len(set(skills)) != len(skills):
        out.append("field skills repeats a code")
    if not fw.get("levels"):
        out.append("field levels is empty")
    groups = {g["code"] for g in config.target_groups()}
    for group, codes in (fw.get("targets") or {}).items():
        if group not in groups:
            out.append(f"field targets.{group}: {group!r} is not a target group ({', '.join(sorted(groups))})")
        for code in codes or []:
            if code not in skills:
                out.append(f"field targets.{group} names skill {code!r}, which the framework does not define")
    if not fw.get("targets"):
        out.append("field targets is empty")
    mapping = fw.get("maps_from")
    if mapping:
        earlier = frameworks.get(mapping.get("framework_version"))
        if earlier is None:
            out.append(f"field maps_from.framework_version names {mapping.get('framework_version')!r}, "
                       "which is not a framework")
        for code, old in (mapping.get("skills") or {}).items():
            if code not in skills:
                out.append(f"field maps_from.skills.{code}: {code!r} is not a skill of this framework")
            if earlier is not None and old not in {s.get("code") for s in earlier.get("skills") or []}:
                out.append(f"field maps_from.skills.{code} maps from {old!r}, which framework "
                           f"{mapping['framework_version']} does not define")
    return out


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _datetime(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def main() -> None:
    validate()
    print(json.dumps([{"round": r["round"], "framework_version": r["framework_version"],
                       "window": f"{r['window_from']} .. {r['window_to']}"} for r in config.rounds()]))


if __name__ == "__main__":
    main()
