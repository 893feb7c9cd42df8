"""A minimal streaming .xlsx writer for the sample generator (one sheet, rows appended).

openpyxl's write-only mode manages ~75,000 cells/s; a 1,000,000-person drive has ~45 million
cells, so the generator writes the sheet XML itself: inline strings, numbers, and dates as
serial numbers with the built-in date format (numFmtId 14), deflated straight into the zip
(memory does not grow with the rows). calamine, openpyxl and pandas read these files like
Excel's own.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils.cell import get_column_letter

_EPOCH = dt.date(1899, 12, 30)

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"


_COLS = [get_column_letter(i) for i in range(1, 200)]
_FIXED_DATE = dt.datetime(2020, 1, 1)
_TEXT: dict[str, str] = {}   # zip entry timestamps: same bytes for the same rows


class StreamingXlsx:
    """with StreamingXlsx(path, "sheet") as w: w.append([...]) for every row."""

    def __init__(self, path: Path, sheet_name: str = "Sheet1", compresslevel: int = 1):
        self.path, self.sheet_name, self.row = Path(path), sheet_name, 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", _FIXED_DATE.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        self._sheet = self._zip.open(info, "w", force_zip64=True)
        self._buf: list[str] = [_SHEET_HEAD]
        self._size = 0

    def append(self, values) -> None:
        self.row += 1
        r = self.row
        cells = []
        for col, v in zip(_COLS, values):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                text = _TEXT.get(v)
                if text is None:
                    text = escape(v)
                    if len(_TEXT) < 50_000 and not v[:1].isdigit():   # words repeat; IDs do not
                        _TEXT[v] = text
                cells.append(f'<c r="{col}{r}" t="inlineStr"><is><t>{text}</t></is></c>')
            elif isinstance(v, bool):
                cells.append(f'<c r="{col}{r}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float)):
                cells.append(f'<c r="{col}{r}"><v>{v}</v></c>')
            elif isinstance(v, dt.date):
                d = v.date() if isinstance(v, dt.datetime) else v
                cells.append(f'<c r="{col}{r}" s="1"><v>{(d - _EPOCH).days}</v></c>')
            else:
                cells.append(f'<c r="{col}{r}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>')
        line = f'<row r="{r}">{"".join(cells)}</row>'
        self._buf.append(line)
        self._size += len(line)
        if self._size > 1 << 20:
            self._flush()

    def _flush(self) -> None:
        self._sheet.write("".join(self._buf).encode("utf-8"))
        self._buf, self._size = [], 0

    def close(self) -> None:
        self._buf.append(_SHEET_TAIL)
        self._flush()
        self._sheet.close()
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                           ("xl/workbook.xml", _WORKBOOK.format(name=escape(self.sheet_name))),
                           ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS), ("xl/styles.xml", _STYLES)):
            self._zip.writestr(zipfile.ZipInfo(name, _FIXED_DATE.timetuple()[:6]), text,
                               compress_type=zipfile.ZIP_DEFLATED)
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
