"""Type the data rows of one sheet into flat records the data contract can judge.

Typing never rejects: each field becomes its typed value when the normaliser can read it, and
otherwise keeps what the cell said (an unknown group stays "9"), next to the facts the rules
need (the cell's text, whether Excel rounded an ID, whether a skill column exists at all).
Which rows are rejected, and why, is decided by the Great Expectations suites in
expectations/ (see dgsa.contract); every record carries its file_id and source_row, the row
number the province sees, so each verdict maps back to the sheet.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dgsa import config, normalise as N
from dgsa.headers import HeaderMatch
from dgsa.pii import mask_citizen_id

_TOTAL = re.compile(r"^(รวม|รวมทั้งสิ้น|ทั้งสิ้น|ทั้งหมด|total|grand total|sum)\b", re.I)
SKIPPABLE_FIELDS = {"seq"}


@dataclass
class Rejection:
    source_row: int
    reason_code: str
    column_name: str | None
    raw_value: str | None
    message_th: str
    message_en: str


@dataclass
class Typed:
    records: list[dict] = field(default_factory=list)                   # one per data row
    raw: list[tuple[int, list, str]] = field(default_factory=list)      # (source_row, cells, row_kind)
    rows_read: int = 0
    rows_skipped: int = 0
    rejections: list[Rejection] = field(default_factory=list)           # filled in by the contract

    @property
    def rejected_rows(self) -> set[int]:
        return {r.source_row for r in self.rejections}

    @property
    def accepted(self) -> list[dict]:
        bad = self.rejected_rows
        return [r for r in self.records if r["source_row"] not in bad]


def raw_text(value) -> str | None:
    """A cell as text, as close to what the province typed as the reader allows."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def classify(row: list, header: HeaderMatch) -> str:
    """'blank' (nothing but maybe a sequence number), 'total' (a รวม/total line) or 'data'."""
    cid_col = header.columns.get("citizen_id")
    cid_empty = cid_col is None or cid_col >= len(row) or row[cid_col] in (None, "")
    if cid_empty and any(_TOTAL.match(str(v).strip()) for v in row if v is not None):
        return "total"
    skip_cols = {header.columns[f] for f in SKIPPABLE_FIELDS if f in header.columns}
    if not any(v is not None and str(v).strip() for j, v in enumerate(row) if j not in skip_cols):
        return "blank"
    return "data"


def _lenient(fn, value, *args):
    """The normalised value; the cell's own text when it cannot be read (a value set will
    refuse it); None for an empty cell."""
    try:
        return fn(value, *args)
    except N.Bad:
        return N.text(value)


def _date(value) -> dt.date | None:
    try:
        return N.date(value)
    except N.Bad:
        return None


class RowTyper:
    """Types rows of one file. kind: 'submission' or 'roster'."""

    def __init__(self, kind: str, header: HeaderMatch, header_cells: list, *, file_id: int,
                 folder_province: str | None, received_at: dt.datetime, framework_version: str,
                 roster_round: str | None = None):
        self.kind = kind
        self.file_id = file_id
        self.cols = header.columns
        self.names = {f: raw_text(header_cells[j]) or f for f, j in header.columns.items()}
        self.folder_province = folder_province
        self.received_on = received_at.astimezone(config.BANGKOK).date()
        self.framework_version = framework_version
        self.roster_round = roster_round
        self.skills = [f.split(":", 1)[1] for f in header.columns if f.startswith("skill:")]
        fw = config.frameworks()[framework_version]
        self.all_skills = [s["code"] for s in fw["skills"]]

    def _get(self, row: list, fld: str):
        j = self.cols.get(fld)
        return row[j] if j is not None and j < len(row) else None

    def cell(self, row: list, fld: str) -> str | None:
        """A source cell as text for a rejection (citizen IDs masked)."""
        raw = raw_text(self._get(row, fld))
        return mask_citizen_id(raw) if fld == "citizen_id" else raw

    def type_row(self, row: list, source_row: int) -> dict:
        g = self._get
        facts = N.citizen_id_facts(g(row, "citizen_id"))
        rec = {"file_id": self.file_id, "source_row": source_row, "framework_version": self.framework_version,
               "citizen_id_text": facts.text, "citizen_id_rounded": facts.rounded, "citizen_id": facts.compact,
               "citizen_id_check_digit_ok": facts.check_digit_ok, "folder_province": self.folder_province,
               "received_on": self.received_on}
        self._names(row, rec)
        for fld in ("position", "position_level", "unit", "remarks"):
            rec[fld] = N.text(g(row, fld))
        rec["row_province"] = _lenient(N.province, g(row, "province")) if "province" in self.cols else None

        if self.kind == "roster":
            gfld = "assigned_group" if "assigned_group" in self.cols else "target_group"
            rec["assigned_group_text"] = N.text(g(row, gfld))
            rec["assigned_group"] = _lenient(N.group, g(row, gfld))
            rec["round_code"] = self.roster_round
            return rec

        fw = self.framework_version
        rec["target_group_text"] = N.text(g(row, "target_group"))
        rec["declared_group"] = _lenient(N.group, g(row, "target_group"))
        rec["declared_target_level"] = _lenient(N.level, g(row, "target_level"), fw)
        rec["overall_level"] = _lenient(N.level, g(row, "overall_level"), fw)
        rec["signed"] = _lenient(N.yes_no, g(row, "signed"))
        rec["assessed_on_text"] = N.text(g(row, "assessed_on"))
        rec["assessed_on"] = _date(g(row, "assessed_on"))
        rec["signed_on_text"] = N.text(g(row, "signed_on"))
        rec["signed_on"] = _date(g(row, "signed_on")) if rec["signed_on_text"] else None
        rec["round_code"] = round_for(rec["assessed_on"]) if rec["assessed_on"] else None
        for code in self.all_skills:
            present = code in self.skills
            rec["has_column_" + code] = present
            rec["skill_" + code] = _lenient(N.level, g(row, "skill:" + code), fw) if present else None
        return rec

    def _names(self, row, rec):
        title = N.text(self._get(row, "title"))
        if "first_name" in self.cols:
            glued_title, first = N.split_title(self._get(row, "first_name"))
            if title is None:
                title = glued_title
            elif glued_title is not None and glued_title == title:
                pass  # "นาย" in both the title column and glued to the name
            else:
                first = N.text(self._get(row, "first_name"))
            last = N.text(self._get(row, "last_name"))
        else:
            t, first, last = N.split_full_name(self._get(row, "full_name"))
            title = title or t
        rec.update(title=title, first_name=first, last_name=last)


def round_for(day: dt.date) -> str | None:
    for r in config.rounds():
        if r["window_from"] <= day <= r["window_to"]:
            return r["round"]
    return None


def type_grid(rows: list[list], header: HeaderMatch, typer: RowTyper) -> Typed:
    """Classify every row below the header (data, blank, total) and type the data rows."""
    out = Typed()
    for i, row in enumerate(rows[: header.row_index + 1]):
        out.raw.append((i + 1, [raw_text(v) for v in row], "header" if i == header.row_index else "title"))
    last = len(rows)
    while last > header.row_index + 1 and classify(rows[last - 1], header) == "blank":
        last -= 1
    for i in range(header.row_index + 1, last):
        row, source_row = rows[i], i + 1
        kind_of_row = classify(row, header)
        out.raw.append((source_row, [raw_text(v) for v in row], kind_of_row))
        out.rows_read += 1
        if kind_of_row != "data":
            out.rows_skipped += 1
            continue
        out.records.append(typer.type_row(row, source_row))
    return out
