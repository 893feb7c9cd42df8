"""The limits' settings (DGSA_MAX_*: environment, else the documented default) and the checks
that need nothing but numbers: a file's size, a sheet's shape, a read grid's cells. The
table of limits is in dgsa.ingest.limits."""
from __future__ import annotations

import os

from dgsa.ingest.normalise import Bad

MB = 1_000_000
MIB = 1 << 20
BLOCK = MIB                         # read/inflate in blocks of this many bytes
RATIO_MIN_BYTES = MIB               # members smaller than this are never judged by their ratio

CODES = ("TOO_LARGE", "ZIP_BOMB", "TOO_MANY_COLUMNS", "TOO_MANY_ROWS", "TOO_MANY_CELLS", "CELL_TOO_LONG",
         "LINE_TOO_LONG")

# A file's length is not a memory question any more: a file over DGSA_STREAM_MIN_BYTES is read,
# typed, judged and written in chunks of DGSA_CHUNK_ROWS (dgsa.ingest.stream_load; a CSV and an
# xlsx/xlsm sheet are streamed, dgsa.ingest.stream_read). What stays bounded is what a file may
# cost in time (bytes, inflated bytes, rows) and what is held at once: one line or cell, and
# DGSA_MAX_CELLS, the cells held whole: the grid calamine builds for one sheet of a file read
# whole (any file up to DGSA_STREAM_MIN_BYTES, and an .xls of any size: rows x columns) and the
# shared strings of a workbook (entries, both paths). A streamed xlsx sheet is not held, so its
# rows x columns are bounded by DGSA_MAX_ROWS, DGSA_MAX_COLUMNS and DGSA_MAX_UNCOMPRESSED_BYTES,
# not by DGSA_MAX_CELLS: a 2,200,000-row roster workbook loads with the defaults.
DEFAULTS = {
    "DGSA_MAX_FILE_BYTES": 1000 * MB,           # a 2,200,000-row roster as CSV is ~0.4 GB
    "DGSA_MAX_UNCOMPRESSED_BYTES": 2048 * MIB,  # a full Excel sheet (1,048,576 rows) of a roster: ~0.8 GiB of XML
    "DGSA_MAX_COMPRESSION_RATIO": 100,
    "DGSA_MAX_ZIP_ENTRIES": 10_000,
    "DGSA_MAX_COLUMNS": 500,
    "DGSA_MAX_ROWS": 10_000_000,                # rows of a sheet or lines of a CSV: time, not memory
    "DGSA_MAX_CELLS": 12_000_000,               # cells held whole: calamine's grid of a sheet, shared strings
    "DGSA_MAX_CELL_CHARS": 32_767,
    "DGSA_MAX_LINE_CHARS": 100_000,
}


def setting(name: str) -> int:
    """A limit's value: the environment variable, else its default (read at every call, so a
    changed setting takes effect without a restart). A limit must be a positive number."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return int(DEFAULTS[name])
    value = int(float(raw))
    if value <= 0:
        from dgsa.foundation.config import ConfigError  # noqa: PLC0415

        raise ConfigError(f"{name}={raw}: a limit must be a positive number (default {DEFAULTS[name]})")
    return value


def max_file_bytes() -> int:
    return setting("DGSA_MAX_FILE_BYTES")


def max_uncompressed_bytes() -> int:
    return setting("DGSA_MAX_UNCOMPRESSED_BYTES")


def max_compression_ratio() -> int:
    return setting("DGSA_MAX_COMPRESSION_RATIO")


def max_zip_entries() -> int:
    return setting("DGSA_MAX_ZIP_ENTRIES")


def max_columns() -> int:
    return setting("DGSA_MAX_COLUMNS")


def max_rows() -> int:
    return setting("DGSA_MAX_ROWS")


def max_cells() -> int:
    """DGSA_MAX_CELLS: the most cells held in memory at once for one file: rows x columns of a
    sheet that calamine reads whole (a file up to DGSA_STREAM_MIN_BYTES, or an .xls), and the
    entries of a workbook's shared strings. A sheet streamed from a big xlsx/xlsm is never held
    whole: its rows and columns have their own limits, and its cells do not count here."""
    return setting("DGSA_MAX_CELLS")


def stream_min_bytes() -> int:
    """DGSA_STREAM_MIN_BYTES (default 8,000,000): a file larger than this on disk is read as a
    stream, chunk by chunk (dgsa.ingest.stream_load), not whole."""
    return int(float(os.environ.get("DGSA_STREAM_MIN_BYTES") or 8_000_000))


def max_cell_chars() -> int:
    return setting("DGSA_MAX_CELL_CHARS")


def max_line_chars() -> int:
    return setting("DGSA_MAX_LINE_CHARS")


def limits() -> dict[str, int]:
    """Every limit in force (for logs and the run summary)."""
    return {name: setting(name) for name in DEFAULTS}


def over(code: str, what: str, name: str) -> Bad:
    return Bad(code, f"{what}; limit {name}={setting(name)}")


def check_size(size: int) -> None:
    """A file's size in bytes (os.stat().st_size) against DGSA_MAX_FILE_BYTES."""
    if size > max_file_bytes():
        raise over("TOO_LARGE", f"file has {size} bytes", "DGSA_MAX_FILE_BYTES")


def check_sheet_shape(height: int, width: int, sheet: str | None = None) -> None:
    """A sheet's shape as calamine reports it (sheet.height, sheet.width) before its cells are
    turned into Python objects: rows, columns and rows x columns (the grid calamine holds) must
    be within the limits."""
    where = f"sheet {sheet!r}" if sheet else "sheet"
    if width > max_columns():
        raise over("TOO_MANY_COLUMNS", f"{where} has {width} columns", "DGSA_MAX_COLUMNS")
    if height > max_rows():
        raise over("TOO_MANY_ROWS", f"{where} has {height} rows", "DGSA_MAX_ROWS")
    if height * width > max_cells():
        raise over("TOO_MANY_CELLS", f"{where} has {height} x {width} = {height * width} cells",
                    "DGSA_MAX_CELLS")


def check_grid(rows) -> None:
    """Exact check of cell lengths on a read grid (a list of rows): CELL_TOO_LONG for a text
    cell over DGSA_MAX_CELL_CHARS. Cheap next to typing (one len() per text cell)."""
    limit = max_cell_chars()
    for i, row in enumerate(rows, 1):
        for j, v in enumerate(row, 1):
            if isinstance(v, str) and len(v) > limit:
                raise over("CELL_TOO_LONG", f"cell {column_name(j)}{i} has {len(v)} characters",
                            "DGSA_MAX_CELL_CHARS")


def column_name(n: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def column_number(letters: bytes | str) -> int:
    """A -> 1, AA -> 27, XFD -> 16384."""
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        n = n * 26 + ord(ch) - 64
    return n
