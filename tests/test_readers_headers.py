import openpyxl
import pytest
from openpyxl.styles import PatternFill

from dgsa.ingest import headers, readers
from dgsa.ingest.normalise import Bad

from helpers import SUB_HEADER, ids, sub_row

CID = ids(1)[0]


def test_header_aliases_thai_english_and_skills():
    m = headers.find_header([["title"], [], ["No.", "Citizen ID", "First Name", "SURNAME", "Target Group",
                                           "target level", "Assessment date", "ด้านที่ 1", "Skill 2",
                                           "Digital Leadership", "เลขประจำตัวประชาชน (13 หลัก)", "Signed"]], "ocsc-2561")
    assert m.row_index == 2
    assert m.columns["citizen_id"] == 1 and m.columns["last_name"] == 3 and m.columns["assessed_on"] == 6
    assert m.columns["skill:DL"] == 7 and m.columns["skill:GOV"] == 8 and m.columns["skill:LEAD"] == 9
    assert headers.missing_required(m.columns, "submission") == []


def test_missing_required_columns_are_named():
    m = headers.find_header([["เลขประจำตัวประชาชน", "ชื่อ", "นามสกุล"]], "ocsc-2561")
    assert set(headers.missing_required(m.columns, "submission")) == {"target_group", "target_level",
                                                                      "assessed_on", "signed"}


def test_no_header_row():
    assert headers.find_header([["a", "b"], ["c", "d"]], "ocsc-2561") is None


def _csv_bytes(encoding: str, delimiter: str = ",") -> bytes:
    lines = [delimiter.join(SUB_HEADER), delimiter.join(str(v) for v in sub_row(1, CID) if v is not None)]
    return "\n".join(lines).encode(encoding)


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ","), ("utf-8-sig", ","), ("cp874", ","),
                                                ("tis-620", "\t"), ("utf-8", "\t"), ("utf-16", "\t")])
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter):
    path = tmp_path / "f.csv"
    path.write_bytes(_csv_bytes(encoding, delimiter))
    book = readers.read(path)
    rows = book.sheets[0].rows
    assert rows[0][1] == "เลขประจำตัวประชาชน" and rows[1][3] == "สมชาย"


def test_csv_undecodable_is_rejected(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"\x81\x82\x83\xfe\xff" * 50 + b"\n")
    with pytest.raises(Bad) as exc:
        readers.read(path)
    assert exc.value.code in ("ENCODING_UNKNOWN", "FILE_UNREADABLE")


def test_corrupt_and_encrypted_and_empty(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "locked.xlsx").write_bytes(readers.OLE_MAGIC + b"\x00" * 600)
    (tmp_path / "empty.xlsx").write_bytes(b"")
    for name, code in (("broken.xlsx", "FILE_UNREADABLE"), ("locked.xlsx", "FILE_ENCRYPTED"),
                       ("empty.xlsx", "FILE_EMPTY")):
        with pytest.raises(Bad) as exc:
            readers.read(tmp_path / name)
        assert exc.value.code == code


def test_used_range_to_last_excel_row_reads_only_real_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(SUB_HEADER)
    ws.append(sub_row(1, CID))
    fill = PatternFill("solid", fgColor="FFFF00")
    for col in range(1, len(SUB_HEADER) + 1):
        ws.cell(1_048_576, col).fill = fill
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    book = readers.read(path)
    assert len(book.sheets[0].rows) == 2   # formatting alone does not make a million rows
