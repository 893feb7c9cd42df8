"""What one file may cost: every bound checked BEFORE the expensive work (calamine, csv,
pandas), so that memory and time are bounded by configuration, not by what a province uploads.

Each bound is a setting (environment variable) with a documented default; a file over a
bound raises `Bad(code, detail)` (dgsa.normalise.Bad, the readers' rejection) whose detail
names the limit and its value, e.g. "sheet has 16384 columns; limit DGSA_MAX_COLUMNS=500".

| setting | default | code | checked by |
|---|---|---|---|
| DGSA_MAX_FILE_BYTES | 100 MB | TOO_LARGE | check_file: os.stat, before reading a byte |
| DGSA_MAX_UNCOMPRESSED_BYTES | 512 MiB | TOO_LARGE | check_xlsx: the zip central directory, then the real inflated size |
| DGSA_MAX_COMPRESSION_RATIO | 100 | ZIP_BOMB | check_xlsx: per zip member over 1 MiB, and a member inflating past its declared size |
| DGSA_MAX_ZIP_ENTRIES | 10000 | ZIP_BOMB | check_xlsx: end-of-central-directory record, before the directory is read |
| DGSA_MAX_COLUMNS | 500 | TOO_MANY_COLUMNS | check_xlsx (cell refs), check_csv_stream, check_sheet_shape |
| DGSA_MAX_ROWS | 250000 | TOO_MANY_ROWS | check_xlsx (row refs), check_csv_stream, check_sheet_shape |
| DGSA_MAX_CELLS | 5000000 | TOO_MANY_CELLS | rows x columns of a sheet (what calamine materialises) |
| DGSA_MAX_CELL_CHARS | 32767 | CELL_TOO_LONG | check_xlsx (text runs), check_csv_stream (fields), check_grid |
| DGSA_MAX_LINE_CHARS | 100000 | LINE_TOO_LONG | check_csv_stream, byte-wise in 1 MiB blocks, before decoding the file |

Why these defaults: a real submission has ~20-40 columns and tens to low hundreds of rows;
OPS MOI's whole roster is ~10,000 rows. 32,767 is Excel's own limit of characters in a
cell; 100,000 characters per CSV line stays under the csv module's field limit (131,072).
The sheet-size bounds (rows, columns, cells) are what keep calamine's dense grid and the
Python cells under the memory budget (peak RSS < 1.5 GiB with any file: see
docs/reliability.md for the measurement).

Pure functions, no database: the loader (dgsa.load / dgsa.readers) calls

    check_file(path)                 # size, then by content: check_xlsx / check_csv_stream
    check_size(n); check_bytes(data, name)   # the same on bytes already read (what is hashed is checked)
    check_sheet_shape(height, width) # calamine sheet .height/.width before to_python()
    check_grid(rows)                 # optional exact check of cell lengths after reading
"""
from __future__ import annotations

import codecs
import copy
import io
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dgsa.normalise import Bad

MB = 1_000_000
MIB = 1 << 20
BLOCK = MIB                         # read/inflate in blocks of this many bytes
RATIO_MIN_BYTES = MIB               # members smaller than this are never judged by their ratio
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"

CODES = ("TOO_LARGE", "ZIP_BOMB", "TOO_MANY_COLUMNS", "TOO_MANY_ROWS", "TOO_MANY_CELLS", "CELL_TOO_LONG",
         "LINE_TOO_LONG")

DEFAULTS = {
    "DGSA_MAX_FILE_BYTES": 100 * MB,
    "DGSA_MAX_UNCOMPRESSED_BYTES": 512 * MIB,
    "DGSA_MAX_COMPRESSION_RATIO": 100,
    "DGSA_MAX_ZIP_ENTRIES": 10_000,
    "DGSA_MAX_COLUMNS": 500,
    "DGSA_MAX_ROWS": 250_000,
    "DGSA_MAX_CELLS": 5_000_000,
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
        from dgsa.config import ConfigError  # noqa: PLC0415

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
    return setting("DGSA_MAX_CELLS")


def max_cell_chars() -> int:
    return setting("DGSA_MAX_CELL_CHARS")


def max_line_chars() -> int:
    return setting("DGSA_MAX_LINE_CHARS")


def limits() -> dict[str, int]:
    """Every limit in force (for logs and the run summary)."""
    return {name: setting(name) for name in DEFAULTS}


def _over(code: str, what: str, name: str) -> Bad:
    return Bad(code, f"{what}; limit {name}={setting(name)}")


# ---------------------------------------------------------------- the entry point
def check_file(path: Path) -> None:
    """Everything that can be known about a file's cost without parsing it: its size on disk,
    then by its first bytes: a zip (xlsx/xlsm) through check_xlsx, a CSV through
    check_csv_stream. Legacy .xls (OLE) is bounded by its size and check_sheet_shape.
    Raises Bad(TOO_LARGE | ZIP_BOMB | TOO_MANY_COLUMNS | TOO_MANY_ROWS | TOO_MANY_CELLS |
    CELL_TOO_LONG | LINE_TOO_LONG | FILE_UNREADABLE); OSError passes through."""
    path = Path(path)
    check_size(os.stat(path).st_size)
    with open(path, "rb") as fh:
        _check_content(fh, path.name)


def check_bytes(data: bytes, name: str) -> None:
    """check_file on bytes already in memory (the loader checks the very bytes it hashed and
    will parse); `name` gives the format by its suffix. Call check_size(stat_size) before
    reading a file into memory."""
    check_size(len(data))
    _check_content(io.BytesIO(data), name)


def check_size(size: int) -> None:
    """A file's size in bytes (os.stat().st_size) against DGSA_MAX_FILE_BYTES."""
    if size > max_file_bytes():
        raise _over("TOO_LARGE", f"file has {size} bytes", "DGSA_MAX_FILE_BYTES")


def _check_content(fh: BinaryIO, name: str) -> None:
    from dgsa.readers import CSV_SUFFIXES  # noqa: PLC0415 - readers imports nothing of ours but Bad

    if Path(name).suffix.lower() in CSV_SUFFIXES:
        check_csv_stream(fh)
        return
    head = fh.read(4)
    fh.seek(0)
    if head in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        check_xlsx(fh)


# ---------------------------------------------------------------- sheets
def check_sheet_shape(height: int, width: int, sheet: str | None = None) -> None:
    """A sheet's shape as calamine reports it (sheet.height, sheet.width) before its cells are
    turned into Python objects: rows, columns and rows x columns must be within the limits."""
    where = f"sheet {sheet!r}" if sheet else "sheet"
    if width > max_columns():
        raise _over("TOO_MANY_COLUMNS", f"{where} has {width} columns", "DGSA_MAX_COLUMNS")
    if height > max_rows():
        raise _over("TOO_MANY_ROWS", f"{where} has {height} rows", "DGSA_MAX_ROWS")
    if height * width > max_cells():
        raise _over("TOO_MANY_CELLS", f"{where} has {height} x {width} = {height * width} cells",
                    "DGSA_MAX_CELLS")


def check_grid(rows) -> None:
    """Exact check of cell lengths on a read grid (a list of rows): CELL_TOO_LONG for a text
    cell over DGSA_MAX_CELL_CHARS. Cheap next to typing (one len() per text cell)."""
    limit = max_cell_chars()
    for i, row in enumerate(rows, 1):
        for j, v in enumerate(row, 1):
            if isinstance(v, str) and len(v) > limit:
                raise _over("CELL_TOO_LONG", f"cell {column_name(j)}{i} has {len(v)} characters",
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


# ---------------------------------------------------------------- xlsx (zip)
def _eocd_entries(fh: BinaryIO) -> int | None:
    """Number of entries the zip's end-of-central-directory record declares (None if absent),
    read from the file's last 64 KiB: known before zipfile builds one object per entry."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - (1 << 16) - 22))
    tail = fh.read()
    fh.seek(0)
    at = tail.rfind(EMPTY_ZIP_MAGIC)
    if at < 0 or len(tail) < at + 22:
        return None
    entries = struct.unpack("<H", tail[at + 10:at + 12])[0]
    if entries == 0xFFFF:   # zip64: the real count is in the zip64 record; take it as "many"
        at64 = tail.rfind(b"PK\x06\x06")
        if at64 >= 0 and len(tail) >= at64 + 40:
            return struct.unpack("<Q", tail[at64 + 32:at64 + 40])[0]
    return entries


_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,4})(\d{1,8})"[^>]*?(/?)>')       # (column, row, "/" if empty)
_ANY_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")                    # (attributes, "/" if empty)
_REF_IN_ATTRS = re.compile(rb'\br="([A-Z]{1,4})(\d{1,8})"')


@dataclass
class SheetShape:
    rows: int = 0        # highest row number of a cell that holds something
    columns: int = 0     # highest column number in a cell reference
    cells: int = 0       # <c> elements that hold something
    row_tags: int = 0    # <row> elements (rows without an r attribute count too)


def check_xlsx(source: Path | BinaryIO) -> None:
    """An xlsx/xlsm (a zip) before any XML is parsed:
    1. entries declared in the end-of-central-directory record (DGSA_MAX_ZIP_ENTRIES);
    2. from the central directory: each member's compression ratio (DGSA_MAX_COMPRESSION_RATIO,
       members over 1 MiB) and the total uncompressed size (DGSA_MAX_UNCOMPRESSED_BYTES);
    3. then every member is inflated in 1 MiB blocks, never kept, to catch a directory that
       lies (a member inflating past its declared size is a ZIP_BOMB); while the worksheets
       stream by, their shape (rows, columns, cells) and their longest text run (a cell's
       characters) are measured, since calamine would build a dense rows x columns grid.
    Memory: one block plus a bounded carry-over. Time: bounded by the uncompressed limit.
    `source`: a path or a seekable binary file object."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            check_xlsx(fh)
        return
    entries = _eocd_entries(source)
    if entries is not None and entries > max_zip_entries():
        raise _over("ZIP_BOMB", f"zip declares {entries} entries", "DGSA_MAX_ZIP_ENTRIES")
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise Bad("FILE_UNREADABLE", f"not a valid xlsx (zip): {exc}") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > max_zip_entries():
            raise _over("ZIP_BOMB", f"zip has {len(infos)} entries", "DGSA_MAX_ZIP_ENTRIES")
        ratio_limit = max_compression_ratio()
        for info in infos:
            if info.file_size > RATIO_MIN_BYTES and info.file_size > ratio_limit * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise _over("ZIP_BOMB", f"{info.filename} inflates {ratio:.0f}x ({info.compress_size} -> "
                                        f"{info.file_size} bytes)", "DGSA_MAX_COMPRESSION_RATIO")
        declared = sum(i.file_size for i in infos)
        if declared > max_uncompressed_bytes():
            raise _over("TOO_LARGE", f"xlsx holds {declared} bytes uncompressed", "DGSA_MAX_UNCOMPRESSED_BYTES")
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            total = _inflate_member(zf, info, total)


def _inflate_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, total: int) -> int:
    """Inflate one member block by block (never more than the limits allow); measure sheets."""
    limit = max_uncompressed_bytes()
    ratio_limit = max_compression_ratio()
    name = info.filename.lower()
    is_sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
    is_text = is_sheet or name.endswith("sharedstrings.xml")
    # let zipfile read past the declared size (up to the limit) so a lying directory shows
    probe = copy.copy(info)
    probe.file_size = limit - total + 1
    shape, scan = SheetShape(), _TextScan(max_cell_chars()) if is_text else None
    carry = b""
    inflated = 0
    try:
        with zf.open(probe) as fh:
            while True:
                block = fh.read(BLOCK)
                if not block:
                    break
                inflated += len(block)
                if total + inflated > limit:
                    raise _over("TOO_LARGE", f"xlsx inflates to more than {total + inflated - len(block)} bytes "
                                             f"(at {info.filename})", "DGSA_MAX_UNCOMPRESSED_BYTES")
                if inflated > info.file_size:
                    raise _over("ZIP_BOMB", f"{info.filename} inflates past its declared {info.file_size} bytes",
                                "DGSA_MAX_COMPRESSION_RATIO")
                if inflated > RATIO_MIN_BYTES and inflated > ratio_limit * max(info.compress_size, 1):
                    raise _over("ZIP_BOMB", f"{info.filename} inflates more than "
                                            f"{inflated // max(info.compress_size, 1)}x", "DGSA_MAX_COMPRESSION_RATIO")
                if scan is not None:
                    scan.feed(block)
                if is_sheet:
                    data = carry + block
                    cut = data.rfind(b"<")
                    if cut <= 0 or len(data) - cut > 4096:
                        cut = len(data)
                    _measure(data[:cut], shape, info.filename)
                    carry = data[cut:]
    except Bad:
        raise
    except zipfile.BadZipFile as exc:
        raise Bad("FILE_UNREADABLE", f"{info.filename}: {exc}") from exc
    except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise Bad("FILE_UNREADABLE", f"{info.filename}: {type(exc).__name__}") from exc
    if is_sheet and carry:
        _measure(carry, shape, info.filename)
    if scan is not None:
        scan.finish()
    return total + inflated


def _measure(data: bytes, shape: SheetShape, member: str) -> None:
    # Only cells that hold something count: calamine skips a formatted empty cell
    # (`<c r="O1048576" s="2"/>`, a sheet "formatted to the last row"), so such cells and
    # their rows cost nothing and must not reject the file. Excel and openpyxl write
    # `<c r="B7" ...>`: a plain pattern finds those fast; any other layout (namespaces, r not
    # first, no r) takes the general pattern. Python runs over what is distinct only.
    cell_tags = data.count(b"<c ") + data.count(b"<c>")
    cells = _FAST_CELL.findall(data)
    if len(cells) != cell_tags or b":c " in data or b":c>" in data:
        cells = []
        for attrs, slash in _ANY_CELL.findall(data):
            ref = _REF_IN_ATTRS.search(attrs)
            cells.append((ref.group(1), ref.group(2), slash) if ref else (b"", b"", slash))
    valued = [(col, row) for col, row, slash in cells if not slash]
    letters = {col for col, _row in valued if col}
    if letters:
        shape.columns = max(shape.columns, max(map(column_number, letters)))
    rows = [row for _col, row in valued if row]
    if rows:
        shape.rows = max(shape.rows, max(map(int, rows)))
    shape.row_tags += data.count(b"<row")
    if len(rows) < len(valued):          # cells placed by position: every row tag may hold them
        shape.rows = max(shape.rows, shape.row_tags)
        shape.columns = max(shape.columns, 1)
    shape.cells += len(valued)
    sheet = member.rsplit("/", 1)[-1]
    check_sheet_shape(shape.rows, shape.columns, sheet)
    if shape.cells > max_cells():
        raise _over("TOO_MANY_CELLS", f"sheet {sheet!r} has more than {shape.cells} cells", "DGSA_MAX_CELLS")


class _TextScan:
    """Longest text between two XML tags (a cell's or a shared string's text), in characters,
    streaming: only the run still open at the end of a block is carried (as a count)."""

    _CONTINUATION = bytes(range(0x80, 0xC0))

    def __init__(self, limit: int):
        self.limit = limit
        self.run = 0          # characters of the run still open at the end of the last block

    @classmethod
    def _chars(cls, b: bytes) -> int:
        # UTF-8: every byte that is not a continuation byte starts a character
        return len(b.translate(None, cls._CONTINUATION))

    def feed(self, block: bytes) -> None:
        segments = block.split(b"<")
        if len(segments) == 1:          # the whole block continues the open run
            self.run += self._chars(block)
            self._check()
            return
        self.run += self._chars(segments[0])
        self._check()
        middle = segments[1:-1]
        if middle and max(map(len, middle)) > self.limit:   # bytes >= characters: look closer
            for seg in middle:
                if len(seg) > self.limit:
                    self.run = self._chars(seg[seg.find(b">") + 1:])
                    self._check()
        tail = segments[-1]
        gt = tail.find(b">")
        self.run = self._chars(tail[gt + 1:]) if gt >= 0 else 0
        self._check()

    def _check(self) -> None:
        if self.run > self.limit:
            raise _over("CELL_TOO_LONG", f"a cell has more than {self.run} characters", "DGSA_MAX_CELL_CHARS")

    def finish(self) -> None:
        self._check()


# ---------------------------------------------------------------- csv
def _csv_decoder(head: bytes):
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")("replace")
    # UTF-8 (with or without BOM); legacy Thai (cp874/TIS-620) bytes are one character each and
    # come out as one U+FFFD each here, so characters are counted right for them too
    return codecs.getincrementaldecoder("utf-8-sig")("replace")


def check_csv_stream(source: Path | BinaryIO) -> None:
    """A CSV in bounded memory before it is decoded and parsed: read in 1 MiB blocks through an
    incremental decoder; per line: its characters (DGSA_MAX_LINE_CHARS), its fields counted as
    1 + the most frequent of , ; TAB (DGSA_MAX_COLUMNS; an upper bound: delimiters inside quotes
    count too), its longest field (DGSA_MAX_CELL_CHARS); lines (DGSA_MAX_ROWS) and fields
    (DGSA_MAX_CELLS) of the file. A quoted field spanning lines is bounded by the csv module's
    field limit (FILE_UNREADABLE). `source`: a path or a binary file object."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            check_csv_stream(fh)
        return
    fh = source
    line_limit, row_limit, col_limit = max_line_chars(), max_rows(), max_columns()
    cell_limit, cells_limit = max_cell_chars(), max_cells()
    rows = cells = 0
    carry = ""

    def line(s: str, n: int) -> int:
        if len(s) > line_limit:
            raise _over("LINE_TOO_LONG", f"line {n} has {len(s)} characters", "DGSA_MAX_LINE_CHARS")
        counts = (s.count(","), s.count("\t"), s.count(";"))
        fields = 1 + max(counts)
        if fields > col_limit:
            raise _over("TOO_MANY_COLUMNS", f"line {n} has up to {fields} columns", "DGSA_MAX_COLUMNS")
        if len(s) > cell_limit:
            delim = ",\t;"[counts.index(max(counts))]
            longest = max(len(f) for f in s.split(delim))
            if longest > cell_limit:
                raise _over("CELL_TOO_LONG", f"line {n} has a cell of {longest} characters",
                            "DGSA_MAX_CELL_CHARS")
        return fields

    block = fh.read(BLOCK)
    decoder = _csv_decoder(block)
    while block:
        text = carry + decoder.decode(block)
        if "\r" in text:   # CRLF, and the old Mac's lone CR, end lines too
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        carry = lines.pop()
        for s in lines:
            rows += 1
            cells += line(s, rows)
        if len(carry) > line_limit:
            raise _over("LINE_TOO_LONG", f"line {rows + 1} has more than {len(carry)} characters",
                        "DGSA_MAX_LINE_CHARS")
        if rows > row_limit:
            raise _over("TOO_MANY_ROWS", f"file has more than {rows} lines", "DGSA_MAX_ROWS")
        if cells > cells_limit:
            raise _over("TOO_MANY_CELLS", f"file has more than {cells} cells", "DGSA_MAX_CELLS")
        block = fh.read(BLOCK)
    carry += decoder.decode(b"", final=True)
    if carry:
        rows += 1
        cells += line(carry, rows)
    if rows > row_limit:
        raise _over("TOO_MANY_ROWS", f"file has {rows} lines", "DGSA_MAX_ROWS")
    if cells > cells_limit:
        raise _over("TOO_MANY_CELLS", f"file has {cells} cells", "DGSA_MAX_CELLS")
