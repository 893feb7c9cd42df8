"""What one file may cost: every bound checked BEFORE the expensive work (calamine, csv,
pandas), so that memory and time are bounded by configuration, not by what a province uploads.

Each bound is a setting (environment variable) with a documented default; a file over a
bound raises `Bad(code, detail)` (dgsa.ingest.normalise.Bad, the readers' rejection) whose detail
names the limit and its value, e.g. "sheet has 16384 columns; limit DGSA_MAX_COLUMNS=500".

| setting | default | code | checked by |
|---|---|---|---|
| DGSA_MAX_FILE_BYTES | 1000 MB | TOO_LARGE | check_file: os.stat, before reading a byte |
| DGSA_MAX_UNCOMPRESSED_BYTES | 2048 MiB | TOO_LARGE | check_xlsx: the zip central directory, then the real inflated size |
| DGSA_MAX_COMPRESSION_RATIO | 100 | ZIP_BOMB | check_xlsx: per zip member over 1 MiB, and a member inflating past its declared size |
| DGSA_MAX_ZIP_ENTRIES | 10000 | ZIP_BOMB | check_xlsx: end-of-central-directory record, before the directory is read |
| DGSA_MAX_COLUMNS | 500 | TOO_MANY_COLUMNS | check_xlsx (cell refs), check_csv_stream, check_sheet_shape |
| DGSA_MAX_ROWS | 10000000 | TOO_MANY_ROWS | check_xlsx (row refs), check_csv_stream, check_sheet_shape |
| DGSA_MAX_CELLS | 12000000 | TOO_MANY_CELLS | cells held at once: a sheet calamine reads whole (small file, .xls), shared strings; not a streamed sheet or CSV |
| DGSA_MAX_CELL_CHARS | 32767 | CELL_TOO_LONG | check_xlsx (text runs), check_csv_stream (fields), check_grid |
| DGSA_MAX_LINE_CHARS | 100000 | LINE_TOO_LONG | check_csv_stream, byte-wise in 1 MiB blocks, before decoding the file |

Why these defaults: a real submission has ~20-40 columns and tens to low hundreds of rows;
the ministry's roster may hold every civil servant (2,200,000 rows: CSV, as an Excel sheet
stops at 1,048,576). A file's length costs time, not memory: a file over DGSA_STREAM_MIN_BYTES
is read, typed, judged and written DGSA_CHUNK_ROWS rows at a time (dgsa.ingest.stream_load), so
the row and byte limits are set far above an honest roster and only stop absurd files.
32,767 is Excel's own limit of characters in a cell; 100,000 characters per CSV line stays
under the csv module's field limit (131,072). The cells bound is what keeps calamine's dense
grid of one Excel sheet (rows x columns, up to ~1 GB at 12,000,000 cells) and the chunk's
Python cells under the memory budget (peak RSS < 1.5 GiB: docs/benchmarks.md, docs/reliability.md).

Pure functions, no database: the loader (dgsa.ingest.load / dgsa.ingest.readers) calls

    check_file(path)                 # size, then by content: check_xlsx / check_csv_stream
    check_size(n); check_bytes(data, name)   # the same on bytes already read (what is hashed is checked)
    check_sheet_shape(height, width) # calamine sheet .height/.width before to_python()
    check_grid(rows)                 # optional exact check of cell lengths after reading
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

from dgsa.ingest.formats import CSV_SUFFIXES, EMPTY_ZIP_MAGIC, ZIP_MAGIC
from dgsa.ingest.limit_csv import check_csv_stream
from dgsa.ingest.limit_settings import (CODES, DEFAULTS, check_grid, check_sheet_shape, check_size,  # noqa: F401
                                        column_name, column_number, limits, max_cell_chars, max_cells,
                                        max_columns, max_compression_ratio, max_file_bytes, max_line_chars,
                                        max_rows, max_uncompressed_bytes, max_zip_entries, setting)
from dgsa.ingest.limit_xlsx import check_xlsx

# the checks by what they bound: limit_settings (size, sheet shape, cells), limit_xlsx (zip/xlsx),
# limit_csv (CSV); this module is the loader's entry point and names them all


def check_file(path: Path) -> int | None:
    """Everything that can be known about a file's cost without parsing it: its size on disk,
    then by its first bytes: a zip (xlsx/xlsm) through check_xlsx, a CSV through
    check_csv_stream. Legacy .xls (OLE) is bounded by its size and check_sheet_shape.
    Raises Bad(TOO_LARGE | ZIP_BOMB | TOO_MANY_COLUMNS | TOO_MANY_ROWS | TOO_MANY_CELLS |
    CELL_TOO_LONG | LINE_TOO_LONG | FILE_UNREADABLE); OSError passes through. Returns an upper
    bound of any sheet's rows (None for .xls)."""
    path = Path(path)
    check_size(os.stat(path).st_size)
    with open(path, "rb") as fh:
        return _check_content(fh, path.name)


def check_bytes(data: bytes, name: str) -> None:
    """check_file on bytes already in memory (the loader checks the very bytes it hashed and
    will parse); `name` gives the format by its suffix. Call check_size(stat_size) before
    reading a file into memory."""
    check_size(len(data))
    _check_content(io.BytesIO(data), name)


def _check_content(fh: BinaryIO, name: str) -> int | None:
    if Path(name).suffix.lower() in CSV_SUFFIXES:
        return check_csv_stream(fh)
    head = fh.read(4)
    fh.seek(0)
    if head in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        return check_xlsx(fh)
    return None
