"""Type the data rows of one sheet: each row becomes a typed record or a list of rejections.

Row rules that need no database live here (the check digit, value sets, dates, duplicates);
every rejection carries the row number the province sees, the column, the raw value and a
reason code whose Thai and English messages come from include/config/reason_codes.yaml.
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
    detail: str = ""


@dataclass
class Typed:
    rows: list[tuple[int, dict]] = field(default_factory=list)          # (source_row, record)
    rejections: list[Rejection] = field(default_factory=list)
    raw: list[tuple[int, list, str]] = field(default_factory=list)      # (source_row, cells, row_kind)
    rows_read: int = 0
    rows_skipped: int = 0

    @property
    def rejected_rows(self) -> set[int]:
        return {r.source_row for r in self.rejections}


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


class RowTyper:
    """Types rows of one file. kind: 'submission' or 'roster'."""

    def __init__(self, kind: str, header: HeaderMatch, header_cells: list, *, folder_province: str | None,
                 received_at: dt.datetime, framework_version: str, roster_round: str | None = None):
        self.kind = kind
        self.cols = header.columns
        self.names = {f: raw_text(header_cells[j]) or f for f, j in header.columns.items()}
        self.folder_province = folder_province
        self.received_on = received_at.astimezone(config.BANGKOK).date()
        self.framework_version = framework_version
        self.roster_round = roster_round
        self.skills = [f.split(":", 1)[1] for f in header.columns if f.startswith("skill:")]
        fw = config.frameworks()[framework_version]
        self.required_skills = {g: set(s) for g, s in fw["targets"].items()}

    # ------------------------------------------------------------ helpers
    def _get(self, row: list, fld: str):
        j = self.cols.get(fld)
        return row[j] if j is not None and j < len(row) else None

    def _reject(self, out: list, source_row: int, code: str, fld: str | None, value, detail: str = ""):
        raw = raw_text(value)
        if fld == "citizen_id":
            raw = mask_citizen_id(raw)
        out.append(Rejection(source_row, code, self.names.get(fld, fld) if fld else None, raw, detail))

    # ------------------------------------------------------------ one row
    def type_row(self, row: list, source_row: int) -> tuple[dict, list[Rejection]]:
        """The typed record (partial when rejected) and the row's rejections."""
        rej: list[Rejection] = []
        rec: dict = {}

        def take(fld, fn, *args, missing_code=None):
            value = self._get(row, fld)
            try:
                result = fn(value, *args)
            except N.Bad as bad:
                self._reject(rej, source_row, bad.code, fld, value, bad.detail)
                return None
            if result is None and missing_code:
                self._reject(rej, source_row, missing_code, fld, value)
            return result

        rec["citizen_id"] = take("citizen_id", N.citizen_id)
        self._names(row, rec, rej, source_row)
        for fld in ("position", "position_level", "unit", "remarks"):
            rec[fld] = N.text(self._get(row, fld))

        if "province" in self.cols:
            prov = take("province", N.province)
            if prov and self.folder_province and prov != self.folder_province:
                self._reject(rej, source_row, "PROVINCE_MISMATCH", "province", self._get(row, "province"))
            rec["province_code"] = prov or self.folder_province
        else:
            rec["province_code"] = self.folder_province

        if self.kind == "roster":
            gfld = "assigned_group" if "assigned_group" in self.cols else "target_group"
            rec["assigned_group"] = take(gfld, N.group)
            rec["round_code"] = self.roster_round
            if rec["province_code"] is None and "province" in self.cols:
                self._reject(rej, source_row, "PROVINCE_UNKNOWN", "province", None)
            return rec, rej

        rec["declared_group"] = take("target_group", N.group)
        rec["declared_target_level"] = take("target_level", N.level, self.framework_version,
                                            missing_code="LEVEL_MISSING")
        rec["overall_level"] = take("overall_level", N.level, self.framework_version) \
            if "overall_level" in self.cols else None
        rec["signed"] = take("signed", N.yes_no)
        assessed = take("assessed_on", N.date)
        signed_on = take("signed_on", N.date) if self._get(row, "signed_on") not in (None, "") else None
        rec["assessed_on"], rec["signed_on"] = assessed, signed_on
        if assessed:
            rec["round_code"] = round_for(assessed)
            if rec["round_code"] is None:
                self._reject(rej, source_row, "DATE_OUTSIDE_ROUND", "assessed_on", self._get(row, "assessed_on"))
            elif assessed > self.received_on:
                self._reject(rej, source_row, "DATE_AFTER_RECEIPT", "assessed_on", self._get(row, "assessed_on"))
        if signed_on:
            if assessed and signed_on < assessed:
                self._reject(rej, source_row, "SIGNED_BEFORE_ASSESSED", "signed_on", self._get(row, "signed_on"))
            elif signed_on > self.received_on:
                self._reject(rej, source_row, "DATE_AFTER_RECEIPT", "signed_on", self._get(row, "signed_on"))

        skills = {}
        for code in self.skills:
            try:
                skills[code] = N.level(self._get(row, "skill:" + code), self.framework_version)
            except N.Bad:
                self._reject(rej, source_row, "SKILL_LEVEL_UNKNOWN", "skill:" + code, self._get(row, "skill:" + code))
        rec["skills"] = skills
        group = rec.get("declared_group")
        if group:
            for code in sorted(self.required_skills.get(group, set()) - set(self.skills)):
                self._reject(rej, source_row, "SKILL_COLUMN_MISSING", None, None, code)
                rej[-1].column_name = code
        rec["framework_version"] = self.framework_version
        return rec, rej

    def _names(self, row, rec, rej, source_row):
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
            name_fld = "first_name" if not first else "last_name"
        else:
            t, first, last = N.split_full_name(self._get(row, "full_name"))
            title = title or t
            name_fld = "full_name"
        rec.update(title=title, first_name=first, last_name=last)
        if not first or not last:
            self._reject(rej, source_row, "NAME_MISSING", name_fld, self._get(row, name_fld))


def round_for(day: dt.date) -> str | None:
    for r in config.rounds():
        if r["window_from"] <= day <= r["window_to"]:
            return r["round"]
    return None


def type_grid(kind: str, rows: list[list], header: HeaderMatch, typer: RowTyper) -> Typed:
    """Classify and type every row below the header; flag people listed twice in the file."""
    out = Typed()
    seen: dict[str, list[int]] = {}
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
        rec, rej = typer.type_row(row, source_row)
        out.rejections.extend(rej)
        if rec.get("citizen_id"):
            seen.setdefault(rec["citizen_id"], []).append(source_row)
        if not rej:
            out.rows.append((source_row, rec))
    # the same person twice in one file: every occurrence is rejected (only the province knows
    # which is right), including occurrences that were already bad for another reason
    for cid, source_rows in seen.items():
        if len(source_rows) > 1:
            out.rejections.extend(Rejection(s, "DUPLICATE_PERSON_IN_FILE", typer.names.get("citizen_id"),
                                            mask_citizen_id(cid)) for s in source_rows)
    bad = out.rejected_rows
    out.rows = [(s, r) for s, r in out.rows if s not in bad]
    return out
