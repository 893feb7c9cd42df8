"""Type the data rows of one sheet into a frame the data contract can judge.

Typing never rejects: each field becomes its typed value when the normaliser can read it, and
otherwise keeps what the cell said (an unknown group stays "9"), next to the facts the rules
need (the cell's text, whether Excel rounded an ID, whether a skill column exists at all).
Which rows are rejected, and why, is decided by the Great Expectations suites in
expectations/ (see dgsa.contract.suites); every record carries its file_id and source_row, the row
number the province sees, so each verdict maps back to the sheet.

Typing is by column, not by cell: a column's distinct values are normalised once each and
mapped back (pandas.factorize), because levels, groups, dates and yes/no words repeat
massively; citizen-ID check digits are computed with numpy over the whole column.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dgsa.foundation import config
from dgsa.ingest import normalise as N
from dgsa.ingest.headers import HeaderMatch
from dgsa.foundation.pii import mask_citizen_id

_TOTAL = re.compile(r"^(รวม|รวมทั้งสิ้น|ทั้งสิ้น|ทั้งหมด|total|grand total|sum)\b", re.I)
SKIPPABLE_FIELDS = {"seq"}
_PAD = object()          # a cell beyond a short row's end (zip_longest's filler)
_CID_WEIGHTS = np.arange(13, 1, -1)


@dataclass(slots=True)
class Rejection:
    source_row: int
    reason_code: str
    column_name: str | None
    raw_value: str | None
    message_th: str
    message_en: str


@dataclass
class Typed:
    columns: dict[str, list] | None = None  # per field, one value per data row (file_id, source_row, ...)
    raw_json: list[str] = field(default_factory=list)   # every row read, as a JSON array of its cells' text
    raw_rows: list[int] = field(default_factory=list)   # ... its source_row
    raw_kinds: list[str] = field(default_factory=list)  # ... and its kind (title, header, data, blank, total)
    rows_read: int = 0
    rows_skipped: int = 0
    rejections: list[Rejection] = field(default_factory=list)           # filled in by the contract

    @property
    def data_rows(self) -> int:
        return 0 if self.columns is None else len(self.columns["source_row"])

    @property
    def rejected_rows(self) -> set[int]:
        return {r.source_row for r in self.rejections}


def raw_text(value) -> str | None:
    """A cell as text, as close to what the province typed as the reader allows."""
    if value is None or value == "":
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


# ---------------------------------------------------------------- by column
def mapped(values, fn) -> np.ndarray:
    """fn applied once per distinct value of a column, mapped back (object array).

    factorize compares with ==, so True, 1 and 1.0 would share one slot: a column holding
    booleans beside numbers is mapped value by value instead (rare: a hand-typed TRUE)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    kinds = set(map(type, values))
    if bool in kinds and kinds & {int, float}:
        cache: dict = {}
        for i, v in enumerate(values):
            k = (v.__class__, v)
            if k not in cache:
                cache[k] = fn(v)
            arr[i] = cache[k]
        return arr
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [fn(v) for v in uniques]
    results[-1] = fn(None)
    return results[codes]


def lenient(fn, *args):
    """The normalised value; the cell's own text when it cannot be read (a value set will
    refuse it); None for an empty cell."""
    def one(value):
        try:
            return fn(value, *args)
        except N.Bad:
            return N.text(value)
    return one


def _date_or_none(value) -> dt.date | None:
    try:
        return N.date(value)
    except N.Bad:
        return None


def _fragment(value) -> str:
    """A cell as a JSON array element ('' past a row's end)."""
    if value is _PAD:
        return ""
    text = raw_text(value)
    if text is None:
        return "null"
    if '"' not in text and "\\" not in text and text.isprintable():
        return '"' + text + '"'            # what json.dumps gives, without its cost
    if "\x00" in text:                     # jsonb cannot hold NUL
        text = text.replace("\x00", "\ufffd")
    return json.dumps(text, ensure_ascii=False)


def raw_json(rows: list[list]) -> list[str]:
    """Each row's cells as a JSON array of text (nulls kept, length = the row's own), built
    column by column: each distinct cell value is encoded once."""
    if not rows:
        return []
    columns = [mapped(column, _fragment).tolist() for column in itertools.zip_longest(*rows, fillvalue=_PAD)]
    if not columns:           # rows with no cells at all
        return ["[]"] * len(rows)
    if len(set(map(len, rows))) == 1:      # a rectangular sheet (every Excel sheet): no padding to drop
        return ["[" + ",".join(row) + "]" for row in zip(*columns)]
    return ["[" + ",".join(f for f in row if f) + "]" for row in zip(*columns)]


def _cid_facts(column) -> dict[str, list]:
    """citizen_id_text / _rounded / compact / _check_digit_ok for a column; the common shapes
    (13 digits, or dashed) skip the general normaliser, check digits go through numpy."""
    n = len(column)
    texts, rounded, compact = [None] * n, [False] * n, [None] * n
    for i, v in enumerate(column):
        if v.__class__ is str and v.isascii():
            if len(v) == 13 and v.isdigit():
                texts[i] = compact[i] = v
                continue
            if len(v) == 17 and v[1] == "-" and v[6] == "-" and v[12] == "-" and v[15] == "-":
                c = v.replace("-", "")
                if len(c) == 13 and c.isdigit():
                    texts[i], compact[i] = v, c
                    continue
        f = N.citizen_id_facts(v)
        texts[i], rounded[i], compact[i] = f.text, f.rounded, f.compact
    ok = [None] * n
    thirteen = []
    for i, c in enumerate(compact):
        if c is not None and len(c) == 13 and c.isdigit():
            if c.isascii():
                thirteen.append(i)
            else:
                ok[i] = False     # other scripts' digits: not a valid PIN (python-stdnum agrees)
    if thirteen:
        digits = (np.frombuffer("".join(compact[i] for i in thirteen).encode("ascii"), dtype=np.uint8)
                  .reshape(-1, 13).astype(np.int64) - 48)
        check = (11 - (digits[:, :12] @ _CID_WEIGHTS[:12]) % 11) % 10
        valid = (check == digits[:, 12]) & (digits[:, 0] != 0) & (digits[:, 0] != 9)
        for i, good in zip(thirteen, valid.tolist()):
            ok[i] = good
    return {"citizen_id_text": texts, "citizen_id_rounded": rounded, "citizen_id": compact,
            "citizen_id_check_digit_ok": ok}


class RowTyper:
    """Types the rows of one file. kind: 'submission' or 'roster'."""

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

    @staticmethod
    def mask(fld: str, raw: str | None) -> str | None:
        """A source cell's text as a rejection may show it (citizen IDs masked)."""
        return mask_citizen_id(raw) if fld == "citizen_id" else raw

    def type_rows(self, rows: list[list], source_rows: list[int]) -> dict[str, list]:
        """The typed data rows, field by field (one list per field, in row order)."""
        n = len(rows)
        width = max(self.cols.values()) + 1
        columns = list(itertools.zip_longest(*rows, fillvalue=None))[:width] if n else []
        columns += [(None,) * n] * (width - len(columns))

        def col(fld):
            j = self.cols.get(fld)
            return columns[j] if j is not None else (None,) * n

        def by_value(fld, fn):
            return mapped(col(fld), fn).tolist()

        rec: dict[str, list] = {"file_id": [self.file_id] * n, "source_row": list(source_rows),
                                "framework_version": [self.framework_version] * n}
        rec.update(_cid_facts(col("citizen_id")))
        rec["folder_province"] = [self.folder_province] * n
        rec["received_on"] = [self.received_on] * n
        rec.update(self._names(col, by_value, n))
        for fld in ("position", "position_level", "unit", "remarks"):
            rec[fld] = by_value(fld, N.text)
        rec["row_province"] = by_value("province", lenient(N.province)) if "province" in self.cols else [None] * n
        if self.kind == "roster":
            gfld = "assigned_group" if "assigned_group" in self.cols else "target_group"
            rec["assigned_group_text"] = by_value(gfld, N.text)
            rec["assigned_group"] = by_value(gfld, lenient(N.group))
            rec["round_code"] = [self.roster_round] * n
            return rec
        fw = self.framework_version
        rec["target_group_text"] = by_value("target_group", N.text)
        rec["declared_group"] = by_value("target_group", lenient(N.group))
        rec["declared_target_level"] = by_value("target_level", lenient(N.level, fw))
        rec["overall_level"] = by_value("overall_level", lenient(N.level, fw))
        rec["signed"] = by_value("signed", lenient(N.yes_no))
        rec["assessed_on_text"] = by_value("assessed_on", N.text)
        rec["assessed_on"] = by_value("assessed_on", _date_or_none)
        rec["signed_on_text"] = by_value("signed_on", N.text)
        rec["signed_on"] = by_value("signed_on", _date_or_none)
        rec["round_code"] = mapped(rec["assessed_on"], lambda d: round_for(d) if d else None).tolist()
        for code in self.all_skills:
            present = code in self.skills
            rec["has_column_" + code] = [present] * n
            rec["skill_" + code] = by_value("skill:" + code, lenient(N.level, fw)) if present else [None] * n
        return rec

    def _names(self, col, by_value, n) -> dict[str, list]:
        titles = by_value("title", N.text)
        if "first_name" in self.cols:
            split = by_value("first_name", N.split_title)
            plain = by_value("first_name", N.text)
            first = []
            for i, (glued, rest) in enumerate(split):
                if titles[i] is None:
                    titles[i] = glued
                    first.append(rest)
                elif glued is not None and glued == titles[i]:
                    first.append(rest)       # "นาย" in both the title column and glued to the name
                else:
                    first.append(plain[i])
            return {"title": titles, "first_name": first, "last_name": by_value("last_name", N.text)}
        parts = by_value("full_name", N.split_full_name)
        return {"title": [titles[i] or p[0] for i, p in enumerate(parts)],
                "first_name": [p[1] for p in parts], "last_name": [p[2] for p in parts]}


def round_for(day: dt.date) -> str | None:
    for r in config.rounds():
        if r["window_from"] <= day <= r["window_to"]:
            return r["round"]
    return None


def type_grid(rows: list[list], header: HeaderMatch, typer: RowTyper) -> Typed:
    """Classify every row below the header (data, blank, total) and type the data rows."""
    out = Typed()
    last = len(rows)
    while last > header.row_index + 1 and classify(rows[last - 1], header) == "blank":
        last -= 1
    kinds = ["header" if i == header.row_index else "title" for i in range(min(header.row_index + 1, last))]
    data, data_rows = [], []
    for i in range(header.row_index + 1, last):
        kind_of_row = classify(rows[i], header)
        kinds.append(kind_of_row)
        out.rows_read += 1
        if kind_of_row == "data":
            data.append(rows[i])
            data_rows.append(i + 1)
        else:
            out.rows_skipped += 1
    out.raw_json = raw_json(rows[:last])
    out.raw_rows = list(range(1, last + 1))
    out.raw_kinds = kinds
    out.columns = typer.type_rows(data, data_rows) if data else None
    return out
