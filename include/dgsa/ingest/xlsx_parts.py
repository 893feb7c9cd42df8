"""The parts of an xlsx/xlsm that say how to read its sheets, read as python-calamine reads
them: the sheets (names in workbook order, each with its zip member), the 1904 date system,
and which cell styles (cellXfs) carry a date/time number format; and a cell's value from its
<v> text, t and s (cell_value), as python-calamine gives it. These parts are small; each
is parsed incrementally with its elements cleared as they close (a huge one costs time, not
memory). The sheets' cells are read by dgsa.ingest.stream_xlsx."""
from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from dgsa.ingest.normalise import Bad

_BUILTIN_DATES = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47}
_DELTA_BUILTIN = 46      # [h]:mm:ss
_EPOCH = dt.datetime(1899, 12, 30)
_DAY_MS = 86_400_000


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attr(el, name: str) -> str | None:
    """An attribute by its local name (r:id, or {namespace}id)."""
    for key, value in el.attrib.items():
        if _local(key).rpartition(":")[2] == name:
            return value
    return None


def date_kind(code: str) -> str | None:
    """calamine's detect_custom_number_format: 'date', 'delta' or None (not a date format)."""
    escaped = quote = ap = hms = False
    brackets, prev = 0, " "
    for s in code:
        if escaped:
            escaped = False
        elif s in "_\\*":
            escaped = True
        elif quote:
            quote = s != '"'
        elif s == '"':
            quote = True
        elif s == ";":
            return None
        elif s == "[":
            brackets += 1
        elif s == "]" and brackets == 1 and hms:
            return "delta"
        elif s == "]":
            brackets = max(0, brackets - 1)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif s in "pm/PM" and ap and brackets == 0:
            return "date"
        elif s in "dmhysDMHYS" and not ap and brackets == 0:
            return "date"
        elif not (hms and s.lower() == prev.lower()):
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return None


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


def iso_value(text: str):
    """A t="d" cell (ISO 8601) as python-calamine gives it."""
    try:
        if "T" in text:
            return dt.datetime.fromisoformat(text)
        if ":" in text:
            return dt.time.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def cell_value(text: str, t: str | None, s: str | None, strings: list[str], formats: dict[int, str], is_1904: bool,
               member: str):
    """A <v>'s value as calamine reads it, by the cell's t and s (None: calamine's Empty, not a
    value of the sheet). Raises Bad(FILE_UNREADABLE) where calamine fails the sheet."""
    if t is None or t == "n":
        if not text:
            return None
        try:
            v = float(text)
        except ValueError:
            if t is None:
                return text
            raise Bad("FILE_UNREADABLE", f"{member}: number {text[:20]!r}") from None
        kind = formats.get(int(s) if s and s.isdigit() else 0) if s else None
        return serial(v, kind, is_1904) if kind else v
    if t == "s":
        if not text:
            return None
        try:
            return strings[int(text) if text.isdigit() else 0]
        except IndexError:
            raise Bad("FILE_UNREADABLE", f"{member}: shared string {text[:12]} missing") from None
    if t == "str":
        return text
    if t == "b":
        return text != "0"
    if t == "e":
        return ""
    if t == "d":
        return iso_value(text)
    if t in ("inlineStr", "is"):           # the text is in <is>; a <v> beside it is Empty
        return None
    raise Bad("FILE_UNREADABLE", f"{member}: cell type {t[:12]!r}")


@dataclass
class Book:
    sheets: dict[str, str] = field(default_factory=dict)     # sheet name -> zip member
    shared_strings: str | None = None                        # zip member, if any
    is_1904: bool = False
    formats: dict[int, str] = field(default_factory=dict)    # cellXfs index -> "date" | "delta"


class _Members:
    """Zip members by name, case-insensitively (as calamine finds them)."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.by_lower = {n.lower(): n for n in zf.namelist()}

    def find(self, name: str) -> str | None:
        return self.by_lower.get(name.lower())

    def elements(self, member: str):
        """(event, element) pairs of a member, ends only; elements cleared by the caller."""
        try:
            with self.zf.open(member) as fh:
                yield from ET.iterparse(fh, events=("start", "end"))
        except ET.ParseError as exc:
            raise Bad("FILE_UNREADABLE", f"{member}: {exc}") from exc


def read_book(zf: zipfile.ZipFile) -> Book:
    """Raises Bad(FILE_UNREADABLE) when the workbook's parts are missing or broken."""
    m, book = _Members(zf), Book()
    root_rels = m.find("_rels/.rels")
    target = None
    if root_rels:
        for ev, el in m.elements(root_rels):
            if ev == "end" and _local(el.tag) == "Relationship" and (el.get("Type") or "").endswith(
                    "/relationships/officeDocument"):
                target = el.get("Target")
    if target is None:
        raise Bad("FILE_UNREADABLE", "no workbook in the package")
    xl = target.lstrip("/").rpartition("/")[0]
    xl = xl + "/" if xl else ""
    rels = {}
    rels_member = m.find(f"{xl}_rels/workbook.xml.rels")
    if rels_member is None:
        raise Bad("FILE_UNREADABLE", "no workbook relationships")
    for ev, el in m.elements(rels_member):
        if ev == "end" and _local(el.tag) == "Relationship":
            rels[el.get("Id")] = el.get("Target") or ""
            el.clear()
    workbook = m.find(f"{xl}workbook.xml")
    if workbook is None:
        raise Bad("FILE_UNREADABLE", "no workbook.xml")
    for ev, el in m.elements(workbook):
        tag = _local(el.tag)
        if ev == "start" and tag == "workbookPr":
            book.is_1904 = el.get("date1904") in ("1", "true")
        elif ev == "end" and tag == "sheet":
            rel = rels.get(_attr(el, "id"))
            if rel is None:
                raise Bad("FILE_UNREADABLE", "a sheet without its relationship")
            path = rel[1:] if rel.startswith("/") else posixpath.normpath(xl + rel)
            book.sheets[el.get("name") or ""] = m.find(path) or path
            el.clear()
    book.shared_strings = m.find(f"{xl}sharedStrings.xml")
    styles = m.find(f"{xl}styles.xml")
    if styles:
        book.formats = _date_styles(m, styles)
    return book


def _date_styles(m: _Members, member: str) -> dict[int, str]:
    custom: dict[str, str] = {}
    out, xf, in_xfs = {}, 0, False
    for ev, el in m.elements(member):
        tag = _local(el.tag)
        if ev == "start":
            if tag == "cellXfs":
                in_xfs = True
            elif tag == "xf" and in_xfs:
                fid = el.get("numFmtId")
                kind = None
                if fid is not None:
                    if fid in custom:
                        kind = date_kind(custom[fid])
                    elif fid.isdigit() and int(fid) in _BUILTIN_DATES:
                        kind = "date"
                    elif fid == str(_DELTA_BUILTIN):
                        kind = "delta"
                if kind:
                    out[xf] = kind
                xf += 1
            continue
        if tag == "numFmt" and el.get("numFmtId") is not None and el.get("formatCode") is not None:
            custom[el.get("numFmtId")] = el.get("formatCode")
        elif tag == "cellXfs":
            in_xfs = False
        if tag in ("numFmt", "xf", "cellXfs", "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "dxfs"):
            el.clear()
    return out
