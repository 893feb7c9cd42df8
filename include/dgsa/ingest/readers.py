"""Open a submission file and hand back its sheets as grids of cells.

- Excel (.xlsx, .xlsm, .xls): python-calamine (Rust calamine). Chosen over openpyxl because
  it is ~7x faster, reads both xlsx and legacy xls with one API, and only materialises
  cells that hold values, so a sheet whose formatting stretches the used range to row
  1,048,576 costs nothing.
- CSV: the standard library's csv module after decoding. Encoding: a BOM decides (UTF-8,
  UTF-16); otherwise strict UTF-8; otherwise charset-normalizer, restricted to the Thai
  legacy code pages (Windows-874 / TIS-620), so we never silently pick a wrong Western one.
  Bytes that decode under none of them reject the file (ENCODING_UNKNOWN).

Cells come back typed as the reader saw them (str, int, float, bool, date, datetime);
empty cells are None.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from dgsa.ingest import limits
from dgsa.ingest.formats import CSV_SUFFIXES, OLE_MAGIC
from dgsa.ingest.normalise import Bad


@dataclass
class Grid:
    sheet_name: str
    rows: list[list]          # rows[i] is sheet row i+1 (the row number the province sees)


@dataclass
class Workbook:
    file_format: str
    encoding: str | None
    sheets: list[Grid]


def read(path: Path) -> Workbook:
    """Read every sheet of a file. Raises Bad(FILE_EMPTY | FILE_UNREADABLE | FILE_ENCRYPTED |
    ENCODING_UNKNOWN)."""
    return read_bytes(path.read_bytes(), path.name)


def read_bytes(data: bytes, name: str, clean: bool = True) -> Workbook:
    """Read every sheet of a file's bytes (name gives the format by its suffix): the loader
    hashes the very bytes it parses, so what is loaded is the version the ledger recorded.

    clean=False leaves Excel cells as calamine gives them ("" for an empty cell, time and
    timedelta objects): the loader's column typing reads those as the cleaned values would
    read, without a Python call per cell."""
    if not data:
        raise Bad("FILE_EMPTY")
    suffix = Path(name).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(data, name)
    if data.startswith(OLE_MAGIC) and suffix in {".xlsx", ".xlsm"}:
        # An OOXML file saved with a password is wrapped in an OLE container.
        raise Bad("FILE_ENCRYPTED")
    return _read_excel(data, suffix, clean)


def _cell(value):
    if value == "" or value is None:
        return None
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


def cell_text(value) -> str:
    """str() of a cell as the cleaned reader would have given it."""
    return str(_cell(value))


def _read_excel(data: bytes, suffix: str, clean: bool = True) -> Workbook:
    from python_calamine import CalamineWorkbook  # noqa: PLC0415 - keep imports out of DAG parsing

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            limits.check_sheet_shape(sheet.height, sheet.width, name)   # before any cell becomes a Python object
            rows = sheet.to_python(skip_empty_area=False)
            sheets.append(Grid(name, [[_cell(v) for v in row] for row in rows] if clean else rows))
    except Bad:
        raise
    except Exception as exc:  # calamine raises several error types for broken files
        msg = str(exc).lower()
        if "password" in msg or "encrypt" in msg:
            raise Bad("FILE_ENCRYPTED") from exc
        raise Bad("FILE_UNREADABLE", type(exc).__name__) from exc
    return Workbook(suffix.lstrip("."), None, sheets)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) for CSV bytes, or Bad(ENCODING_UNKNOWN)."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise Bad("ENCODING_UNKNOWN", enc) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # noqa: PLC0415

    best = from_bytes(data, cp_isolation=["cp874", "tis_620"]).best()
    if best is None:
        raise Bad("ENCODING_UNKNOWN")
    try:
        return data.decode(best.encoding), best.encoding
    except UnicodeDecodeError as exc:
        raise Bad("ENCODING_UNKNOWN") from exc


def _read_csv(raw: bytes, name: str) -> Workbook:
    if b"\x00" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Bad("FILE_UNREADABLE", "binary data in a CSV file")
    text, encoding = decode(raw)
    if "\x00" in text:        # PostgreSQL text cannot hold NUL: shown as U+FFFD, the rest kept
        text = text.replace("\x00", "\ufffd")
    delimiter = sniff_delimiter(text)
    try:
        rows = [[v if v.strip() != "" else None for v in row]
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise Bad("FILE_UNREADABLE", str(exc)) from exc
    return Workbook("csv", encoding, [Grid(name, rows)])


def sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: the one giving the most columns, consistently, in the first lines."""
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ",", -1
    for delim in (",", "\t", ";"):
        widths = [len(r) for r in csv.reader(sample, delimiter=delim)]
        if not widths:
            continue
        widest = max(widths)
        score = widest * 100 + sum(1 for w in widths if w == widest)
        if widest > 1 and score > best_score:
            best, best_score = delim, score
    return best
