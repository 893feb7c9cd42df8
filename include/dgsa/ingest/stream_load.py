"""Load one big file version chunk by chunk: memory bounded by DGSA_CHUNK_ROWS, not by the file.

A file over DGSA_STREAM_MIN_BYTES on disk (a ministry roster of millions of rows) is not read
whole (dgsa.ingest.load's path for the submissions) but as rows (dgsa.ingest.stream_read):

1. its bounds are checked from the file (dgsa.ingest.limits, in 1 MiB blocks) and its bytes
   hashed (the version the ledger recorded, or FILE_CHANGED);
2. the header is found in the first rows of each sheet, as for any file;
3. then, in ONE transaction, chunk by chunk: rows classified and typed (dgsa.ingest.rows),
   judged by the row suites (every rule but those whose meta says "scope": "file"), written
   (raw rows, rejections, accepted typed rows: dgsa.ingest.write);
4. after the last chunk, the rules that compare rows with each other (scope file: a person
   twice in one file, DUPLICATE_PERSON_IN_FILE) are validated by GX alone over the whole
   file's (file_id, source_row, citizen_id), kept as integers (~16 bytes a row); the rows they
   reject leave the typed table; then the file gate decides on the whole file, exactly as for
   a file read whole (a gated file keeps its raw rows, and its rejections when
   TOO_MANY_BAD_ROWS; its typed rows go).

Anything that goes wrong rolls the transaction back and rejects this file only (a reason on
its ledger row, nothing else kept), like dgsa.ingest.load. Blank rows at the end of a sheet
are not rows of the file (as for a file read whole): written as they come, dropped at the end.
"""
from __future__ import annotations

import logging
from array import array
from collections import Counter
from pathlib import Path

from dgsa.contract import suites as contract
from dgsa.foundation import config, db
from dgsa.foundation.pii import scrub
from dgsa.ingest import headers, judge, limits, write
from dgsa.ingest.drive import sha256
from dgsa.ingest.file_state import FileRecord, Outcome, Prepared
from dgsa.ingest.ledger import TRANSIENT
from dgsa.ingest.limit_settings import stream_min_bytes     # the limits' scan knows it too (DGSA_MAX_CELLS)
from dgsa.ingest.normalise import Bad
from dgsa.ingest.readers import cell_text
from dgsa.ingest.rows import RowTyper, Typed, classify, raw_json
from dgsa.ingest.stream_judge import Chunk, Gate, file_scope, judge_chunk
from dgsa.ingest.stream_read import Source, open_source

log = logging.getLogger(__name__)
_NONE = -1          # citizen_id codes: -1 none; 13 digits as the number; other text -2, -3, ...


def chunk_rows() -> int:
    return max(1, int(config.float_setting("DGSA_CHUNK_ROWS", 100_000)))


def streams(rec: FileRecord) -> bool:
    """Whether this file version is loaded chunk by chunk (by its size on disk)."""
    return (rec.size_bytes or 0) > stream_min_bytes()


# ---------------------------------------------------------------- the step
def load_streamed(rec: FileRecord, root: Path, url: str | None, run_name: str, pick_sheet, changed) -> Outcome:
    """pick_sheet(workbook, kind, round) and changed(path, rec): dgsa.ingest.load's own (which
    imports this module), so that a file in chunks is recognised exactly as a file read whole."""
    path, info = root / rec.rel_path, {}
    try:
        try:
            source = _open(rec, path)
            info.update(file_format=source.file_format, encoding=source.encoding)
            with db.connection(url) as conn:
                with db.committed(conn), conn.cursor() as cur:
                    o = _Load(rec, path, source, run_name, info, pick_sheet, changed).run(cur)
        except write.WRITE_ERRORS as exc:
            log.warning("file %s: the warehouse refused it: %s: %s", rec.file_id, type(exc).__name__,
                        scrub(str(exc)).splitlines()[0][:200])
            raise Bad("PROCESSING_ERROR", type(exc).__name__) from exc
        except FileNotFoundError as exc:
            raise Bad("FILE_VANISHED") from exc
        except OSError as exc:       # the drive, not the content: tried again at the next run
            raise Bad("FILE_READ_ERROR", exc.strerror or type(exc).__name__) from exc
        except (Bad, contract.ContractError, db.WarehouseUnavailable, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - one file's surprise must not cost the others
            log.warning("file %s: could not be processed: %s: %s", rec.file_id, type(exc).__name__,
                        scrub(str(exc))[:200])
            raise Bad("PROCESSING_ERROR", type(exc).__name__) from exc
    except Bad as bad:        # rolled back: the file is rejected whole, only its ledger row says why
        p = Prepared(rec, info=info)       # what was known of it (format, encoding, header), as a whole read
        p.reject(bad.code, bad.detail)
        with db.connection(url) as conn:
            o = write.write_file(p, conn)
    if o.status != "skipped":
        log.info("file %s %s (in chunks): %s %s read=%s loaded=%s rejected=%s skipped=%s", rec.file_id,
                 rec.rel_path, o.status, o.reason_code or "", o.rows_read, o.rows_loaded, o.rows_rejected,
                 o.rows_skipped)
    return o


def _open(rec: FileRecord, path: Path) -> Source:
    if rec.size_bytes == 0:
        raise Bad("FILE_EMPTY")
    rows = limits.check_file(path)            # size, zip directory, inflated size, shape, lines: in blocks
    if rec.sha256 and sha256(path) != rec.sha256:
        raise Bad("FILE_CHANGED")
    source = open_source(path)
    source.rows_bound = rows                  # no sheet has more rows than this
    return source


class _Load:
    """One file's chunks and what must be known across them."""

    def __init__(self, rec: FileRecord, path: Path, source: Source, run_name: str, info: dict, pick_sheet, changed):
        self.rec, self.path, self.source, self.run_name, self.info = rec, path, source, run_name, info
        self.pick_sheet, self.changed = pick_sheet, changed
        self.rows_read = self.rows_skipped = self.data_rows = self.trailing = 0
        self.last_kept = 0
        self.bad: set[int] = set()             # rejected source rows
        self.cid_reported: set[int] = set()    # rows whose citizen ID cell already has its reason
        self.keys_rows, self.keys_cids = array("q"), array("q")
        self.odd_ids: dict[str, int] = {}
        self.rounds: Counter = Counter()
        self.validation: dict[tuple, list] = {}
        self.too_bad: int | None = None        # one rule already breaks on more rows than the gate allows

    def run(self, cur) -> Outcome:
        rec = self.rec
        cur.execute("""SELECT 1 FROM audit.source_file WHERE file_id = %s AND (status = 'new'
                         OR (status = 'rejected' AND reason_code = ANY(%s))) FOR UPDATE SKIP LOCKED""",
                    (rec.file_id, list(TRANSIENT)))      # as write.write_file claims a file
        if cur.fetchone() is None:
            return Outcome("skipped")
        head = self.source.head(headers.HEADER_SCAN_ROWS)
        picked = self.pick_sheet(head, rec.kind, rec.round_code)
        if picked is None:
            empty = all(not any(v is not None and v != "" for r in g.rows for v in r) for g in head.sheets)
            raise Bad("NO_DATA_ROWS" if empty else "NO_HEADER_ROW")
        grid, match, framework = picked
        header_cells = grid.rows[match.row_index]
        self.info.update(sheet_name=grid.sheet_name, header_row=match.row_index + 1, framework_version=framework,
                         header=[None if v is None or v == "" else cell_text(v) for v in header_cells],
                         column_map=dict(match.columns))
        self.match, self.missing = match, headers.missing_required(match.columns, rec.kind)
        self.typer = RowTyper(rec.kind, match, header_cells, file_id=rec.file_id, folder_province=rec.province_code,
                              received_at=rec.received_at, framework_version=framework, roster_round=rec.round_code)
        params = judge.parameters(cur)
        bound = getattr(self.source, "rows_bound", None)
        self.too_bad_at = None if bound is None else params["max_bad_row_share"] * bound
        self.targets = params["targets"].get(framework, {})
        self.params = {**{k: v for k, v in params.items() if k != "targets"},
                       "levels": params["levels"].get(framework, [])}
        del head, grid
        first, size, chunk = 1, chunk_rows(), []
        for row in self.source.rows(self.info["sheet_name"]):
            chunk.append(row)
            if len(chunk) >= size:
                self._chunk(cur, chunk, first)
                first += len(chunk)
                chunk = []
        if chunk:
            self._chunk(cur, chunk, first)
        return self._finish(cur, params)

    # ------------------------------------------------------------ one chunk
    def _chunk(self, cur, rows: list[list], first: int) -> None:
        typed = self._type(rows, first)
        p = Chunk(self.rec, info=self.info, typed=typed, typer=self.typer, missing=self.missing)
        if typed.columns is not None and not self.missing and self.too_bad is None:
            judge_chunk(cur, p, self.params, self.targets, self.run_name, self.validation, self.too_bad_at)
            write._write_rejections(cur, self.rec.file_id, typed)
            if p.too_bad is not None:         # rejected whole whatever follows: the rest is landed raw only
                self.too_bad = p.too_bad
                write._write_raw(cur, self.rec.file_id, typed)
                return
            write._write_typed(cur, p)
            bad = typed.rejected_rows
            self.bad |= bad
            cols = typed.columns
            self.rounds.update(rnd for rnd, r in zip(cols["round_code"], cols["source_row"]) if r not in bad and rnd)
            label = self.typer.names.get("citizen_id")
            self.cid_reported.update(r.source_row for r in typed.rejections if r.column_name == label)
            self._keep_keys(cols["source_row"], cols["citizen_id"])
        write._write_raw(cur, self.rec.file_id, typed)

    def _type(self, rows: list[list], first: int) -> Typed:
        """rows are sheet rows first, first + 1, ...: classified (title, header, data, blank, total), data typed."""
        out, header_at = Typed(), self.match.row_index + 1
        data, data_rows, kinds = [], [], []
        for n, row in enumerate(rows, first):
            if n <= header_at:
                kinds.append("header" if n == header_at else "title")
                self.last_kept = max(self.last_kept, n)
                continue
            kind = classify(row, self.match)
            kinds.append(kind)
            if kind == "blank":
                self.trailing += 1
            else:
                self.trailing, self.last_kept = 0, n
            if kind == "data":
                data.append(row)
                data_rows.append(n)
        out.rows_read = len(rows) - kinds.count("title") - kinds.count("header")
        out.rows_skipped = out.rows_read - len(data)
        self.rows_read += out.rows_read
        self.rows_skipped += out.rows_skipped
        self.data_rows += len(data)
        out.raw_json, out.raw_rows, out.raw_kinds = raw_json(rows), list(range(first, first + len(rows))), kinds
        out.columns = self.typer.type_rows(data, data_rows) if data else None
        return out

    def _keep_keys(self, source_rows: list[int], cids: list) -> None:
        self.keys_rows.extend(source_rows)
        for c in cids:
            if c is None:
                self.keys_cids.append(_NONE)
            elif len(c) == 13 and c.isascii() and c.isdigit():
                self.keys_cids.append(int(c))
            else:
                self.keys_cids.append(self.odd_ids.setdefault(c, -2 - len(self.odd_ids)))

    # ------------------------------------------------------------ after the last chunk
    def _finish(self, cur, params: dict) -> Outcome:
        rec, fid = self.rec, self.rec.file_id
        if self.trailing:          # blank rows closing the sheet are not rows of the file
            cur.execute("DELETE FROM raw.source_row WHERE file_id = %s AND source_row > %s", (fid, self.last_kept))
            self.rows_read -= self.trailing
            self.rows_skipped -= self.trailing
        if self.data_rows and not self.missing and self.too_bad is None:
            self._file_scope(cur)
        gate = Gate(rec, Typed(rows_read=self.rows_read, rows_skipped=self.rows_skipped), self.missing, self.bad,
                    self.data_rows, self.too_bad)
        judge._judge_gate(cur, [gate], params, self.run_name)
        o = gate.outcome
        table = "core.roster_entry" if rec.kind == "roster" else "core.assessment"
        if o.status == "rejected":
            cur.execute(f"DELETE FROM {table} WHERE file_id = %s", (fid,))
            if o.reason_code != "TOO_MANY_BAD_ROWS":
                cur.execute("DELETE FROM audit.rejected_row WHERE file_id = %s", (fid,))
        elif self.rounds:
            cur.executemany("INSERT INTO audit.file_round (file_id, round_code, rows_loaded) VALUES (%s, %s, %s)",
                            [(fid, rnd, n) for rnd, n in sorted(self.rounds.items()) if n > 0])
        db.copy_rows(cur, "audit.validation_result", judge.VALIDATION_RESULT_COLUMNS,
                     [tuple(v) for v in self.validation.values()] + gate.validation)
        if self.changed(self.path, rec):           # written to while we read it: not this version (rolled back)
            raise Bad("FILE_CHANGED")
        write._finish(cur, rec, o, self.info)
        return o

    def _file_scope(self, cur) -> None:
        """The rules of file scope (one row per person per file) over the whole file's keys."""
        import numpy as np  # noqa: PLC0415
        import pandas as pd  # noqa: PLC0415

        suite, fid = f"{self.rec.kind}_rows", self.rec.file_id
        scoped = file_scope(suite)
        if not scoped:
            return
        cids = np.frombuffer(self.keys_cids, dtype=np.int64)
        frame = pd.DataFrame({"file_id": np.full(len(cids), fid, dtype=np.int64),
                              "source_row": np.frombuffer(self.keys_rows, dtype=np.int64),
                              "citizen_id": pd.array(cids, dtype="Int64")})
        frame.loc[cids == _NONE, "citizen_id"] = pd.NA
        self.keys_rows, self.keys_cids, self.odd_ids = array("q"), array("q"), {}
        result = contract.validate_frame(suite, frame, self.params, only=frozenset(scoped))
        del frame
        vid = contract.record_run(cur, run_name=self.run_name, suite_name=suite, result=result,
                                  target=f"{self.rec.kind} file {fid} (whole file)")
        j = self.typer.cols["citizen_id"]
        label = self.typer.names.get("citizen_id")
        table = "core.roster_entry" if self.rec.kind == "roster" else "core.assessment"
        for v in contract.verdicts(result):
            failing = sorted({key["source_row"] for key in v.failing})
            self.validation[(suite, v.position + 1)] = [vid, fid, suite, v.position + 1, v.type, v.column,
                                                        v.meta.get("reason_code"), not failing, self.data_rows,
                                                        len(failing)]
            new = [r for r in failing if r not in self.cid_reported]   # one cell, one reason (suite order)
            if not new:
                continue
            cur.execute("SELECT source_row, cells->>%s FROM raw.source_row WHERE file_id = %s AND source_row = ANY(%s)",
                        (j, fid, new))
            cells = dict(cur.fetchall())
            db.copy_rows(cur, "audit.rejected_row", ("file_id", "source_row", "reason_code", "column_name", "raw_value",
                                                     "message_th", "message_en"),
                         ((fid, r, v.meta["reason_code"], label, self.typer.mask("citizen_id", cells.get(r)),
                           *(judge._message(v.meta[m], label or "", v.meta.get("detail", "").format(
                               file_id=fid, source_row=r)) for m in ("message_th", "message_en"))) for r in new))
            self.cid_reported.update(new)
            cur.execute(f"DELETE FROM {table} WHERE file_id = %s AND source_row = ANY(%s) RETURNING round_code",
                        (fid, new))
            self.rounds.subtract(rnd for (rnd,) in cur.fetchall() if rnd)
            self.bad.update(new)


