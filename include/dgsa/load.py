"""Load file versions: read, find the header, type the rows (dgsa.rows), let the data
contract judge them (dgsa.contract: the GX suites in expectations/), then write each file in
ONE transaction (raw rows, typed rows, rejections, ledger update): all or nothing per file.

Files are judged in batches (a province's waiting files of one kind, up to
DGSA_VALIDATION_BATCH_ROWS data rows) because every GX validation has a fixed cost; each
record carries (file_id, source_row), so verdicts map back to exact rows.

    python -m dgsa.load FILE_ID [FILE_ID ...]     # (re)load ledger entries in status 'new'
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dgsa import config, contract, db, headers, readers
from dgsa.normalise import Bad
from dgsa.pii import person_key
from dgsa.rows import Rejection, RowTyper, Typed, type_grid

log = logging.getLogger(__name__)

ASSESSMENT_COLUMNS = ("file_id", "source_row", "round_code", "province_code", "citizen_id", "person_key", "title",
                      "first_name", "last_name", "position", "position_level", "unit", "declared_group",
                      "declared_target_level", "assessed_on", "overall_level", "signed", "signed_on", "remarks",
                      "framework_version", "received_at")
ROSTER_COLUMNS = ("file_id", "source_row", "round_code", "citizen_id", "person_key", "title", "first_name",
                  "last_name", "position", "position_level", "unit", "province_code", "assigned_group")
SKILL_KEYS = ("skill_", "has_column_")       # per-skill record keys: judged in the long skills frame
VALIDATION_RESULT_COLUMNS = ("validation_id", "file_id", "suite", "expectation_no", "expectation", "column_name",
                             "reason_code", "success", "element_count", "unexpected_count")


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


@dataclass
class Prepared:
    """A file read and typed, waiting for the contract's verdict."""
    rec: FileRecord
    info: dict = field(default_factory=dict)
    outcome: Outcome | None = None          # set when the file is decided (before or by the contract)
    typed: Typed | None = None
    typer: RowTyper | None = None
    rows: list | None = None                # the sheet's cells, for the raw value of a rejection
    missing: list[str] = field(default_factory=list)
    validation: list[tuple] = field(default_factory=list)   # rows for audit.validation_result

    @property
    def data_rows(self) -> int:
        return len(self.typed.records) if self.typed else 0


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


def batch_rows() -> int:
    return int(config.float_setting("DGSA_VALIDATION_BATCH_ROWS", 200_000))


# ---------------------------------------------------------------- the steps
def load_files(file_ids: list[int], root: Path, url: str | None = None, run_name: str = "manual") -> list[Outcome]:
    """Load ledger entries in status 'new': prepare, judge in batches, write one by one."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT file_id, rel_path, kind, province_code, round_code, received_at, size_bytes
                       FROM audit.source_file WHERE file_id = ANY(%s) AND status = 'new' ORDER BY file_id""",
                    (list(file_ids),))
        records = [FileRecord(*r) for r in cur.fetchall()]
    outcomes: list[Outcome] = []
    batch: list[Prepared] = []
    for rec in records:
        batch.append(prepare(rec, root))
        if sum(p.data_rows for p in batch) >= batch_rows():
            outcomes += _judge_and_write(batch, url, run_name)
            batch = []
    if batch:
        outcomes += _judge_and_write(batch, url, run_name)
    return outcomes


def load_file(file_id: int, root: Path, url: str | None = None) -> Outcome:
    outcomes = load_files([file_id], root, url)
    return outcomes[0] if outcomes else Outcome("skipped")


def _judge_and_write(batch: list[Prepared], url: str | None, run_name: str) -> list[Outcome]:
    judge(batch, url, run_name)
    return [write(p, url) for p in batch]


def prepare(rec: FileRecord, root: Path) -> Prepared:
    """Read the file and type its rows; decide only what needs no rule (unreadable, no header)."""
    p = Prepared(rec)
    if rec.size_bytes == 0:
        p.outcome = Outcome("rejected", "FILE_EMPTY")
        return p
    try:
        book = readers.read(root / rec.rel_path)
    except Bad as bad:
        p.outcome = Outcome("rejected", bad.code, bad.detail)
        return p
    except OSError as exc:
        p.outcome = Outcome("rejected", "FILE_UNREADABLE", exc.strerror or "")
        return p
    p.info.update(file_format=book.file_format, encoding=book.encoding)
    picked = _pick_sheet(book, rec.kind, rec.round_code)
    if picked is None:
        empty = all(not any(v is not None for r in g.rows for v in r) for g in book.sheets)
        p.outcome = Outcome("rejected", "NO_DATA_ROWS" if empty else "NO_HEADER_ROW")
        return p
    grid, match, framework = picked
    header_cells = grid.rows[match.row_index]
    p.info.update(sheet_name=grid.sheet_name, header_row=match.row_index + 1, framework_version=framework,
                  header=[None if v is None else str(v) for v in header_cells],
                  column_map={f: j for f, j in match.columns.items()})
    p.missing = headers.missing_required(match.columns, rec.kind)
    p.typer = RowTyper(rec.kind, match, header_cells, file_id=rec.file_id, folder_province=rec.province_code,
                       received_at=rec.received_at, framework_version=framework, roster_round=rec.round_code)
    p.typed = type_grid(grid.rows, match, p.typer)
    p.rows = grid.rows
    return p


def parameters(cur) -> dict:
    """Suite parameters from the ref tables (value sets) and settings."""
    cur.execute("SELECT array_agg(group_code ORDER BY group_code) FROM ref.target_group")
    groups = cur.fetchone()[0] or []
    cur.execute("SELECT array_agg(province_code ORDER BY province_code) FROM ref.province")
    provinces = cur.fetchone()[0] or []
    cur.execute("SELECT framework_version, array_agg(ordinal::int ORDER BY ordinal) FROM ref.level GROUP BY 1")
    levels = dict(cur.fetchall())
    cur.execute("SELECT framework_version, group_code, array_agg(skill_code) FROM ref.target GROUP BY 1, 2")
    targets: dict[str, dict[str, set]] = {}
    for fw, group, skills in cur.fetchall():
        targets.setdefault(fw, {})[group] = set(skills)
    return {"target_groups": groups, "provinces": provinces, "levels": levels, "targets": targets,
            "max_bad_row_share": config.max_bad_row_share()}


def judge(batch: list[Prepared], url: str | None, run_name: str) -> None:
    """Run the row suites, then the file gate, over a batch; record every result."""
    import pandas as pd  # noqa: PLC0415  (kept out of DAG parsing)

    with db.transaction(url) as conn, conn.cursor() as cur:
        params = parameters(cur)
        groups: dict[tuple, list[Prepared]] = {}
        for p in batch:
            if p.outcome is None and not p.missing and p.data_rows:
                groups.setdefault((p.rec.kind, p.typer.framework_version), []).append(p)
        for (kind, framework), members in groups.items():
            fw_params = {**{k: v for k, v in params.items() if k != "targets"},
                         "levels": params["levels"].get(framework, [])}
            typed = pd.DataFrame.from_records([r for p in members for r in p.typed.records])
            skill_columns = [c for c in typed.columns if c.startswith(SKILL_KEYS)]
            frames = {f"{kind}_rows": typed.drop(columns=skill_columns)}
            if kind == "submission":
                frames["submission_skills"] = _skill_frame(typed, params["targets"].get(framework, {}))
            del typed
            for suite, frame in frames.items():
                result = contract.validate_frame(suite, frame, fw_params)
                vid = contract.record_run(cur, run_name=run_name, suite_name=suite, result=result,
                                          target=f"{kind} files {_ids(members)}")
                _apply_row_verdicts(members, contract.verdicts(result), vid, suite)
            for p in members:
                p.typed.rejections.sort(key=lambda r: r.source_row)

        gated = [p for p in batch if p.outcome is None]
        if gated:
            frame = pd.DataFrame.from_records([_gate_row(p) for p in gated])
            result = contract.validate_frame("file_gate", frame, params)
            vid = contract.record_run(cur, run_name=run_name, suite_name="file_gate", result=result,
                                      target=f"files {_ids(gated)}")
            _apply_gate_verdicts(gated, contract.verdicts(result), vid)
        db.copy_rows(cur, "audit.validation_result", VALIDATION_RESULT_COLUMNS,
                     (row for p in batch for row in p.validation))


def _ids(members: list[Prepared]) -> str:
    ids = [p.rec.file_id for p in members]
    return ",".join(map(str, ids)) if len(ids) <= 20 else f"{min(ids)}..{max(ids)} ({len(ids)} files)"


def _apply_row_verdicts(members: list[Prepared], verdicts: list, validation_id: int, suite: str) -> None:
    by_file = {p.rec.file_id: p for p in members}
    reported: dict[int, set] = {fid: set() for fid in by_file}
    for v in verdicts:
        per_file = Counter(key["file_id"] for key in v.failing)
        for fid, p in by_file.items():
            p.validation.append((validation_id, fid, suite, v.position + 1, v.type, v.column,
                                 v.meta.get("reason_code"), per_file[fid] == 0, p.data_rows, per_file[fid]))
        for key in v.failing:
            fid, source_row = key["file_id"], key["source_row"]
            p = by_file[fid]
            fld = next((f.format(**key) for f in v.meta.get("fields", []) if f.format(**key) in p.typer.cols), None)
            column = v.meta.get("column_label", "").format(**key) or (p.typer.names[fld] if fld else None)
            cell = (source_row, fld or column)
            if cell in reported[fid]:
                continue   # one cell, one reason: the first broken rule in suite order
            reported[fid].add(cell)
            fill = {"column": column or "", "detail": v.meta.get("detail", "").format(**key)}
            p.typed.rejections.append(Rejection(
                source_row, v.meta["reason_code"], column,
                p.typer.cell(p.rows[source_row - 1], fld) if fld else None,
                v.meta["message_th"].format(**fill), v.meta["message_en"].format(**fill)))


def _skill_frame(typed, targets: dict[str, set]):
    """One row per person and framework skill (file_id, source_row, skill_code, level,
    has_column, required): whether the declared group must reach that skill comes from
    ref.target. Built by melting the typed frame: no per-row Python."""
    import pandas as pd  # noqa: PLC0415

    keys = ["file_id", "source_row"]
    level = typed.melt(id_vars=keys, value_vars=[c for c in typed.columns if c.startswith("skill_")],
                       var_name="skill_code", value_name="level")
    has = typed.melt(id_vars=keys, value_vars=[c for c in typed.columns if c.startswith("has_column_")],
                     var_name="skill_code", value_name="has_column")
    level["skill_code"] = level["skill_code"].str.removeprefix("skill_")
    has["skill_code"] = has["skill_code"].str.removeprefix("has_column_")
    out = level.merge(has, on=keys + ["skill_code"]).merge(typed[keys + ["declared_group"]], on=keys)
    required = pd.DataFrame([(g, s) for g, skills in targets.items() for s in skills],
                            columns=["declared_group", "skill_code"]).assign(required=True)
    out = out.merge(required, on=["declared_group", "skill_code"], how="left")
    out["required"] = out["required"].fillna(False).astype(bool)
    return out.drop(columns=["declared_group"])


def _gate_row(p: Prepared) -> dict:
    bad = len(p.typed.rejected_rows)
    judged = p.data_rows > 0 and not p.missing
    return {"file_id": p.rec.file_id, "data_rows": p.data_rows,
            "missing_columns": ", ".join(p.missing) or None,
            "rejected_share": bad / p.data_rows if judged else None,
            "rejected_ratio": f"{bad}/{p.data_rows}"}


def _apply_gate_verdicts(gated: list[Prepared], verdicts: list, validation_id: int) -> None:
    by_file = {p.rec.file_id: p for p in gated}
    for v in verdicts:
        failing = {key["file_id"] for key in v.failing}
        for fid, p in by_file.items():
            p.validation.append((validation_id, fid, "file_gate", v.position + 1, v.type, v.column,
                                 v.meta.get("reason_code"), fid not in failing, 1, int(fid in failing)))
            if fid in failing and p.outcome is None:
                detail = _gate_row(p).get(v.meta.get("detail_column"), "") or ""
                p.outcome = Outcome("rejected", v.meta["reason_code"], detail)
    for p in gated:
        counts = dict(rows_read=p.typed.rows_read, rows_skipped=p.typed.rows_skipped)
        bad = len(p.typed.rejected_rows)
        if p.outcome is not None:   # rejected whole: every data row counts as rejected
            p.outcome = Outcome("rejected", p.outcome.reason_code, p.outcome.detail, rows_rejected=p.data_rows,
                                **counts)
        else:
            p.outcome = Outcome("loaded" if bad == 0 else "partially_loaded", None if bad == 0 else "ROWS_REJECTED",
                                rows_loaded=p.data_rows - bad, rows_rejected=bad, **counts)


def write(p: Prepared, url: str | None = None) -> Outcome:
    """One transaction per file; a file another run has taken meanwhile is left alone."""
    o, rec = p.outcome, p.rec
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM audit.source_file WHERE file_id = %s AND status = 'new' FOR UPDATE SKIP LOCKED",
                    (rec.file_id,))
        if cur.fetchone() is None:
            return Outcome("skipped")
        if p.typed is not None:
            _write_raw(cur, rec.file_id, p.typed)
            if o.status != "rejected" or o.reason_code == "TOO_MANY_BAD_ROWS":
                _write_rejections(cur, rec.file_id, p.typed)
            if o.status != "rejected":
                _write_typed(cur, rec, p.typed, p.typer.skills)
        _finish(cur, rec, o, p.info)
    log.info("file %s %s: %s %s read=%s loaded=%s rejected=%s skipped=%s", rec.file_id, rec.rel_path,
             o.status, o.reason_code or "", o.rows_read, o.rows_loaded, o.rows_rejected, o.rows_skipped)
    return o


def _write_raw(cur, file_id: int, typed: Typed) -> None:
    db.copy_rows(cur, "raw.source_row", ("file_id", "source_row", "cells", "row_kind"),
                 ((file_id, s, json.dumps(cells, ensure_ascii=False), kind) for s, cells, kind in typed.raw))


def _write_rejections(cur, file_id: int, typed: Typed) -> None:
    db.copy_rows(cur, "audit.rejected_row", ("file_id", "source_row", "reason_code", "column_name", "raw_value",
                                             "message_th", "message_en"),
                 ((file_id, r.source_row, r.reason_code, r.column_name, r.raw_value, r.message_th, r.message_en)
                  for r in typed.rejections))


def _write_typed(cur, rec: FileRecord, typed: Typed, skills: list[str]) -> None:
    """The accepted rows (every rule passed, so every value is typed); province from the row,
    else from the folder."""
    secret = config.person_key_secret()
    rows = typed.accepted
    if rec.kind == "roster":
        db.copy_rows(cur, "core.roster_entry", ROSTER_COLUMNS, (
            (rec.file_id, r["source_row"], r["round_code"], r["citizen_id"], person_key(r["citizen_id"], secret),
             r["title"], r["first_name"], r["last_name"], r["position"], r["position_level"], r["unit"],
             r["row_province"] or r["folder_province"], r["assigned_group"]) for r in rows))
        return
    db.copy_rows(cur, "core.assessment", ASSESSMENT_COLUMNS, (
        (rec.file_id, r["source_row"], r["round_code"], r["row_province"] or r["folder_province"], r["citizen_id"],
         person_key(r["citizen_id"], secret), r["title"], r["first_name"], r["last_name"], r["position"],
         r["position_level"], r["unit"], r["declared_group"], r["declared_target_level"], r["assessed_on"],
         r["overall_level"], "t" if r["signed"] else "f", r["signed_on"], r["remarks"], r["framework_version"],
         rec.received_at.isoformat())
        for r in rows))
    db.copy_rows(cur, "core.assessment_skill", ("file_id", "source_row", "skill_code", "level_ordinal"), (
        (rec.file_id, r["source_row"], code, r["skill_" + code]) for r in rows for code in skills))


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
    logging.basicConfig(level=logging.INFO)
    for outcome in load_files(args.file_ids, config.drive_path()):
        print(outcome)


if __name__ == "__main__":
    main()
