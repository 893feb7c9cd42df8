"""The kinds of file a submission may be, by suffix and by first bytes: shared by the drive
scan (what to read), the limits (how to bound it) and the readers (how to open it)."""

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
SUBMISSION_SUFFIXES = EXCEL_SUFFIXES | CSV_SUFFIXES
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
