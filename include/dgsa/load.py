"""Load one file version: read, find the header, type the rows, and write everything in ONE
transaction (raw rows, typed rows, rejections, ledger update): all or nothing.

    python -m dgsa.load FILE_ID [FILE_ID ...]     # (re)load ledger entries in status 'new'
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from dgsa import config, db, headers, readers
from dgsa.normalise import Bad
from dgsa.pii import person_key
from dgsa.rows import RowTyper, Typed, type_grid

log = logging.getLogger(__name__)

ASSESSMENT_COLUMNS = ("file_id", "source_row", "round_code", "province_code", "citizen_id", "person_key", "title",
                      "first_name", "last_name", "position", "position_level", "unit", "declared_group",
                      "declared_target_level", "assessed_on", "overall_level", "signed", "signed_on", "remarks",
                      "framework_version", "received_at")
ROSTER_COLUMNS = ("file_id", "source_row", "round_code", "citizen_id", "person_key", "title", "first_name",
                  "last_name", "position", "position_level", "unit", "province_code", "assigned_group")


class AccountingError(RuntimeError):
    """rows_read != rows_loaded + rows_rejected + rows_skipped: a bug, never a data problem."""


@dataclass
class FileRecord:
    file_id: int
    rel_path: str
    kind: str
    province_code: str | None
    round_code: str | None
    received_at: dt.datetime
    size_bytes: int


@dataclass
class Outcome:
    status: str
    reason_code: str | None = None
    detail: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0


def _framework_for(kind: str, round_code: str | None) -> list[str]:
    if round_code:
        return [next(r["framework_version"] for r in config.rounds() if r["round"] == round_code)]
    return sorted(config.frameworks())


def _pick_sheet(book: readers.Workbook, kind: str, round_code: str | None):
    """The sheet and header that map the most fields, over every sheet and candidate framework."""
    best = None
    for fw in _framework_for(kind, round_code):
        for grid in book.sheets:
            match = headers.find_header(grid.rows, fw)
            if match and (best is None or match.score > best[1].score):
                best = (grid, match, fw)
    return best


def load_file(file_id: int, root: Path, url: str | None = None) -> Outcome:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT file_id, rel_path, kind, province_code, round_code, received_at, size_bytes
                       FROM audit.source_file WHERE file_id = %s AND status = 'new' FOR UPDATE SKIP LOCKED""",
                    (file_id,))
        row = cur.fetchone()
        if row is None:
            return Outcome("skipped")
        rec = FileRecord(*row)
        outcome, info = _process(cur, rec, root)
        _finish(cur, rec, outcome, info)
    log.info("file %s %s: %s %s read=%s loaded=%s rejected=%s skipped=%s", rec.file_id, rec.rel_path,
             outcome.status, outcome.reason_code or "", outcome.rows_read, outcome.rows_loaded,
             outcome.rows_rejected, outcome.rows_skipped)
    return outcome


def _process(cur, rec: FileRecord, root: Path) -> tuple[Outcome, dict]:
    info: dict = {}
    if rec.size_bytes == 0:
        return Outcome("rejected", "FILE_EMPTY"), info
    try:
        book = readers.read(root / rec.rel_path)
    except Bad as bad:
        return Outcome("rejected", bad.code, bad.detail), info
    except OSError as exc:
        return Outcome("rejected", "FILE_UNREADABLE", exc.strerror or ""), info
    info.update(file_format=book.file_format, encoding=book.encoding)
    picked = _pick_sheet(book, rec.kind, rec.round_code)
    if picked is None:
        if all(not any(v is not None for r in g.rows for v in r) for g in book.sheets):
            return Outcome("rejected", "NO_DATA_ROWS"), info
        return Outcome("rejected", "NO_HEADER_ROW"), info
    grid, match, framework = picked
    header_cells = grid.rows[match.row_index]
    info.update(sheet_name=grid.sheet_name, header_row=match.row_index + 1, framework_version=framework,
                header=[None if v is None else str(v) for v in header_cells],
                column_map={f: j for f, j in match.columns.items()})
    missing = headers.missing_required(match.columns, rec.kind)
    typer = RowTyper(rec.kind, match, header_cells, folder_province=rec.province_code,
                     received_at=rec.received_at, framework_version=framework, roster_round=rec.round_code)
    typed = type_grid(rec.kind, grid.rows, match, typer)
    _write_raw(cur, rec.file_id, typed)
    counts = dict(rows_read=typed.rows_read, rows_skipped=typed.rows_skipped)
    data_rows = typed.rows_read - typed.rows_skipped
    if missing:
        return Outcome("rejected", "MISSING_COLUMNS", ", ".join(missing), rows_rejected=data_rows, **counts), info
    if data_rows == 0:
        return Outcome("rejected", "NO_DATA_ROWS", **counts), info
    _write_rejections(cur, rec.file_id, typed)
    bad = len(typed.rejected_rows)
    share = bad / data_rows
    if share > config.max_bad_row_share():
        return Outcome("rejected", "TOO_MANY_BAD_ROWS", f"{bad}/{data_rows}", rows_rejected=data_rows,
                       **counts), info
    _write_typed(cur, rec, typed)
    status = "loaded" if bad == 0 else "partially_loaded"
    return Outcome(status, None if bad == 0 else "ROWS_REJECTED", rows_loaded=len(typed.rows),
                   rows_rejected=bad, **counts), info


def _write_raw(cur, file_id: int, typed: Typed) -> None:
    db.copy_rows(cur, "raw.source_row", ("file_id", "source_row", "cells", "row_kind"),
                 ((file_id, s, json.dumps(cells, ensure_ascii=False), kind) for s, cells, kind in typed.raw))


def _write_rejections(cur, file_id: int, typed: Typed) -> None:
    def rows():
        for r in typed.rejections:
            th, en = config.message(r.reason_code, detail=r.detail, column=r.column_name or "")
            yield file_id, r.source_row, r.reason_code, r.column_name, r.raw_value, th, en
    db.copy_rows(cur, "audit.rejected_row", ("file_id", "source_row", "reason_code", "column_name", "raw_value",
                                             "message_th", "message_en"), rows())


def _write_typed(cur, rec: FileRecord, typed: Typed) -> None:
    secret = config.person_key_secret()
    if rec.kind == "roster":
        db.copy_rows(cur, "core.roster_entry", ROSTER_COLUMNS, (
            (rec.file_id, s, r["round_code"], r["citizen_id"], person_key(r["citizen_id"], secret), r["title"],
             r["first_name"], r["last_name"], r["position"], r["position_level"], r["unit"], r["province_code"],
             r["assigned_group"]) for s, r in typed.rows))
        return
    db.copy_rows(cur, "core.assessment", ASSESSMENT_COLUMNS, (
        (rec.file_id, s, r["round_code"], r["province_code"], r["citizen_id"], person_key(r["citizen_id"], secret),
         r["title"], r["first_name"], r["last_name"], r["position"], r["position_level"], r["unit"],
         r["declared_group"], r["declared_target_level"], r["assessed_on"], r["overall_level"],
         "t" if r["signed"] else "f", r["signed_on"], r["remarks"], r["framework_version"], rec.received_at.isoformat())
        for s, r in typed.rows))
    db.copy_rows(cur, "core.assessment_skill", ("file_id", "source_row", "skill_code", "level_ordinal"), (
        (rec.file_id, s, code, lv) for s, r in typed.rows for code, lv in r["skills"].items()))


def _finish(cur, rec: FileRecord, o: Outcome, info: dict) -> None:
    if o.rows_read != o.rows_loaded + o.rows_rejected + o.rows_skipped:
        raise AccountingError(f"file {rec.file_id}: read {o.rows_read} != loaded {o.rows_loaded} + rejected "
                              f"{o.rows_rejected} + skipped {o.rows_skipped}")
    message = None
    if o.reason_code == "ROWS_REJECTED":
        message = f"{o.rows_rejected} of {o.rows_read - o.rows_skipped} data rows rejected (see audit.rejected_row)"
    elif o.reason_code:
        message = config.message(o.reason_code, detail=o.detail)[1]
    cur.execute("""UPDATE audit.source_file SET status = %s, reason_code = %s, message = %s, rows_read = %s,
                     rows_loaded = %s, rows_rejected = %s, rows_skipped = %s, processed_at = now(),
                     file_format = %s, encoding = %s, sheet_name = %s, header_row = %s, header = %s,
                     column_map = %s, framework_version = %s
                   WHERE file_id = %s""",
                (o.status, o.reason_code, message, o.rows_read, o.rows_loaded, o.rows_rejected, o.rows_skipped,
                 info.get("file_format"), info.get("encoding"), info.get("sheet_name"), info.get("header_row"),
                 json.dumps(info.get("header"), ensure_ascii=False) if "header" in info else None,
                 json.dumps(info.get("column_map")) if "column_map" in info else None,
                 info.get("framework_version"), rec.file_id))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file_ids", nargs="+", type=int)
    args = parser.parse_args(argv)
    for file_id in args.file_ids:
        print(file_id, load_file(file_id, config.drive_path()))


if __name__ == "__main__":
    main()
