"""The bounds of a CSV, measured in 1 MiB blocks before it is decoded and parsed: line length,
columns, longest field, lines and fields of the file."""
from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import BinaryIO

from dgsa.ingest.limit_settings import BLOCK, max_cell_chars, max_columns, max_line_chars, max_rows, over


def _csv_decoder(head: bytes):
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")("replace")
    # UTF-8 (with or without BOM); legacy Thai (cp874/TIS-620) bytes are one character each and
    # come out as one U+FFFD each here, so characters are counted right for them too
    return codecs.getincrementaldecoder("utf-8-sig")("replace")


def check_csv_stream(source: Path | BinaryIO) -> int:
    """A CSV in bounded memory before it is decoded and parsed: read in 1 MiB blocks through an
    incremental decoder; per line: its characters (DGSA_MAX_LINE_CHARS), its fields counted as
    1 + the most frequent of , ; TAB (DGSA_MAX_COLUMNS; an upper bound: delimiters inside quotes
    count too), its longest field (DGSA_MAX_CELL_CHARS); lines of the file (DGSA_MAX_ROWS). A CSV
    is never held whole (a big one is read in chunks: dgsa.ingest.stream_read), so its fields are
    not counted against DGSA_MAX_CELLS. A quoted field spanning lines is bounded by the csv
    module's field limit (FILE_UNREADABLE). `source`: a path or a binary file object. Returns the
    number of lines (an upper bound of the rows)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            return check_csv_stream(fh)
    fh = source
    line_limit, row_limit, col_limit = max_line_chars(), max_rows(), max_columns()
    cell_limit = max_cell_chars()
    rows = 0
    carry = ""

    def line(s: str, n: int) -> int:
        if len(s) > line_limit:
            raise over("LINE_TOO_LONG", f"line {n} has {len(s)} characters", "DGSA_MAX_LINE_CHARS")
        counts = (s.count(","), s.count("\t"), s.count(";"))
        fields = 1 + max(counts)
        if fields > col_limit:
            raise over("TOO_MANY_COLUMNS", f"line {n} has up to {fields} columns", "DGSA_MAX_COLUMNS")
        if len(s) > cell_limit:
            delim = ",\t;"[counts.index(max(counts))]
            longest = max(len(f) for f in s.split(delim))
            if longest > cell_limit:
                raise over("CELL_TOO_LONG", f"line {n} has a cell of {longest} characters",
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
            line(s, rows)
        if len(carry) > line_limit:
            raise over("LINE_TOO_LONG", f"line {rows + 1} has more than {len(carry)} characters",
                        "DGSA_MAX_LINE_CHARS")
        if rows > row_limit:
            raise over("TOO_MANY_ROWS", f"file has more than {rows} lines", "DGSA_MAX_ROWS")
        block = fh.read(BLOCK)
    carry += decoder.decode(b"", final=True)
    if carry:
        rows += 1
        line(carry, rows)
    if rows > row_limit:
        raise over("TOO_MANY_ROWS", f"file has {rows} lines", "DGSA_MAX_ROWS")
    return rows
