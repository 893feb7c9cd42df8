"""Load file versions: read, find the header, type the rows (dgsa.ingest.rows), let the data
contract judge them (dgsa.contract.suites: the GX suites in expectations/), then write each file in
ONE transaction (raw rows, typed rows, rejections, ledger update): all or nothing per file.

One file never costs the others: anything that goes wrong while reading, typing or judging
a file, or a value the warehouse refuses while writing it, rejects THAT file with a reason
(dgsa.ingest.limits bounds what a file may cost before it is parsed). Only what is not about a file
(the warehouse unreachable, a suite that cannot be evaluated on any file, a MemoryError) fails
the step. A failure that may pass (ledger.TRANSIENT: the file vanished or changed while read, an
OS error reading it, an error processing it) is read again by the next load of its province.

Files read whole are read and typed ahead by worker processes when the load is big enough
(dgsa.ingest.prepare_pool: DGSA_PREPARE_PROCESSES, default the usable cores less one), and taken in the
same order: the batches, verdicts and transactions are those of a load prepared in process.

Files are judged in batches (every waiting file of the provinces given, up to
DGSA_VALIDATION_BATCH_ROWS data rows) because every GX validation has a fixed cost; each
record carries (file_id, source_row), so verdicts map back to exact rows.

    python -m dgsa.ingest.load FILE_ID [FILE_ID ...]     # (re)load waiting ledger entries (new, or a transient failure)
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import time
from pathlib import Path

from dgsa.foundation import config, db, progress
from dgsa.contract import suites as contract
from dgsa.ingest import headers, limits, prepare_pool, readers, stream_load
from dgsa.ingest.judge import judge
from dgsa.ingest.ledger import TRANSIENT
from dgsa.ingest.normalise import Bad
from dgsa.foundation.pii import scrub
from dgsa.ingest.file_state import FileRecord, Outcome, Prepared
from dgsa.ingest.rows import RowTyper, type_grid
from dgsa.ingest.write import WRITE_ERRORS, write_file

log = logging.getLogger(__name__)

# seconds spent per phase by this process (task logs, XComs and the benchmark read them); read and type
# include its prepare workers' (dgsa.ingest.prepare_pool), summed: they may add up to more than the wall time
TIMING = {"read": 0.0, "type": 0.0, "validate": 0.0, "write": 0.0}


def _framework_for(kind: str, round_code: str | None) -> list[str]:
    """The framework versions a file may be read under: its round's (a roster), else every version
    a configured round names, oldest round first (on a tie the older version wins: a row is
    translated forward into its round's version through ref.skill_map, never backward)."""
    if round_code:
        return [next(r["framework_version"] for r in config.rounds() if r["round"] == round_code)]
    return list(dict.fromkeys(r["framework_version"] for r in config.rounds()))


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
        cur.execute("""SELECT file_id, rel_path, kind, province_code, round_code, received_at, size_bytes, sha256,
                              modified_at
                       FROM audit.source_file WHERE file_id = ANY(%s) AND (status = 'new'
                         OR (status = 'rejected' AND reason_code = ANY(%s))) ORDER BY file_id""",
                    (list(file_ids), list(TRANSIENT)))
        records = [FileRecord(*r) for r in cur.fetchall()]
    progress.start("load", progress.label_for(sorted({r.province_code for r in records if r.province_code})),
                   len(records))
    outcomes: list[Outcome] = []
    batch: list[Prepared] = []
    # the files read whole are read and typed ahead by worker processes, when that pays (prepare_pool)
    pool = prepare_pool.start([r for r in records if not stream_load.streams(r)], root, prepare, TIMING)
    try:
        for rec in records:
            if stream_load.streams(rec):      # a big file: read, judged and written chunk by chunk, alone
                outcomes.append(stream_load.load_streamed(rec, root, url, run_name, _pick_sheet, _changed))
                continue
            batch.append(pool.take(rec) if pool else prepare(rec, root))
            progress.tick(read_rows=batch[-1].data_rows)
            if sum(p.data_rows for p in batch) >= batch_rows():
                outcomes += _judge_and_write(batch, url, run_name)
                batch = []
    finally:
        if pool:
            pool.close()
    if batch:
        outcomes += _judge_and_write(batch, url, run_name)
    progress.finish()
    return outcomes


def load_file(file_id: int, root: Path, url: str | None = None) -> Outcome:
    outcomes = load_files([file_id], root, url)
    return outcomes[0] if outcomes else Outcome("skipped")


def _judge_and_write(batch: list[Prepared], url: str | None, run_name: str) -> list[Outcome]:
    started = time.perf_counter()
    judge(batch, url, run_name)
    TIMING["validate"] += time.perf_counter() - started
    started = time.perf_counter()
    try:
        with db.connection(url) as conn:
            return [write(p, conn) for p in batch]
    finally:
        TIMING["write"] += time.perf_counter() - started


def prepare(rec: FileRecord, root: Path) -> Prepared:
    """Read the file and type its rows; decide only what needs no rule (unreadable, no header,
    over a limit). Whatever goes wrong here rejects this file only."""
    p = Prepared(rec)
    try:
        _prepare(p, root)
    except Bad as bad:
        p.reject(bad.code, bad.detail)
    except FileNotFoundError:
        p.reject("FILE_VANISHED")
    except OSError as exc:       # the drive, not the content: tried again at the next run
        p.reject("FILE_READ_ERROR", exc.strerror or type(exc).__name__)
    except MemoryError:
        raise                    # the worker is out of memory: fail the task, never reject the file for it
    except Exception as exc:  # noqa: BLE001 - one file's surprise must not cost the others
        log.warning("file %s: could not be processed: %s: %s", rec.file_id, type(exc).__name__,
                    scrub(str(exc))[:200], exc_info=config.float_setting("DGSA_DEBUG", 0) > 0)
        p.reject("PROCESSING_ERROR", type(exc).__name__)
    return p


def _prepare(p: Prepared, root: Path) -> None:
    rec = p.rec
    if rec.size_bytes == 0:
        raise Bad("FILE_EMPTY")
    started = time.perf_counter()
    path = root / rec.rel_path
    limits.check_size(path.stat().st_size)          # before a byte is read
    data = path.read_bytes()
    if rec.sha256 and hashlib.sha256(data).hexdigest() != rec.sha256:
        raise Bad("FILE_CHANGED")      # not the version the ledger recorded: the next scan takes the new one
    limits.check_bytes(data, path.name)             # zip directory, inflated size, sheet shape, lines: before parsing
    book = readers.read_bytes(data, path.name, clean=False)   # "" is an empty cell from here on
    del data
    if _changed(path, rec):                         # written to while we read it: not this version
        raise Bad("FILE_CHANGED")
    TIMING["read"] += time.perf_counter() - started
    started = time.perf_counter()
    p.info.update(file_format=book.file_format, encoding=book.encoding)
    picked = _pick_sheet(book, rec.kind, rec.round_code)
    if picked is None:
        empty = all(not any(v is not None and v != "" for r in g.rows for v in r) for g in book.sheets)
        raise Bad("NO_DATA_ROWS" if empty else "NO_HEADER_ROW")
    grid, match, framework = picked
    del book
    header_cells = grid.rows[match.row_index]
    p.info.update(sheet_name=grid.sheet_name, header_row=match.row_index + 1, framework_version=framework,
                  header=[None if v is None or v == "" else readers.cell_text(v) for v in header_cells],
                  column_map={f: j for f, j in match.columns.items()})
    p.missing = headers.missing_required(match.columns, rec.kind)
    p.typer = RowTyper(rec.kind, match, header_cells, file_id=rec.file_id, folder_province=rec.province_code,
                       received_at=rec.received_at, framework_version=framework, roster_round=rec.round_code)
    p.typed = type_grid(grid.rows, match, p.typer)
    TIMING["type"] += time.perf_counter() - started


def _changed(path: Path, rec: FileRecord) -> bool:
    """The file on disk is no longer the version the ledger recorded (size or mtime moved)."""
    from dgsa.ingest.drive import _mtime, sha256  # noqa: PLC0415

    st = path.stat()
    if rec.modified_at is None or (st.st_size, _mtime(st)) == (rec.size_bytes, rec.modified_at):
        return False
    return sha256(path) != rec.sha256          # only touched (same bytes): still this version


def write(p: Prepared, conn) -> Outcome:
    """One transaction per file; a file another run has taken meanwhile is left alone. A value
    the warehouse refuses rejects this file (and nothing of it is kept but its ledger row)."""
    try:
        o = write_file(p, conn)
    except WRITE_ERRORS as exc:
        log.warning("file %s: the warehouse refused it: %s: %s", p.rec.file_id, type(exc).__name__,
                    scrub(str(exc)).splitlines()[0][:200])
        p.reject("PROCESSING_ERROR", type(exc).__name__)
        o = write_file(p, conn)
    progress.tick(written_rows=o.rows_loaded + o.rows_rejected)
    if o.status != "skipped":
        log.info("file %s %s: %s %s read=%s loaded=%s rejected=%s skipped=%s", p.rec.file_id, p.rec.rel_path,
                 o.status, o.reason_code or "", o.rows_read, o.rows_loaded, o.rows_rejected, o.rows_skipped)
    return o


def timing() -> dict:
    """Seconds per phase so far in this process, with GX's own share of validation."""
    return {**{f"seconds_{k}": round(v, 2) for k, v in TIMING.items()},
            "gx_validate_seconds": round(contract.TIMING["validate_seconds"], 2)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file_ids", nargs="+", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    for outcome in load_files(args.file_ids, config.drive_path()):
        print(outcome)


if __name__ == "__main__":
    main()
