"""Find the header row and map its cells to canonical fields through the alias configuration.

Matching ignores case, spaces, punctuation and Thai digits, and retries without any
bracketed note ("เลขประจำตัวประชาชน (13 หลัก)").
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from dgsa.foundation import config
from dgsa.foundation.text import norm_header

HEADER_SCAN_ROWS = 15
_BRACKETS = re.compile(r"[\(\[（].*?[\)\]）]")


@functools.cache
def _field_aliases() -> dict[str, str]:
    out = {}
    for fld, names in config.header_aliases()["fields"].items():
        for name in names:
            out.setdefault(norm_header(str(name)), fld)
    return out


@functools.cache
def _skill_aliases(framework_version: str) -> dict[str, str]:
    fw = config.frameworks()[framework_version]
    out = {}
    for s in fw["skills"]:
        n = s["skill_no"]
        for name in (s["code"], s["name_en"], s["name_th"], f"ด้านที่ {n}", f"ด้าน {n}", f"skill {n}",
                     f"ทักษะด้านที่ {n}", f"skill_{s['code']}", f"ทักษะ{s['name_th']}", *s.get("aliases", ())):
            out.setdefault(norm_header(name), s["code"])
    return out


def match_header(cell, framework_version: str) -> str | None:
    """Canonical field ('citizen_id', ..., or 'skill:DL') for a header cell, or None."""
    if cell is None or cell == "":
        return None
    return _match_text(type(cell), cell, framework_version)


@functools.lru_cache(maxsize=65536)
def _match_text(_kind: type, cell, framework_version: str) -> str | None:
    """(cached: every province's files repeat the same few hundred header spellings)"""
    for candidate in (cell, _BRACKETS.sub("", str(cell or ""))):
        k = norm_header(candidate)
        if not k:
            continue
        if k in _field_aliases():
            return _field_aliases()[k]
        if k in _skill_aliases(framework_version):
            return "skill:" + _skill_aliases(framework_version)[k]
    return None


@dataclass
class HeaderMatch:
    row_index: int                       # 0-based index into the grid
    columns: dict[str, int]              # field -> 0-based column index (first occurrence wins)
    unmapped: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return len(self.columns)


def find_header(rows: list[list], framework_version: str) -> HeaderMatch | None:
    """The row among the first HEADER_SCAN_ROWS that maps the most fields; it must map the
    citizen ID and at least two other fields."""
    best = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns, unmapped, repeated = {}, [], []
        for j, cell in enumerate(row):
            fld = match_header(cell, framework_version)
            if fld is None:
                if cell not in (None, ""):
                    unmapped.append(str(cell))
            elif fld in columns:
                repeated.append(str(cell))
            else:
                columns[fld] = j
        if "citizen_id" in columns and len(columns) >= 3 and (best is None or len(columns) > best.score):
            best = HeaderMatch(i, columns, unmapped, repeated)
    return best


def missing_required(columns: dict[str, int], kind: str) -> list[str]:
    """Required fields (include/config/header_aliases.yaml) that the header lacks."""
    missing = []
    for fld in config.header_aliases()["required"][kind]:
        if fld == "name":
            if not ({"first_name", "last_name"} <= columns.keys() or "full_name" in columns):
                missing.append("first_name+last_name|full_name")
        elif fld == "target_group" and kind == "roster":
            if "target_group" not in columns and "assigned_group" not in columns:
                missing.append(fld)
        elif fld not in columns:
            missing.append(fld)
    return missing
