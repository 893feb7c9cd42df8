"""dgsa.ingest.limits on real hostile files, generated here (never committed): a zip bomb, a zip
whose directory lies, a 16,384-column sheet, a sparse sheet reaching XFD1048576, a 10 MB
single-line CSV, random and truncated bytes, 100,000 garbage rows.

The generators (`hostile_files`, `minimal_xlsx`, `zip_bomb`) are shared with test_faults.py."""
from __future__ import annotations

import random
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from dgsa.foundation import config
from dgsa.ingest import limits, readers
from dgsa.ingest.normalise import Bad

from helpers import SUB_HEADER, ids, sub_row
from dgsa_tools.sample.vocab import write_sheet

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + NS + b"><sheetData>"
SHEET_TAIL = b"</sheetData></worksheet>"
PARTS = {
    "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    b'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    b'.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook ' + NS +
    b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1"'
    b' sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
    b'"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas'
    b'.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b'</Relationships>',
}


def _cell(ref: str, value) -> bytes:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'.encode()
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def sheet_xml(rows: list[list], first_row: int = 1) -> bytes:
    out = [SHEET_HEAD]
    for i, row in enumerate(rows, first_row):
        cells = b"".join(_cell(f"{limits.column_name(j)}{i}", v) for j, v in enumerate(row, 1) if v is not None)
        out.append(f'<row r="{i}">'.encode() + cells + b"</row>")
    out.append(SHEET_TAIL)
    return b"".join(out)


def minimal_xlsx(path: Path, sheet: bytes) -> Path:
    """A real xlsx (calamine opens it) with one sheet whose XML is given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in PARTS.items():
            zf.writestr(name, data)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def zip_bomb(path: Path, inflated: int = 2 << 30, declared: int | None = None) -> Path:
    """A small xlsx whose sheet XML inflates to `inflated` bytes (default 2 GiB from ~2 MB).
    The deflate stream is one compressed 1 MiB block repeated (a full flush makes each block
    independent), so building it costs milliseconds. `declared`: the uncompressed size the zip
    headers claim (a lying directory), default the truth."""
    row = b"<row><c><v>1</v></c></row>" + b" " * 4070     # XML whitespace: deflate's best ratio (~1000x)
    block = row * ((1 << 20) // len(row))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    n = max(1, (inflated - len(SHEET_HEAD) - len(SHEET_TAIL)) // len(block))
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    head_bytes = head.compress(SHEET_HEAD) + head.flush(zlib.Z_FULL_FLUSH)
    tail_comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail_bytes = tail_comp.compress(SHEET_TAIL) + tail_comp.flush()
    # the raw deflate stream: head block, n sheet blocks, the tail block (the final one)
    stream = head_bytes + first + again * (n - 1) + tail_bytes
    crc = zlib.crc32(SHEET_HEAD)
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(SHEET_TAIL, crc)
    size = len(SHEET_HEAD) + n * len(block) + len(SHEET_TAIL)
    claimed = size if declared is None else declared
    # write the other parts with zipfile, the sheet STORED (its bytes = our deflate stream),
    # then patch the sheet's local and central headers: method 8, CRC, uncompressed size
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in PARTS.items():
            zf.writestr(name, data)
        zf.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.xml", (2020, 10, 20, 0, 0, 0)), stream,
                    compress_type=zipfile.ZIP_STORED)
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    local = info.header_offset
    struct.pack_into("<H", data, local + 8, 8)               # method: deflate
    struct.pack_into("<III", data, local + 14, crc, len(stream), claimed)
    # find the sheet's central directory entry by name
    name = b"xl/worksheets/sheet1.xml"
    central = 0
    while True:
        central = data.find(b"PK\x01\x02", central + 1)
        nlen = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + nlen]) == name:
            break
    struct.pack_into("<H", data, central + 10, 8)
    struct.pack_into("<III", data, central + 16, crc, len(stream), claimed)
    path.write_bytes(bytes(data))
    return path


def wide_sheet(path: Path, columns: int = 16_384, rows: int = 3) -> Path:
    """A sheet `columns` wide (16,384 = XFD, Excel's maximum)."""
    return minimal_xlsx(path, sheet_xml([[f"h{j}" for j in range(columns)]] +
                                        [[j for j in range(columns)] for _ in range(rows - 1)]))


def long_line_csv(path: Path, size: int = 10 * 1024 * 1024) -> Path:
    """One 10 MB line (what raised `_csv.Error: field larger than field limit` in issue 11)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(",".join(SUB_HEADER).encode() + b"\n" + b"x" * size + b"\n")
    return path


def garbage_rows(path: Path, n: int = 100_000, seed: int = 7) -> Path:
    """A CSV with the real header and n rows of random garbage in every column."""
    rng = random.Random(seed)
    alphabet = "abcXYZ0123456789กขคง๑๒๓ -/.,;'\"=+@"
    pool = ['"' + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))).replace('"', '""') + '"'
            for _ in range(5000)]
    lines = [",".join(SUB_HEADER)]
    width = len(SUB_HEADER)
    for _ in range(n):
        lines.append(",".join(rng.choices(pool, k=width)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good_xlsx(path: Path, people: list[str]) -> Path:
    write_sheet(path, SUB_HEADER, [sub_row(i + 1, c) for i, c in enumerate(people)], title_lines=["ผล"], fmt="xlsx")
    return path


def hostile_files(folder: Path, seed: int = 11) -> dict[str, tuple[str, ...]]:
    """Every hostile file of issue 11 in one folder; returns {file name: acceptable reason codes}."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "random.xlsx").write_bytes(rng.randbytes(64 * 1024))
    (folder / "random.xls").write_bytes(rng.randbytes(64 * 1024))
    (folder / "random.csv").write_bytes(rng.randbytes(64 * 1024))
    whole = good_xlsx(folder / "whole.tmp", ids(3, seed=99)).read_bytes()
    (folder / "whole.tmp").unlink()
    (folder / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    zip_bomb(folder / "bomb.xlsx")
    zip_bomb(folder / "liar.xlsx", inflated=300 << 20, declared=4096)
    long_line_csv(folder / "long_line.csv")
    wide_sheet(folder / "wide.xlsx")
    minimal_xlsx(folder / "sparse.xlsx", SHEET_HEAD + b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">'
                 b'<c r="XFD1048576"><v>1</v></c></row>' + SHEET_TAIL)
    garbage_rows(folder / "garbage.csv")
    unreadable = ("FILE_UNREADABLE", "ENCODING_UNKNOWN", "NO_HEADER_ROW", "NO_DATA_ROWS")
    return {"random.xlsx": unreadable, "random.xls": unreadable, "random.csv": unreadable,
            "truncated.xlsx": unreadable, "bomb.xlsx": ("ZIP_BOMB",), "liar.xlsx": ("ZIP_BOMB",),
            "long_line.csv": ("LINE_TOO_LONG",), "wide.xlsx": ("TOO_MANY_COLUMNS",),
            "sparse.xlsx": ("TOO_MANY_COLUMNS", "TOO_MANY_ROWS"),
            "garbage.csv": ("TOO_MANY_BAD_ROWS", "NO_HEADER_ROW", "MISSING_COLUMNS")}


# ---------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return folder, hostile_files(folder)


def _reason(path: Path) -> Bad | None:
    try:
        limits.check_file(path)
    except Bad as bad:
        return bad
    return None


def test_zip_bomb_rejected_from_the_directory_without_inflating(hostile):
    folder, _ = hostile
    bomb = folder / "bomb.xlsx"
    assert bomb.stat().st_size < 5 * 1024 * 1024
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 2 << 30 - 1
    started = time.process_time()
    bad = _reason(bomb)
    assert bad.code == "ZIP_BOMB" and "DGSA_MAX_COMPRESSION_RATIO=100" in bad.detail, bad.detail
    assert time.process_time() - started < 1     # decided from the directory (not a timing claim on IO)


def test_zip_bomb_within_the_ratio_is_rejected_by_its_uncompressed_size(tmp_path, monkeypatch):
    monkeypatch.setenv("DGSA_MAX_COMPRESSION_RATIO", "100000")
    monkeypatch.setenv("DGSA_MAX_UNCOMPRESSED_BYTES", str(512 << 20))   # (the default, 2 GiB, takes longer to reach)
    bad = _reason(zip_bomb(tmp_path / "b.xlsx", inflated=600 << 20))
    assert bad.code == "TOO_LARGE" and "DGSA_MAX_UNCOMPRESSED_BYTES=536870912" in bad.detail, bad.detail


def test_a_zip_directory_that_lies_is_caught_while_inflating(hostile):
    folder, _ = hostile
    with zipfile.ZipFile(folder / "liar.xlsx") as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 4096     # what it claims
    bad = _reason(folder / "liar.xlsx")
    assert bad.code == "ZIP_BOMB" and "past its declared 4096 bytes" in bad.detail, bad.detail


def test_16384_columns(hostile):
    bad = _reason(hostile[0] / "wide.xlsx")
    assert (bad.code, bad.detail) == ("TOO_MANY_COLUMNS", "sheet 'sheet1.xml' has 16384 columns; limit DGSA_MAX_COLUMNS=500")


def test_sparse_sheet_reaching_the_last_cell_is_rejected_before_calamine_builds_its_grid(hostile):
    bad = _reason(hostile[0] / "sparse.xlsx")
    assert bad.code == "TOO_MANY_COLUMNS" and "16384" in bad.detail


def test_sheet_shape_limits(monkeypatch):
    limits.check_sheet_shape(1000, 40)
    with pytest.raises(Bad) as e:
        limits.check_sheet_shape(10, 16_384, "Sheet1")
    assert e.value.code == "TOO_MANY_COLUMNS"
    assert e.value.detail == "sheet 'Sheet1' has 16384 columns; limit DGSA_MAX_COLUMNS=500"
    limits.check_sheet_shape(1_048_576, 10)     # an honest roster filling an Excel sheet: read in chunks
    with pytest.raises(Bad) as e:
        limits.check_sheet_shape(20_000_000, 1)
    assert e.value.code == "TOO_MANY_ROWS" and "DGSA_MAX_ROWS=10000000" in e.value.detail
    with pytest.raises(Bad) as e:
        limits.check_sheet_shape(1_048_576, 40)     # calamine's grid would be ~42 million cells
    assert e.value.code == "TOO_MANY_CELLS" and "DGSA_MAX_CELLS=12000000" in e.value.detail
    monkeypatch.setenv("DGSA_MAX_COLUMNS", "20000")
    monkeypatch.setenv("DGSA_MAX_CELLS", "1e9")
    limits.check_sheet_shape(10, 16_384)      # a setting moves the bound


def test_rows_limit_on_xlsx_and_csv(tmp_path, monkeypatch):
    monkeypatch.setenv("DGSA_MAX_ROWS", "1000")
    x = minimal_xlsx(tmp_path / "tall.xlsx", sheet_xml([[i, "a"] for i in range(1500)]))
    assert _reason(x).code == "TOO_MANY_ROWS"
    c = tmp_path / "tall.csv"
    c.write_text("\n".join(f"{i},a" for i in range(1500)), encoding="utf-8")
    bad = _reason(c)
    assert bad.code == "TOO_MANY_ROWS" and "DGSA_MAX_ROWS=1000" in bad.detail
    c.write_text("\n".join(f"{i},a" for i in range(900)), encoding="utf-8")
    assert _reason(c) is None


def test_ten_megabyte_line(hostile):
    bad = _reason(hostile[0] / "long_line.csv")
    assert bad.code == "LINE_TOO_LONG"
    assert bad.detail.startswith("line 2 has more than") and bad.detail.endswith("limit DGSA_MAX_LINE_CHARS=100000")


def test_csv_line_length_counts_characters_not_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("DGSA_MAX_LINE_CHARS", "100")
    thai = tmp_path / "thai.csv"
    thai.write_text("ก" * 90 + "\n", encoding="utf-8")          # 270 bytes, 90 characters
    assert _reason(thai) is None
    thai.write_text("ก" * 101 + "\n", encoding="utf-8")
    assert _reason(thai).code == "LINE_TOO_LONG"
    u16 = tmp_path / "u16.csv"
    u16.write_bytes("ก,ข\n".encode("utf-16") + ("ค" * 200).encode("utf-16-le"))
    assert _reason(u16).code == "LINE_TOO_LONG"
    cp = tmp_path / "cp874.csv"
    cp.write_bytes(("ก" * 99 + "\n").encode("cp874"))
    assert _reason(cp) is None


def test_csv_columns_and_cell_length(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(["a"] * 600) + "\n", encoding="utf-8")
    assert _reason(wide).code == "TOO_MANY_COLUMNS"
    cell = tmp_path / "cell.csv"
    cell.write_text("a,b\n1," + "x" * 40_000 + "\n", encoding="utf-8")
    bad = _reason(cell)
    assert bad.code == "CELL_TOO_LONG" and "DGSA_MAX_CELL_CHARS=32767" in bad.detail


def test_xlsx_cell_length(tmp_path):
    x = minimal_xlsx(tmp_path / "long.xlsx", sheet_xml([["a", "b"], [1, "ก" * 40_000]]))
    bad = _reason(x)
    assert bad.code == "CELL_TOO_LONG", bad.detail
    ok = minimal_xlsx(tmp_path / "ok.xlsx", sheet_xml([["a", "b"], [1, "ก" * 30_000]]))
    assert _reason(ok) is None      # 90,000 bytes of Thai are 30,000 characters


def test_check_bytes_is_check_file_on_bytes(hostile, tmp_path, monkeypatch):
    """The loader checks the very bytes it hashed: same verdicts as on the path."""
    folder, _ = hostile
    for name in ("bomb.xlsx", "liar.xlsx", "wide.xlsx", "sparse.xlsx", "long_line.csv", "garbage.csv", "random.csv"):
        on_path = _reason(folder / name)
        try:
            limits.check_bytes((folder / name).read_bytes(), name)
            on_bytes = None
        except Bad as bad:
            on_bytes = bad
        assert (on_path and (on_path.code, on_path.detail)) == (on_bytes and (on_bytes.code, on_bytes.detail)), name
    monkeypatch.setenv("DGSA_MAX_FILE_BYTES", "10")
    with pytest.raises(Bad, match="TOO_LARGE"):
        limits.check_bytes(b"a,b\n1,2\n3,4\n", "x.csv")


def test_mac_line_endings_are_lines(tmp_path):
    f = tmp_path / "mac.csv"
    f.write_bytes(b"a,b\r" + b"1,2\r" * 60_000)       # 240 KB in CR-terminated lines of 4 characters
    assert _reason(f) is None


def test_check_grid_exact():
    limits.check_grid([["a", 1, None], ["x" * 32_767]])
    with pytest.raises(Bad) as e:
        limits.check_grid([["a"], [None, "x" * 32_768]])
    assert e.value.code == "CELL_TOO_LONG" and e.value.detail.startswith("cell B2 has 32768 characters")


def test_file_size_limit(tmp_path, monkeypatch):
    f = tmp_path / "big.csv"
    f.write_bytes(b"a,b\n" * 1000)
    monkeypatch.setenv("DGSA_MAX_FILE_BYTES", "1000")
    bad = _reason(f)
    assert (bad.code, bad.detail) == ("TOO_LARGE", "file has 4000 bytes; limit DGSA_MAX_FILE_BYTES=1000")


def test_many_zip_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("DGSA_MAX_ZIP_ENTRIES", "50")
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(60):
            zf.writestr(f"x{i}.xml", b"<a/>")
    bad = _reason(path)
    assert bad.code == "ZIP_BOMB" and "DGSA_MAX_ZIP_ENTRIES=50" in bad.detail


def test_random_and_truncated_bytes_pass_the_limits_and_the_reader_rejects_them(hostile):
    """Small garbage is not over any limit: the reader rejects it with a reason, never another error."""
    folder, _ = hostile
    for name in ("random.xlsx", "random.xls", "random.csv", "truncated.xlsx"):
        bad = _reason(folder / name)
        assert bad is None or bad.code == "FILE_UNREADABLE", (name, bad and bad.detail)
        with pytest.raises(Bad) as e:
            readers.read(folder / name)
        assert e.value.code in ("FILE_UNREADABLE", "ENCODING_UNKNOWN"), (name, e.value.code)


def test_garbage_rows_are_within_the_limits(hostile):
    """100,000 garbage rows are a legitimate size: the contract rejects them (test_faults)."""
    assert _reason(hostile[0] / "garbage.csv") is None


def test_good_files_pass(tmp_path):
    people = ids(50)
    assert _reason(good_xlsx(tmp_path / "good.xlsx", people)) is None
    write_sheet(tmp_path / "good.csv", SUB_HEADER, [sub_row(i, c) for i, c in enumerate(people)], fmt="csv")
    assert _reason(tmp_path / "good.csv") is None
    write_sheet(tmp_path / "good.xls", SUB_HEADER, [sub_row(i, c) for i, c in enumerate(people)], fmt="xls")
    assert _reason(tmp_path / "good.xls") is None


def test_every_limit_code_has_a_message_naming_the_limit():
    codes = config.reason_codes()
    for code in limits.CODES:
        assert code in codes and codes[code]["scope"] == "file", code
        th, en = config.message(code, detail="sheet has 16384 columns; limit DGSA_MAX_COLUMNS=500")
        assert "DGSA_MAX_COLUMNS=500" in th and "DGSA_MAX_COLUMNS=500" in en, code


def test_bad_setting_says_so(monkeypatch):
    monkeypatch.setenv("DGSA_MAX_ROWS", "0")
    with pytest.raises(config.ConfigError, match="DGSA_MAX_ROWS=0"):
        limits.max_rows()
