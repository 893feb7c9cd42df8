"""An xlsx/xlsm sheet as a row iterator in bounded memory (dgsa.ingest.stream_read's Excel path
for a big workbook): the rows python-calamine gives, without calamine's whole cell grid.

calamine (Rust) builds a sheet's dense grid before the first row comes out: ~1.1 GB for a
1,000,000-row roster. Here the zip members are inflated as streams and parsed incrementally
with expat (the stdlib's C parser; measured on a 1,000,000-row roster sheet: ~3.5x faster than
ElementTree's XMLPullParser with elements cleared, and unlike a regular expression it reads any
well-formed XML: prefixes, attribute order, entities). Held at once: the workbook's shared
strings (a list, bounded by DGSA_MAX_CELLS entries, counted before they are read), the parts
that describe the workbook (sheet names, styles) and one 1 MiB block's rows.

The rows are calamine's, cell for cell (tests/test_stream_xlsx.py compares them):
- from sheet row 1 to the last row holding a value, every row as wide as the sheet's last
  column holding a value (taken from the limits' scan, dgsa.ingest.limit_xlsx), "" where
  nothing is; a cell is a value when calamine's is not Empty (an error cell is, and reads "");
- shared and inline strings: the text runs outside phonetic runs, with calamine's whitespace
  trimming and _xHHHH_ escapes; t="str" as text; t="b" a bool; t="d" an ISO date/time;
- numbers as float, or, when the cell's style has a date/time number format (built-in ids
  14-22, 45-47, or a custom format detected as calamine's detect_custom_number_format does),
  datetime/date/time/timedelta exactly as python-calamine turns an Excel serial into them
  (the 1904 date system included).
Rows must come in sheet order (Excel, openpyxl and every writer we know do): a row number
that goes back rejects the file (FILE_UNREADABLE) rather than reorder it.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from typing import Iterator
from xml.parsers import expat

from dgsa.ingest.limit_settings import BLOCK, column_number, max_columns, max_rows, over
from dgsa.ingest.normalise import Bad

_EPOCH = dt.datetime(1899, 12, 30)
_DAY_MS = 86_400_000
_ESCAPE = re.compile(r"_x00([0-9A-Fa-f]{2})_")


_OUT = object()
_LOCAL = {n: n for n in ("c", "v", "row", "f", "is", "t", "r", "rPh", "si")}


def _local(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x00" in text else text


def _round(x: float) -> int:          # Rust's f64::round: half away from zero
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def serial(v: float, kind: str, is_1904: bool):
    """An Excel serial as python-calamine gives it (timedelta, time, date or datetime; else v)."""
    if kind == "delta":
        return dt.timedelta(milliseconds=_round(v * _DAY_MS))
    f = v + 1462.0 if is_1904 else v
    if f < 60.0:
        f += 1.0
    try:
        stamp = _EPOCH + dt.timedelta(milliseconds=_round(f * _DAY_MS))
    except (OverflowError, ValueError):
        return v
    if v < 1.0:
        return stamp.time()
    return stamp.date() if v == int(v) else stamp


def _iso(text: str):
    try:
        if "T" in text:
            return dt.datetime.fromisoformat(text)
        if ":" in text:
            return dt.time.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


class _Parser:
    """expat fed block by block from a zip member: handlers set by the subclass."""

    def __init__(self, zf: zipfile.ZipFile, member: str):
        self.zf, self.member = zf, member
        self.p = expat.ParserCreate()
        self.p.buffer_text = True
        self.p.buffer_size = 1 << 16
        self.p.StartDoctypeDeclHandler = self._doctype

    def _doctype(self, *_args) -> None:
        """An OOXML part has no DTD; one could define entities (expansion bombs): refused."""
        raise Bad("FILE_UNREADABLE", f"{self.member}: a DOCTYPE in a workbook part")

    def blocks(self) -> Iterator[None]:
        """Parse the member; yields after each block (what the handlers collected is ready)."""
        try:
            with self.zf.open(self.member) as fh:
                while block := fh.read(BLOCK):
                    self.p.Parse(block, False)
                    yield
            self.p.Parse(b"", True)
            yield
        except Bad:                 # a limit or a refusal from a handler (Bad is a ValueError)
            raise
        except expat.ExpatError as exc:
            raise Bad("FILE_UNREADABLE", f"{self.member}: {exc}") from exc
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise Bad("FILE_UNREADABLE", f"{self.member}: {type(exc).__name__}") from exc


class _Text(_Parser):
    """The strings of <si> (shared strings) or <is> (an inline string) as calamine reads them."""

    def __init__(self, zf, member):
        super().__init__(zf, member)
        self.runs: list[str] | None = None     # text runs of the open string, None outside one
        self.buf: list[str] | None = None      # characters of the open <t>
        self.preserve = self.phonetic = False

    def open_string(self) -> None:
        self.runs = []

    def close_string(self) -> str:
        text, self.runs = "".join(self.runs), None
        return text

    def text_start(self, name: str, attrs: dict) -> bool:
        local = _local(name)
        if local == "t" and self.runs is not None and not self.phonetic:
            self.buf, self.preserve = [], attrs.get("xml:space") == "preserve"
        elif local == "rPh":
            self.phonetic = True
        else:
            return False
        return True

    def text_end(self, local: str) -> None:
        if local == "t" and self.buf is not None:
            text = "".join(self.buf)
            self.runs.append(_unescape(text if self.preserve else text.strip(" \t\r\n")))
            self.buf = None
        elif local == "rPh":
            self.phonetic = False

    def chars(self, data: str) -> None:
        if self.buf is not None:
            self.buf.append(data)


class SharedStrings(_Text):
    def __init__(self, zf, member):
        super().__init__(zf, member)
        self.strings: list[str] = []
        self.p.StartElementHandler, self.p.EndElementHandler = self.start, self.end
        self.p.CharacterDataHandler = self.chars

    def start(self, name, attrs):
        if not self.text_start(name, attrs) and _local(name) == "si":
            self.open_string()

    def end(self, name):
        local = _local(name)
        if local == "si":
            self.strings.append(self.close_string())
        else:
            self.text_end(local)

    def read(self) -> list[str]:
        for _ in self.blocks():
            pass
        return self.strings


class SheetRows(_Text):
    """The rows of one worksheet, as calamine's iter_rows padded to column A gives them."""

    def __init__(self, zf, member, strings: list[str], formats: dict[int, str], is_1904: bool, width: int):
        super().__init__(zf, member)
        self.strings, self.formats, self.is_1904, self.width = strings, formats, is_1904, width
        self.max_rows, self.max_columns = max_rows(), max_columns()
        self.out: list[list] = []              # finished rows, in order, gaps and blanks included
        self.emitted = 0                       # rows yielded so far
        self.row_no = 0                        # 1-based number of the last row started
        self.cells: dict[int, object] | None = None
        self.col = 0
        self.t, self.s = _OUT, None             # the open <c>'s t and s (t is _OUT outside a cell)
        self.colnums: dict[str, int] = {}
        self.value = None
        self.v: list[str] | None = None
        p = self.p
        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = self.start, self.end, self.chars

    def start(self, name, attrs):
        local = _LOCAL.get(name) or _local(name)
        if local == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                col = self.colnums.get(letters)
                if col is None:
                    if not letters.isalpha() or not letters.isascii() or letters == ref:
                        raise Bad("FILE_UNREADABLE", f"cell reference {ref[:20]!r}")
                    col = self.colnums[letters] = column_number(letters)
                self.col = col
            else:
                self.col += 1
            self.t, self.s, self.value = attrs.get("t"), attrs.get("s"), None
        elif local == "v":
            self.v = []
        elif local == "row":
            r = attrs.get("r")
            no = int(r) if r else self.row_no + 1
            if no <= self.row_no and r:
                raise Bad("FILE_UNREADABLE", f"{self.member}: row {no} after row {self.row_no}")
            if no > self.max_rows:
                raise over("TOO_MANY_ROWS", f"sheet has more than {no - 1} rows", "DGSA_MAX_ROWS")
            self.row_no, self.cells, self.col = no, {}, 0
        elif local == "f":                      # each child of <c> sets the value: a formula's is Empty
            self.value = None
        elif local == "is" and self.t is not _OUT:
            self.open_string()
        else:
            self.text_start(name, attrs)

    def chars(self, data):
        if self.v is not None:
            self.v.append(data)
        elif self.buf is not None:
            self.buf.append(data)

    def end(self, name):
        local = _LOCAL.get(name) or _local(name)
        if local == "v":
            self.value, self.v = self._v(self.v[0] if len(self.v) == 1 else "".join(self.v)), None
        elif local == "c":
            if self.value is not None:
                col = self.col
                if col > self.width:
                    if col > self.max_columns:
                        raise over("TOO_MANY_COLUMNS", f"sheet has {col} columns", "DGSA_MAX_COLUMNS")
                    self.width = col
                if self.cells is None:
                    raise Bad("FILE_UNREADABLE", f"{self.member}: a cell outside any row")
                self.cells[col] = self.value
            self.t = _OUT
        elif local == "row":
            self._row()
        elif local == "is" and self.runs is not None:
            self.value = self.close_string()          # whatever the cell's t says, as calamine
        else:
            self.text_end(local)

    def _row(self) -> None:
        cells, self.cells = self.cells, None
        if not cells:                           # rows holding nothing come out only if a row follows
            return
        empty = [""] * self.width
        gap = self.row_no - 1 - len(self.out) - self.emitted
        if gap > 0:
            self.out.extend(empty[:] for _ in range(gap))
        row = empty
        for col, value in cells.items():
            row[col - 1] = value
        self.out.append(row)

    def _v(self, text: str):
        """A <v>'s value (None: calamine's Empty, not a value of the sheet)."""
        t, s = self.t, self.s
        if t is None or t == "n":
            if not text:
                return None
            try:
                v = float(text)
            except ValueError:
                if t is None:
                    return text
                raise Bad("FILE_UNREADABLE", f"{self.member}: number {text[:20]!r}") from None
            kind = self.formats.get(int(s) if s and s.isdigit() else 0) if s else None
            return serial(v, kind, self.is_1904) if kind else v
        if t == "s":
            if not text:
                return None
            try:
                return self.strings[int(text) if text.isdigit() else 0]
            except IndexError:
                raise Bad("FILE_UNREADABLE", f"{self.member}: shared string {text[:12]} missing") from None
        if t == "str":
            return text
        if t == "b":
            return text != "0"
        if t == "e":
            return ""
        if t == "d":
            return _iso(text)
        if t in ("inlineStr", "is"):           # the text is in <is>; a <v> beside it is Empty
            return None
        raise Bad("FILE_UNREADABLE", f"{self.member}: cell type {t[:12]!r}")

    def rows(self) -> Iterator[list]:
        for _ in self.blocks():
            out, self.out = self.out, []
            self.emitted += len(out)
            yield from out
