"""An xlsx/xlsm sheet as a row iterator in bounded memory (dgsa.ingest.stream_read's Excel path
for a big workbook): the rows python-calamine gives, without calamine's whole cell grid.

calamine (Rust) builds a sheet's dense grid before the first row comes out: ~1.1 GB for a
1,000,000-row roster. Here the zip members are inflated as streams, 1 MiB at a time, and each
block's whole rows (shared strings) are read by dgsa.ingest.xlsx_fast when they are plain (as
Excel writes a data sheet), else by expat, the stdlib's C parser, which reads any well-formed
XML (prefixes, attribute order, entities, formulas, inline strings). Measured on the sheet of a
1,000,000-row roster (CPU): expat alone 26 s, with the plain blocks by regular expressions
13 s, calamine 6 s (and ElementTree's XMLPullParser with elements cleared ~8x expat). Held at
once: the shared strings (a list, bounded by DGSA_MAX_CELLS entries, counted before they are
read), the parts that describe the workbook (sheet names, styles) and one block's rows.

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

import re
import zipfile
from typing import Iterator
from xml.parsers import expat

from dgsa.ingest.limit_settings import BLOCK, column_number, max_columns, max_rows, over
from dgsa.ingest.normalise import Bad
from dgsa.ingest.xlsx_fast import plain_rows, plain_strings
from dgsa.ingest.xlsx_parts import cell_value

_ESCAPE = re.compile(r"_x00([0-9A-Fa-f]{2})_")


_OUT = object()
_LOCAL = {n: n for n in ("c", "v", "row", "f", "is", "t", "r", "rPh", "si")}


def _local(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x00" in text else text


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

    close: bytes = b""         # the element whose whole runs the fast path reads (xlsx_fast)

    def fast(self, chunk: bytes) -> bool:
        return False

    def blocks(self) -> Iterator[None]:
        """Parse the member; yields after each block (what was collected is ready). Each block's
        whole elements go to the fast path when they are plain, else to expat, in order."""
        close, pending = self.close, b""
        try:
            with self.zf.open(self.member) as fh:
                while block := fh.read(BLOCK):
                    data = pending + block if pending else block
                    cut = data.rfind(close) + len(close) if close else 0
                    if cut < len(close) or len(data) - cut > 8 * BLOCK:
                        cut = len(data)
                    chunk, pending = data[:cut], data[cut:]
                    if not self.fast(chunk):
                        self.p.Parse(chunk, False)
                    yield
            self.p.Parse(pending, True)
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
    close = b"</si>"

    def fast(self, chunk: bytes) -> bool:
        texts = plain_strings(chunk)
        if texts is not None:
            self.strings.extend(texts)
        return texts is not None

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

    close = b"</row>"

    def fast(self, chunk: bytes) -> bool:
        """Whole plain rows (xlsx_fast), through the same steps as expat's events."""
        items = plain_rows(chunk)
        if items is None:
            return False
        colnums, strings, width, row = self.colnums, self.strings, self.width, None
        for no, letters, s, t, end, text, inline in items:
            if no:
                if row is not None:
                    self._row()
                self._start_row(int(no), True)
                row = self.cells
                continue
            head = end[:4]
            if head != "><v>" and head != "><is":   # no <v>, no <is>: Empty
                continue
            col = colnums.get(letters) or self._column(letters, letters + "1")   # [A-Z]{1,3}
            if head == "><is":                 # as expat's path: the one run's text, whatever t says
                value = _unescape(inline.strip(" \t\r\n"))
            elif t == "s" and text.isdigit() and int(text) < len(strings):    # the common cells, inline
                value = strings[int(text)]
            elif not t and not s and text and text.isdigit():
                value = float(text)
            else:
                self.t, self.s = t or None, s or None
                value = self._v(text)
                if value is None:
                    continue
            if col > width:
                self.col, self.value = col, value
                self._end_cell()
                width = self.width
            else:
                row[col] = value
        if row is not None:
            self._row()
        return True

    def _column(self, letters: str, ref: str) -> int:
        if not letters.isalpha() or not letters.isascii() or letters == ref:
            raise Bad("FILE_UNREADABLE", f"cell reference {ref[:20]!r}")
        col = self.colnums[letters] = column_number(letters)
        return col

    def _start_row(self, no: int, explicit: bool) -> None:
        if no <= self.row_no and explicit:
            raise Bad("FILE_UNREADABLE", f"{self.member}: row {no} after row {self.row_no}")
        if no > self.max_rows:
            raise over("TOO_MANY_ROWS", f"sheet has more than {no - 1} rows", "DGSA_MAX_ROWS")
        self.row_no, self.cells, self.col = no, {}, 0

    def start(self, name, attrs):
        local = _LOCAL.get(name) or _local(name)
        if local == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                self.col = self.colnums.get(letters) or self._column(letters, ref)
            else:
                self.col += 1
            self.t, self.s, self.value = attrs.get("t"), attrs.get("s"), None
        elif local == "v":
            self.v = []
        elif local == "row":
            r = attrs.get("r")
            self._start_row(int(r) if r else self.row_no + 1, bool(r))
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
            self._end_cell()
        elif local == "row":
            self._row()
        elif local == "is" and self.runs is not None:
            self.value = self.close_string()          # whatever the cell's t says, as calamine
        else:
            self.text_end(local)

    def _end_cell(self) -> None:
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
        return cell_value(text, self.t, self.s, self.strings, self.formats, self.is_1904, self.member)

    def rows(self) -> Iterator[list]:
        for _ in self.blocks():
            out, self.out = self.out, []
            self.emitted += len(out)
            yield from out
