"""Write one judged file in ONE transaction: raw rows, rejections, typed rows, ledger update.

Everything goes through COPY, built column by column (no per-cell Python), in chunks of
COPY_CHUNK_ROWS so that memory stays bounded by the chunk, not by the file. A person's skill
levels are one jsonb object on their assessment row (core.assessment.skills); the long form
(one row per skill) is the view core.assessment_skill.
"""
from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
import psycopg2

from dgsa import config, db
from dgsa.file_state import Outcome, Prepared
from dgsa.pii import person_key

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
_LEVELS = ("declared_target_level", "overall_level")
_NA = pd.NA


def write_file(p: Prepared, conn, finish: Callable) -> Outcome:
    """In one transaction on conn (an open connection: one per batch, not one per file)."""
    o, rec = p.outcome, p.rec
    with db.committed(conn), conn.cursor() as cur:
        cur.execute("SELECT 1 FROM audit.source_file WHERE file_id = %s AND status = 'new' FOR UPDATE SKIP LOCKED",
                    (rec.file_id,))
        if cur.fetchone() is None:
            return Outcome("skipped")
        if p.typed is not None:
            _write_raw(cur, rec.file_id, p.typed)
            if o.status != "rejected" or o.reason_code == "TOO_MANY_BAD_ROWS":
                _write_rejections(cur, rec.file_id, p.typed)
            if o.status != "rejected":
                _write_typed(cur, p)
        finish(cur, rec, o, p.info)
    return o


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


def _skills_json(frame, skills: list[str]) -> list[str] | str:
    """{"DL": 2, "GOV": null, ...} per row, for the skills whose column the file has."""
    if not skills:
        return "{}"
    parts = []
    for code in skills:
        words = {None: f'"{code}":null'}
        parts.append([words.get(v) or words.setdefault(v, f'"{code}":{v}')
                      for v in _values(frame["skill_" + code].astype("Int64").astype(object))])
    return ["{" + ",".join(row) + "}" for row in zip(*parts)]


def _write_typed(cur, p: Prepared) -> None:
    """The accepted rows (every rule passed, so every value is typed); province from the row,
    else from the folder."""
    rec, secret = p.rec, config.person_key_secret()
    frame = p.typed.accepted()
    for start in range(0, len(frame), COPY_CHUNK_ROWS):
        chunk = frame.iloc[start:start + COPY_CHUNK_ROWS]
        out = pd.DataFrame({
            "file_id": rec.file_id, "source_row": chunk["source_row"].to_numpy(),
            "round_code": chunk["round_code"].to_numpy(),
            "citizen_id": chunk["citizen_id"].to_numpy(),
            "person_key": [person_key(c, secret) for c in chunk["citizen_id"]],
            "province_code": [r or f for r, f in zip(_values(chunk["row_province"]),
                                                      _values(chunk["folder_province"]))],
        })
        for c in ("title", "first_name", "last_name", "position", "position_level", "unit"):
            out[c] = chunk[c].to_numpy()
        if rec.kind == "roster":
            out["assigned_group"] = chunk["assigned_group"].to_numpy()
            _copy_csv(cur, "core.roster_entry", out[list(ROSTER_COLUMNS)])
            continue
        out["declared_group"] = chunk["declared_group"].to_numpy()
        for c in _LEVELS:
            out[c] = chunk[c].astype("Int64").to_numpy()
        out["assessed_on"] = chunk["assessed_on"].to_numpy()
        out["signed"] = ["t" if s else "f" for s in chunk["signed"]]
        out["signed_on"] = chunk["signed_on"].to_numpy()
        out["remarks"] = chunk["remarks"].to_numpy()
        out["framework_version"] = chunk["framework_version"].to_numpy()
        out["received_at"] = rec.received_at.isoformat()
        skills = _skills_json(chunk, p.typer.skills)
        out["skills"] = skills
        _copy_csv(cur, "core.assessment", out[list(ASSESSMENT_COLUMNS)])


def _values(series) -> list:
    return [None if v is None or v is _NA or v != v else v for v in series.tolist()]


def _copy_csv(cur, table: str, frame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, header=False, index=False, na_rep="\\N")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)

