"""A big file's sheets as row iterators (dgsa.ingest.stream_load reads them chunk by chunk).

dgsa.ingest.readers reads a whole file into Python lists at once: right for the submissions
(tens to a few thousand rows), wrong for a ministry roster of millions of rows. Here:

- CSV: truly streaming. The encoding is decided as readers.decode decides it (a BOM; strict
  UTF-8; else charset-normalizer restricted to the Thai code pages), but by decoding the file
  block by block, never holding it; then the standard csv module reads it line by line. Memory
  is one chunk of rows, whatever the file's length.
- xlsx/xlsm (a zip): truly streaming too (dgsa.ingest.stream_xlsx): the shared strings, then
  the sheet XML inflated and parsed block by block, giving the rows calamine would give. Held
  at once: the shared strings (bounded by DGSA_MAX_CELLS entries) and one block's rows; the
  sheet's length is bounded by DGSA_MAX_ROWS and DGSA_MAX_UNCOMPRESSED_BYTES, not by memory.
  The sheet's width (its last column holding a value) comes from the limits' scan
  (limit_xlsx.check_xlsx, which stream_load runs first and hands over as `rows_bound`).
- .xls (OLE) and anything else: python-calamine's iter_rows. calamine builds the sheet's cell
  grid in Rust before the first row comes out, so such a sheet costs its grid: bounded by
  DGSA_MAX_CELLS (rows x columns, from calamine's shape). The Python cells, which cost ~10x
  the Rust ones, exist one chunk at a time.

Rows come back as readers.read_bytes(clean=False) gives them: Excel cells as calamine gives
them ("" for empty), CSV fields as text (None for blank), from sheet row 1.
"""
from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Iterator

from dgsa.ingest import limits
from dgsa.ingest.formats import CSV_SUFFIXES, EMPTY_ZIP_MAGIC, OLE_MAGIC, ZIP_MAGIC
from dgsa.ingest.normalise import Bad
from dgsa.ingest.readers import Grid, Workbook, sniff_delimiter

BLOCK = 1 << 20
SNIFF_BYTES = 1 << 20        # charset-normalizer looks at this much of a legacy-encoded CSV
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class Source:
    """A file's sheets, each readable as rows from row 1 (any number of times)."""
    file_format: str
    encoding: str | None = None

    def sheet_names(self) -> list[str]:
        raise NotImplementedError

    def rows(self, sheet: str) -> Iterator[list]:
        raise NotImplementedError

    def head(self, rows: int) -> Workbook:
        """The first `rows` rows of every sheet (enough to find the header)."""
        grids = []
        for name in self.sheet_names():
            it = self.rows(name)
            grids.append(Grid(name, [row for _, row in zip(range(rows), it)]))
            close = getattr(it, "close", None)
            if close:
                close()
        return Workbook(self.file_format, self.encoding, grids)


def open_source(path: Path) -> Source:
    """Raises Bad(FILE_EMPTY | FILE_UNREADABLE | FILE_ENCRYPTED | ENCODING_UNKNOWN)."""
    if path.stat().st_size == 0:
        raise Bad("FILE_EMPTY")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return CsvSource(path)
    with open(path, "rb") as fh:
        zipped = fh.read(4) in (ZIP_MAGIC, EMPTY_ZIP_MAGIC)
    if zipped and suffix in {".xlsx", ".xlsm"}:
        return XlsxSource(path, suffix)
    return ExcelSource(path, suffix)


# ---------------------------------------------------------------- CSV
def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(BLOCK), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def csv_encoding(path: Path) -> str:
    """readers.decode's choice, made block by block."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    for bom, enc in _BOMS:
        if head.startswith(bom):
            if not _decodes(path, enc):
                raise Bad("ENCODING_UNKNOWN", enc)
            return enc
    if _decodes(path, "utf-8"):
        return "utf-8"
    from charset_normalizer import from_bytes  # noqa: PLC0415

    best = from_bytes(head, cp_isolation=["cp874", "tis_620"]).best()
    if best is None or not _decodes(path, best.encoding):
        raise Bad("ENCODING_UNKNOWN")
    return best.encoding


class CsvSource(Source):
    file_format = "csv"

    def __init__(self, path: Path):
        self.path = path
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
        if b"\x00" in head[:4096] and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise Bad("FILE_UNREADABLE", "binary data in a CSV file")
        self.encoding = csv_encoding(path)
        text = codecs.getincrementaldecoder(self.encoding)("replace").decode(head)
        self.delimiter = sniff_delimiter(text)

    def sheet_names(self) -> list[str]:
        return [self.path.name]

    def rows(self, sheet: str) -> Iterator[list]:
        with open(self.path, encoding=self.encoding, newline="") as fh:
            lines = (s.replace("\x00", "\ufffd") if "\x00" in s else s for s in fh)
            try:
                for row in csv.reader(lines, delimiter=self.delimiter):
                    yield [v if v.strip() != "" else None for v in row]
            except csv.Error as exc:
                raise Bad("FILE_UNREADABLE", str(exc)) from exc


# ---------------------------------------------------------------- Excel
def _unreadable(exc: Exception) -> Bad:
    msg = str(exc).lower()
    if "password" in msg or "encrypt" in msg:
        return Bad("FILE_ENCRYPTED")
    return Bad("FILE_UNREADABLE", type(exc).__name__)


class ExcelSource(Source):
    def __init__(self, path: Path, suffix: str):
        from python_calamine import CalamineWorkbook  # noqa: PLC0415 - keep imports out of DAG parsing

        with open(path, "rb") as fh:
            if fh.read(len(OLE_MAGIC)) == OLE_MAGIC and suffix in {".xlsx", ".xlsm"}:
                raise Bad("FILE_ENCRYPTED")
        self.file_format = suffix.lstrip(".")
        try:
            self.book = CalamineWorkbook.from_path(str(path))
            self.names = list(self.book.sheet_names)
        except Exception as exc:  # calamine raises several error types for broken files
            raise _unreadable(exc) from exc

    def sheet_names(self) -> list[str]:
        return self.names

    def rows(self, sheet: str) -> Iterator[list]:
        try:
            grid = self.book.get_sheet_by_name(sheet)
        except Exception as exc:  # noqa: BLE001
            raise _unreadable(exc) from exc
        limits.check_sheet_shape(grid.height, grid.width, sheet)
        # iter_rows starts at row 1 but at the first column holding something: pad to column A
        pad = [""] * (grid.start[1] if grid.start else 0)
        try:
            for row in grid.iter_rows():
                yield pad + row if pad else row
        except Exception as exc:  # noqa: BLE001
            raise _unreadable(exc) from exc



class XlsxSource(Source):
    """An xlsx/xlsm read as a stream (dgsa.ingest.stream_xlsx): never calamine's whole grid."""

    rows_bound = None        # stream_load sets it: check_xlsx's answer, with each sheet's width

    def __init__(self, path: Path, suffix: str):
        import zipfile  # noqa: PLC0415

        from dgsa.ingest.xlsx_parts import read_book  # noqa: PLC0415

        self.path, self.file_format = path, suffix.lstrip(".")
        self._strings = None
        try:
            with zipfile.ZipFile(path) as zf:
                self.book = read_book(zf)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError) as exc:
            raise Bad("FILE_UNREADABLE", type(exc).__name__) from exc     # OSError: the drive, tried again

    def sheet_names(self) -> list[str]:
        return list(self.book.sheets)

    def _widths(self) -> dict[str, int]:
        widths = getattr(self.rows_bound, "widths", None)
        if widths is None:              # not from stream_load: measure it (the limits' own scan)
            self.rows_bound = limits.check_file(self.path)
            widths = self.rows_bound.widths
        return widths

    def rows(self, sheet: str) -> Iterator[list]:
        import zipfile  # noqa: PLC0415

        from dgsa.ingest import stream_xlsx  # noqa: PLC0415

        member = self.book.sheets[sheet]
        width = self._widths().get(member, 0)
        with zipfile.ZipFile(self.path) as zf:
            if member not in zf.NameToInfo:    # a sheet the workbook names but the zip lacks
                raise Bad("FILE_UNREADABLE", f"sheet {sheet!r} missing")
            if self._strings is None:
                self._strings = (stream_xlsx.SharedStrings(zf, self.book.shared_strings).read()
                                 if self.book.shared_strings else [])
            yield from stream_xlsx.SheetRows(zf, member, self._strings, self.book.formats, self.book.is_1904,
                                             width).rows()
