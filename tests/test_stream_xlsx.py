"""A big xlsx sheet is streamed (dgsa.ingest.stream_xlsx), not built whole by calamine: its rows
are calamine's, cell for cell and type for type; a roster workbook over DGSA_MAX_CELLS loads
with the default settings in memory bounded by the chunk; the limits still refuse what they
refused (tests/test_limits.py, tests/test_faults.py run the hostile files)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dgsa.foundation import db
from dgsa.ingest import limits, stream_read
from dgsa.ingest.normalise import Bad
from dgsa.ingest.xlsx_parts import date_kind
from dgsa_tools.bench import memory
from dgsa_tools.sample import generator as sample

ROWS = 250_000
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _calamine_rows(path: Path) -> list[tuple[str, list]]:
    old = stream_read.ExcelSource(path, path.suffix.lower())
    return [(name, list(old.rows(name))) for name in old.sheet_names()]


def _streamed_rows(path: Path) -> list[tuple[str, list]]:
    src = stream_read.open_source(path)
    assert isinstance(src, stream_read.XlsxSource)
    return [(name, list(src.rows(name))) for name in src.sheet_names()]


def _same(a: list, b: list) -> None:
    assert [n for n, _ in a] == [n for n, _ in b]
    for (name, x), (_, y) in zip(a, b):
        assert len(x) == len(y), name
        for i, (rx, ry) in enumerate(zip(x, y), 1):
            assert rx == ry and list(map(type, rx)) == list(map(type, ry)), (name, i, rx, ry)


def test_messy_drive_workbooks_stream_as_calamine_reads_them(tmp_path):
    drive = tmp_path / "drive"
    sample.generate(drive, 60, 31, messy=True)
    compared = 0
    for path in sorted(p for p in drive.rglob("*") if p.suffix.lower() in {".xlsx", ".xlsm"}):
        try:
            expected = _calamine_rows(path)
        except Exception:   # noqa: BLE001 - empty, broken, encrypted: compared as whole files elsewhere
            with pytest.raises(Bad):
                _streamed_rows(path)
            continue
        _same(expected, _streamed_rows(path))
        compared += 1
    assert compared > 20


def _odd_workbook(path: Path, date1904: bool = False, sheet: str | None = None) -> Path:
    """Every kind of cell a writer may put in a sheet, by hand: shared strings (rich runs, a
    phonetic run, spaces kept and trimmed, _x000D_ escapes, entities), inline strings, t="str",
    booleans, errors, ISO dates, numbers under built-in and custom date/time/duration formats,
    an out-of-range style, a formula without a value, gaps, rows and cells without r, a sheet
    starting at column C, prefixed element names, formatted empty cells at the end."""
    sst = ["plain", "<r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r>", "<t>ก</t><rPh><t>ignored</t></rPh>",
           '<t xml:space="preserve">  kept  </t>', "<t>  trimmed\t</t>", "<t>a_x000D_b_x005F_</t>",
           "<t>&lt;x&amp;y&gt; &#3585;</t>", "<t></t>", ""]
    sst = [s if s.startswith("<") or not s else f"<t>{s}</t>" for s in sst]
    styles = (f'<styleSheet {NS}><numFmts count="3"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
              '<numFmt numFmtId="165" formatCode="[h]:mm"/><numFmt numFmtId="166" formatCode="#,##0.00&quot;y&quot;"/>'
              '</numFmts><cellXfs count="8"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/>'
              '<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="46"/><xf numFmtId="20"/>'
              '</cellXfs></styleSheet>')
    cells = [
        '<row r="2"><c r="C2" t="s"><v>0</v></c><c r="D2" t="s"><v>1</v></c><c r="E2" t="s"><v>2</v></c>'
        '<c r="F2" t="s"><v>3</v></c><c r="G2" t="s"><v>4</v></c><c r="H2" t="s"><v>5</v></c></row>',
        '<row r="3"><c r="C3" t="s"><v>6</v></c><c r="D3" t="s"><v>7</v></c><c r="E3" t="s"><v>8</v></c>'
        '<c r="F3" t="inlineStr"><is><t>in&amp;line</t></is></c><c r="G3" t="str"><v>f&lt;1</v></c>'
        '<c r="H3" t="b"><v>1</v></c><c r="I3" t="b"><v>0</v></c></row>',
        '<row r="5"><c r="C5" t="e"><v>#N/A</v></c><c r="D5" t="d"><v>2020-10-30</v></c>'
        '<c r="E5" t="d"><v>2020-10-30T08:15:00</v></c><c r="F5"><v>44134</v></c><c r="G5" s="1"><v>44134</v></c>'
        '<c r="H5" s="2"><v>44134.5</v></c><c r="I5" s="3"><v>59</v></c><c r="J5" s="4"><v>1.25</v></c></row>',
        '<row r="6"><c r="C6" s="5"><v>44134</v></c><c r="D6" s="6"><v>0.5</v></c><c r="E6" s="7"><v>0.25</v></c>'
        '<c r="F6" s="99"><v>44134</v></c><c r="G6"><f>SUM(A1)</f></c><c r="H6"><f>1+1</f><v>2</v></c>'
        '<c r="I6"><v>1.5E3</v></c><c r="J6"><v>-0.000001</v></c></row>',
        '<row><c t="inlineStr"><is><t>no r</t></is></c><c><v>7</v></c></row>',       # row 7, columns A, B
        '<x:row r="9"><x:c r="D9" t="inlineStr"><x:is><x:t>prefixed</x:t></x:is></x:c></x:row>',
        '<row r="11"><c r="C11" s="1"/><c r="E11" s="2"></c><c r="F11"><v></v></c></row>',
        '<row r="12"><c r="K12" s="1"/></row><row r="1048576"><c r="A1048576" s="1"/></row>',
    ]
    sheet = sheet or (f'<worksheet {NS} xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                      '<dimension ref="A1:K12"/><sheetData>' + "".join(cells) + "</sheetData></worksheet>")
    wb_pr = '<workbookPr date1904="1"/>' if date1904 else ""
    parts = dict(memory._PARTS)
    parts["xl/workbook.xml"] = (f'<workbook {NS} xmlns:r="{REL}">{wb_pr}<sheets><sheet name="หนึ่ง" sheetId="1" '
                                'r:id="rId1"/><sheet name="two" sheetId="2" r:id="rId3"/></sheets></workbook>')
    parts["xl/_rels/workbook.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
        f'<Relationship Id="rId4" Type="{REL}/styles" Target="styles.xml"/></Relationships>')
    parts["xl/sharedStrings.xml"] = f'<sst {NS}>' + "".join(f"<si>{s}</si>" for s in sst) + "</sst>"
    parts["xl/styles.xml"] = styles
    parts["xl/worksheets/sheet1.xml"] = sheet
    parts["xl/worksheets/sheet2.xml"] = (f'<worksheet {NS}><sheetData><row r="3"><c r="B3"><v>1</v></c></row>'
                                         '</sheetData></worksheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return path


@pytest.mark.parametrize("date1904", [False, True])
def test_every_kind_of_cell_streams_as_calamine_reads_it(tmp_path, date1904):
    path = _odd_workbook(tmp_path / "odd.xlsx", date1904)
    expected = _calamine_rows(path)
    assert len(expected[0][1]) == 9 and len(expected[0][1][0]) == 10   # to row 9, column J: the test's premise
    _same(expected, _streamed_rows(path))


def test_plain_rows_read_by_the_fast_path_are_calamines_too(tmp_path, monkeypatch):
    """Several MiB of plain rows (the blocks after the first go to xlsx_fast) with every plain
    kind of cell: numbers, dates by style, booleans, t="str", errors, empty <v>, formatted
    empty cells, shared strings, inline strings (as the sample generator and many writers save
    text: padded, escaped, empty), rows holding nothing, gaps; a block that is not plain between."""
    from dgsa.ingest import stream_xlsx

    inline = ["ธีรพงษ์", "  ว่าที่ร้อยตรี \n", "", "a_x000D_b", "1466621154318", "x"]
    rows = []
    for i in range(1, 40_001):
        if i % 97 == 0:
            rows.append(f'<row r="{i}"></row>')
            continue
        if i % 89 == 0:
            continue
        text = "f&amp;g" if i == 20_000 else f"ข้อความ {i}"          # one entity: that block goes to expat
        rows.append(f'<row r="{i}" spans="1:9"><c r="A{i}"><v>{i}</v></c><c r="B{i}" s="{i % 8}"><v>{44000 + i / 7}'
                    f'</v></c><c r="C{i}" t="b"><v>{i % 2}</v></c><c r="D{i}" t="str"><v>{text}</v></c>'
                    f'<c r="E{i}" t="e"><v>#N/A</v></c><c r="F{i}"><v></v></c><c r="G{i}" s="2"/>'
                    f'<c r="H{i}" t="s"><v>{i % 9}</v></c>' + (f'<c r="I{i}" t="s"></c>' if i % 5 else "")
                    + f'<c r="J{i}" t="inlineStr"><is><t>{inline[i % len(inline)]}</t></is></c>' + "</row>")
    sheet = f'<worksheet {NS}><sheetData>' + "".join(rows) + "</sheetData></worksheet>"
    assert len(sheet) > 4 << 20
    path = _odd_workbook(tmp_path / "plain.xlsx", sheet=sheet)
    used = []
    real = stream_xlsx.plain_rows
    monkeypatch.setattr(stream_xlsx, "plain_rows", lambda chunk: used.append(real(chunk) is not None) or real(chunk))
    _same(_calamine_rows(path), _streamed_rows(path))
    assert used.count(True) >= 3 and used.count(False) >= 2     # the fast path read most blocks, expat the others


def test_date_format_detection_is_calamines():
    for code, kind in [("DD/MM/YY", "date"), ("H:MM:SS;@", "date"), ("[h]:mm:ss", "delta"), ("[ss]", "delta"),
                       ('"$"#,##0_);[Red]("$"#,##0)', None), ("#,##0*y", None), ("\\Y000000", None),
                       ("[>=100][Magenta].00", None), ('[$-404]e"\\xfc"m', "date"), ("General", None),
                       ("0.00", None), ("ha/p\\\\m", "date")]:
        assert date_kind(code) == kind, code


RUN = """
import json, resource, sys
from pathlib import Path
from dgsa.ingest import steps
totals = steps.run_all(Path(sys.argv[1]), sys.argv[2])["totals"]
print(json.dumps({"totals": totals, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def test_a_big_roster_workbook_loads_with_the_defaults_streamed(tmp_path, warehouse_url, monkeypatch):
    drive = tmp_path / "drive"
    path = memory.write_roster_xlsx(drive, ROWS)
    assert path.stat().st_size > 8_000_000, "over DGSA_STREAM_MIN_BYTES: the streamed path"
    # the premise: calamine's grid of this sheet would be over the cell bound
    monkeypatch.setenv("DGSA_MAX_CELLS", str(ROWS * 9 - 1))
    monkeypatch.setenv("DGSA_STREAM_MIN_BYTES", str(path.stat().st_size))    # as if small: read whole
    with pytest.raises(Bad) as e:
        limits.check_file(path)
    assert e.value.code == "TOO_MANY_CELLS"
    monkeypatch.delenv("DGSA_STREAM_MIN_BYTES")
    assert limits.check_file(path) == ROWS + 2      # streamed: its cells are not held, not counted
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGSA_MAX_", "DGSA_CHUNK", "DGSA_STREAM"))}
    with db.scratch_database(warehouse_url, "dgsa_bigxlsx") as url:
        proc = subprocess.run([sys.executable, "-c", RUN, str(drive), url], env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("""SELECT status, reason_code, rows_read, rows_loaded, rows_rejected, rows_skipped, file_id,
                                  file_format FROM audit.source_file WHERE kind = 'roster'""")
            status, reason, read, loaded, rejected, skipped, fid, fmt = cur.fetchone()
            cur.execute("SELECT count(*), max(source_row) FROM raw.source_row WHERE file_id = %s", (fid,))
            raw = cur.fetchone()
            cur.execute("SELECT count(*), count(DISTINCT citizen_id) FROM core.roster_entry WHERE file_id = %s", (fid,))
            typed = cur.fetchone()
            cur.execute("SELECT cells FROM raw.source_row WHERE file_id = %s AND source_row = %s", (fid, ROWS + 2))
            last = cur.fetchone()[0]
    print(f"\n{ROWS:,}-row roster workbook ({path.stat().st_size / 1e6:.0f} MB), default settings: "
          f"peak RSS of the loading process {out['peak_rss_mib']:.0f} MiB")
    assert (status, reason, fmt) == ("loaded", None, "xlsx")
    assert (read, loaded, rejected, skipped) == (ROWS, ROWS, 0, 0)
    assert raw == (ROWS + 2, ROWS + 2)               # the title line and the header are raw rows too
    assert typed == (ROWS, ROWS)
    assert last[1] == memory.citizen_id(ROWS)         # the last row, its citizen ID from the shared strings
    assert out["totals"]["rows_loaded"] == ROWS
    assert out["peak_rss_mib"] < 1536, "the memory target (1.5 GiB) for any size"


def test_a_sheet_with_a_dtd_is_refused_not_expanded(tmp_path):
    from test_limits import SHEET_HEAD, minimal_xlsx

    laughs = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
              + SHEET_HEAD.split(b"?>", 1)[-1] + b'<row r="1"><c r="A1" t="str"><v>&b;</v></c></row></sheetData>'
              b"</worksheet>")
    path = minimal_xlsx(tmp_path / "dtd.xlsx", laughs)
    with pytest.raises(Bad) as e:
        _streamed_rows(path)
    assert e.value.code == "FILE_UNREADABLE" and "DOCTYPE" in e.value.detail


def test_the_row_and_column_limits_hold_in_the_streamed_pass_itself(tmp_path, monkeypatch):
    from dgsa.ingest.limit_xlsx import XlsxBound

    path = _odd_workbook(tmp_path / "odd.xlsx")
    for name, value, code in (("DGSA_MAX_ROWS", "5", "TOO_MANY_ROWS"), ("DGSA_MAX_COLUMNS", "4", "TOO_MANY_COLUMNS")):
        monkeypatch.setenv(name, value)
        src = stream_read.open_source(path)
        src.rows_bound = XlsxBound(0, {})         # as if the limits' scan had said nothing: the reader checks too
        with pytest.raises(Bad) as e:
            list(src.rows("หนึ่ง"))
        assert e.value.code == code and name in e.value.detail
        monkeypatch.delenv(name)
