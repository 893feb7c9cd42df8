"""Write one judged file in ONE transaction: raw rows, rejections, typed rows, ledger update
(and the older versions of its path, replaced for the rounds this one holds: versions.settle).

Everything goes through COPY, built column by column (no per-cell Python), in chunks of
COPY_CHUNK_ROWS so that memory stays bounded by the chunk, not by the file. A person's skill
levels are one jsonb object on their assessment row (core.assessment.skills); the long form
(one row per skill) is the view core.assessment_skill.
"""
from __future__ import annotations

import io
import json
from collections import Counter

import pandas as pd
import psycopg2

from dgsa.foundation import config, db
from dgsa.ingest import versions
from dgsa.ingest.ledger import TRANSIENT
from dgsa.ingest.file_state import AccountingError, FileRecord, Outcome, Prepared
from dgsa.ingest.judge import VALIDATION_RESULT_COLUMNS
from dgsa.foundation.pii import person_key
from dgsa.ingest.rows import mapped

COPY_CHUNK_ROWS = 50_000
# what the warehouse says when a value of THIS file cannot be stored (the file is rejected,
# the others go on); anything else (connection lost, ...) fails the step, which retries
WRITE_ERRORS = (psycopg2.DataError, psycopg2.IntegrityError)

ASSESSMENT_COLUMNS = ("file_id", "source_row", "round_code", "province_code", "citizen_id", "person_key", "title",
                      "first_name", "last_name", "position", "position_level", "unit", "declared_group",
                      "declared_target_level", "assessed_on", "overall_level", "signed", "signed_on", "remarks",
                      "framework_version", "received_at", "skills")
ROSTER_COLUMNS = ("file_id", "source_row", "round_code", "citizen_id", "person_key", "title", "first_name",
                  "last_name", "position", "position_level", "unit", "province_code", "assigned_group")
_NA = pd.NA


def write_file(p: Prepared, conn) -> Outcome:
    """In one transaction on conn (an open connection: one per batch, not one per file)."""
    o, rec = p.outcome, p.rec
    with db.committed(conn), conn.cursor() as cur:
        cur.execute("""SELECT 1 FROM audit.source_file WHERE file_id = %s AND (status = 'new'
                         OR (status = 'rejected' AND reason_code = ANY(%s))) FOR UPDATE SKIP LOCKED""",
                    (rec.file_id, list(TRANSIENT)))
        if cur.fetchone() is None:
            return Outcome("skipped")
        if p.validation:   # the contract's verdicts on this file, committed with it or not at all
            db.copy_rows(cur, "audit.validation_result", VALIDATION_RESULT_COLUMNS, p.validation)
        if p.typed is not None:
            _write_raw(cur, rec.file_id, p.typed)
            if o.status != "rejected" or o.reason_code == "TOO_MANY_BAD_ROWS":
                _write_rejections(cur, rec.file_id, p.typed)
            if o.status != "rejected":
                _write_typed(cur, p)
                _write_rounds(cur, p)
        _finish(cur, rec, o, p.info)
        versions.settle(cur, rec.file_id)      # older versions of the path: replaced for this one's rounds
    return o


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


def _write_rounds(cur, p: Prepared) -> None:
    """audit.file_round: the rounds this version holds accepted rows of (what it replaces of an
    older version of its path, round by round: audit.version_in_force)."""
    columns, bad = p.typed.columns, p.typed.rejected_rows
    counts = Counter(rnd for rnd, row in zip(columns["round_code"], columns["source_row"])
                     if row not in bad and rnd)
    if counts:
        cur.executemany("INSERT INTO audit.file_round (file_id, round_code, rows_loaded) VALUES (%s, %s, %s)",
                        [(p.rec.file_id, rnd, n) for rnd, n in sorted(counts.items())])


def _copy_text(cur, table: str, columns: tuple, lines) -> None:
    """COPY ... FROM STDIN (text format) from lines that are already tab-separated."""
    buf = io.StringIO("".join(lines))
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)


def _write_raw(cur, file_id: int, typed) -> None:
    rows, kinds, cells = typed.raw_rows, typed.raw_kinds, typed.raw_json
    for start in range(0, len(rows), COPY_CHUNK_ROWS):
        stop = start + COPY_CHUNK_ROWS
        # JSON has no raw tab or newline; its backslashes are doubled for COPY's text format
        lines = [f"{file_id}\t{r}\t{c}\t{k}\n" for r, c, k in zip(rows[start:stop], cells[start:stop],
                                                                   kinds[start:stop])]
        _copy_text(cur, "raw.source_row", ("file_id", "source_row", "cells", "row_kind"),
                   ["".join(lines).replace("\\", "\\\\")])


def _write_rejections(cur, file_id: int, typed) -> None:
    db.copy_rows(cur, "audit.rejected_row", ("file_id", "source_row", "reason_code", "column_name", "raw_value",
                                             "message_th", "message_en"),
                 ((file_id, r.source_row, r.reason_code, r.column_name, r.raw_value, r.message_th, r.message_en)
                  for r in typed.rejections))


def _skills_json(columns: dict, rows: list[int], skills: list[str]) -> list[str]:
    """{"DL": 2, "GOV": null, ...} per row, for the skills whose column the file has."""
    if not skills:
        return ["{}"] * len(rows)
    parts = []
    for code in skills:
        words: dict = {None: f'"{code}":null'}
        levels = columns["skill_" + code]
        parts.append([words.get(v) or words.setdefault(v, f'"{code}":{int(v)}')
                      for v in (None if _missing(levels[i]) else levels[i] for i in rows)])
    return ["{" + ",".join(row) + "}" for row in zip(*parts)]


def _missing(v) -> bool:
    return v is None or v is _NA or v != v      # None, pd.NA, NaN


def _text_field(value) -> str:
    """A value in COPY's text format: \\N for null, backslash, tab and line breaks escaped."""
    if _missing(value):
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _field(columns: dict, name: str, rows: list[int]) -> list[str]:
    """One column of the accepted rows, as COPY text (each distinct value escaped once)."""
    values = columns[name]
    return mapped([values[i] for i in rows], _text_field).tolist()


def _write_typed(cur, p: Prepared) -> None:
    """The accepted rows (every rule passed, so every value is typed); province from the row,
    else from the folder. Built as COPY text column by column, then joined row by row."""
    rec, secret, columns = p.rec, config.person_key_secret(), p.typed.columns
    bad = p.typed.rejected_rows
    accepted = [i for i, r in enumerate(columns["source_row"]) if r not in bad]
    for start in range(0, len(accepted), COPY_CHUNK_ROWS):
        rows = accepted[start:start + COPY_CHUNK_ROWS]
        cids = [columns["citizen_id"][i] for i in rows]
        fields = {"file_id": [str(rec.file_id)] * len(rows), "citizen_id": cids,
                  "person_key": [person_key(c, secret) for c in cids],
                  "province_code": [_text_field(columns["row_province"][i] or columns["folder_province"][i])
                                    for i in rows]}
        names = ROSTER_COLUMNS if rec.kind == "roster" else ASSESSMENT_COLUMNS
        for name in names:
            if name in fields:
                continue
            if name == "received_at":
                fields[name] = [rec.received_at.isoformat()] * len(rows)
            elif name == "skills":
                fields[name] = [_text_field(j) for j in _skills_json(columns, rows, p.typer.skills)]
            else:
                fields[name] = _field(columns, name, rows)
        table = "core.roster_entry" if rec.kind == "roster" else "core.assessment"
        lines = ["\t".join(row) + "\n" for row in zip(*(fields[n] for n in names))]
        _copy_text(cur, table, names, lines)
