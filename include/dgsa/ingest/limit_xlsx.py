"""The bounds of an xlsx/xlsm (a zip), measured before any XML is parsed: zip entries, the
compression ratio, the inflated size, the sheets' shape and their longest text run, the
shared strings' count; and, for the streaming reader, each sheet's width."""
from __future__ import annotations

import copy
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dgsa.ingest.formats import EMPTY_ZIP_MAGIC
from dgsa.ingest.limit_settings import (BLOCK, RATIO_MIN_BYTES, check_sheet_shape, column_number, max_cell_chars,
                                        max_cells, max_columns, max_compression_ratio, max_rows,
                                        max_uncompressed_bytes, max_zip_entries, over, stream_min_bytes)
from dgsa.ingest.normalise import Bad


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


# (column, row, "/" or "</c>" if the cell is empty: <c r="B2" s="1"/> or <c r="B2" s="1"></c>)
_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,4})(\d{1,8})"[^>]*?(?:(/)>|>(</c>)?)')
_ANY_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")                    # (attributes, "/" if empty)
_SI = (b"<si>", b"<si ", b":si>", b":si ")                                # a shared string opens
_REF_IN_ATTRS = re.compile(rb'\br="([A-Z]{1,4})(\d{1,8})"')


@dataclass
class SheetShape:
    rows: int = 0        # highest row number of a cell that holds something
    columns: int = 0     # highest column number in a cell reference
    cells: int = 0       # <c> elements that hold something
    row_tags: int = 0    # <row> elements (rows without an r attribute count too)
    whole: bool = True   # read whole by calamine (its grid counts against DGSA_MAX_CELLS)


class XlsxBound(int):
    """check_xlsx's answer: the most rows a worksheet has, and `widths`: each worksheet's
    (zip member's) last column holding something, which the streaming reader needs before
    its first row (calamine's rows are all as wide as the sheet)."""
    widths: dict[str, int]

    def __new__(cls, rows: int, widths: dict[str, int]):
        bound = super().__new__(cls, rows)
        bound.widths = widths
        return bound


def check_xlsx(source: Path | BinaryIO) -> int:
    """An xlsx/xlsm (a zip) before any XML is parsed:
    1. entries declared in the end-of-central-directory record (DGSA_MAX_ZIP_ENTRIES);
    2. from the central directory: each member's compression ratio (DGSA_MAX_COMPRESSION_RATIO,
       members over 1 MiB) and the total uncompressed size (DGSA_MAX_UNCOMPRESSED_BYTES);
    3. then every member is inflated in 1 MiB blocks, never kept, to catch a directory that
       lies (a member inflating past its declared size is a ZIP_BOMB); while the worksheets
       stream by, their shape (rows, columns) and their longest text run (a cell's characters)
       are measured, and the shared strings counted (held whole by either reader:
       DGSA_MAX_CELLS). The cells of a sheet count against DGSA_MAX_CELLS only when calamine
       will build its dense grid, i.e. when the file is read whole (up to
       DGSA_STREAM_MIN_BYTES); a bigger file's sheets are streamed (dgsa.ingest.stream_xlsx).
    Memory: one block plus a bounded carry-over. Time: bounded by the uncompressed limit.
    `source`: a path or a seekable binary file object. Returns the most rows a worksheet has
    (the highest row number holding something): an upper bound of any sheet's data rows, as
    an XlsxBound (an int) that also carries each sheet's width."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            return check_xlsx(fh)
    entries = _eocd_entries(source)
    if entries is not None and entries > max_zip_entries():
        raise over("ZIP_BOMB", f"zip declares {entries} entries", "DGSA_MAX_ZIP_ENTRIES")
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise Bad("FILE_UNREADABLE", f"not a valid xlsx (zip): {exc}") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > max_zip_entries():
            raise over("ZIP_BOMB", f"zip has {len(infos)} entries", "DGSA_MAX_ZIP_ENTRIES")
        ratio_limit = max_compression_ratio()
        for info in infos:
            if info.file_size > RATIO_MIN_BYTES and info.file_size > ratio_limit * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise over("ZIP_BOMB", f"{info.filename} inflates {ratio:.0f}x ({info.compress_size} -> "
                                        f"{info.file_size} bytes)", "DGSA_MAX_COMPRESSION_RATIO")
        declared = sum(i.file_size for i in infos)
        if declared > max_uncompressed_bytes():
            raise over("TOO_LARGE", f"xlsx holds {declared} bytes uncompressed", "DGSA_MAX_UNCOMPRESSED_BYTES")
        source.seek(0, os.SEEK_END)
        whole = source.tell() <= stream_min_bytes()
        total, rows, widths = 0, 0, {}
        for info in infos:
            if info.is_dir():
                continue
            total, shape = _inflate_member(zf, info, total, whole)
            if shape is not None:
                rows = max(rows, shape.rows)
                widths[info.filename] = shape.columns
    return XlsxBound(rows, widths)


def _inflate_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, total: int,
                    whole: bool = True) -> tuple[int, SheetShape | None]:
    """Inflate one member block by block (never more than the limits allow); measure sheets."""
    limit = max_uncompressed_bytes()
    ratio_limit = max_compression_ratio()
    name = info.filename.lower()
    is_sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
    is_strings = name.endswith("sharedstrings.xml")
    is_text = is_sheet or is_strings
    # let zipfile read past the declared size (up to the limit) so a lying directory shows
    probe = copy.copy(info)
    probe.file_size = limit - total + 1
    shape, scan = SheetShape(whole=whole), _TextScan(max_cell_chars()) if is_text else None
    carry = b""
    inflated = strings = 0
    try:
        with zf.open(probe) as fh:
            while True:
                block = fh.read(BLOCK)
                if not block:
                    break
                inflated += len(block)
                if total + inflated > limit:
                    raise over("TOO_LARGE", f"xlsx inflates to more than {total + inflated - len(block)} bytes "
                                             f"(at {info.filename})", "DGSA_MAX_UNCOMPRESSED_BYTES")
                if inflated > info.file_size:
                    raise over("ZIP_BOMB", f"{info.filename} inflates past its declared {info.file_size} bytes",
                                "DGSA_MAX_COMPRESSION_RATIO")
                if inflated > RATIO_MIN_BYTES and inflated > ratio_limit * max(info.compress_size, 1):
                    raise over("ZIP_BOMB", f"{info.filename} inflates more than "
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
                elif is_strings:
                    data = carry + block
                    cut = max(0, len(data) - 4)
                    strings += sum(data.count(tag, 0, cut + len(tag) - 1) for tag in _SI)
                    carry = data[cut:]
                    if strings > max_cells():
                        raise over("TOO_MANY_CELLS", f"more than {strings} shared strings", "DGSA_MAX_CELLS")
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
    return total + inflated, shape if is_sheet else None


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
    valued = [(col, row) for col, row, slash, *closed in cells if not slash and not (closed and closed[0])]
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
    if not shape.whole:             # streamed: rows and columns bounded, its cells never held at once
        if shape.columns > max_columns():
            raise over("TOO_MANY_COLUMNS", f"sheet {sheet!r} has {shape.columns} columns", "DGSA_MAX_COLUMNS")
        if shape.rows > max_rows():
            raise over("TOO_MANY_ROWS", f"sheet {sheet!r} has {shape.rows} rows", "DGSA_MAX_ROWS")
        return
    check_sheet_shape(shape.rows, shape.columns, sheet)
    if shape.cells > max_cells():
        raise over("TOO_MANY_CELLS", f"sheet {sheet!r} has more than {shape.cells} cells", "DGSA_MAX_CELLS")


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
            raise over("CELL_TOO_LONG", f"a cell has more than {self.run} characters", "DGSA_MAX_CELL_CHARS")

    def finish(self) -> None:
        self._check()
