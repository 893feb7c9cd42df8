"""Every ledger row in a province folder carries the folder's province code, ignored files too
(warehouse contract: province_code "from the folder name"), so the province's feedback lists them."""
from dgsa.ingest import steps as ingest
from dgsa_tools.sample.vocab import set_mtime

from helpers import ids, sub_row, when, write_submission


def test_ignored_files_in_a_province_folder_get_its_code(tmp_path, warehouse, sql):
    write_submission(tmp_path, "provinces/50-เชียงใหม่/a.xlsx", [sub_row(1, ids(1)[0])], when(20))
    for name in ("scan.pdf", "~$a.xlsx", "Thumbs.db", "แก้ไข/notes.docx"):
        path = tmp_path / "provinces/50-เชียงใหม่" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        set_mtime(path, when(21))
    (tmp_path / "provinces/เชียงใหม่").mkdir(parents=True)
    (tmp_path / "provinces/เชียงใหม่/scan.pdf").write_bytes(b"x")       # no code in the folder name
    (tmp_path / "notes.txt").write_bytes(b"x")                           # outside the layout
    ingest.scan(tmp_path, url=warehouse)
    got = dict(sql("SELECT rel_path, status || ':' || coalesce(province_code, '-') FROM audit.source_file"))
    assert got == {
        "provinces/50-เชียงใหม่/a.xlsx": "new:50",
        "provinces/50-เชียงใหม่/scan.pdf": "ignored:50",
        "provinces/50-เชียงใหม่/~$a.xlsx": "ignored:50",
        "provinces/50-เชียงใหม่/Thumbs.db": "ignored:50",
        "provinces/50-เชียงใหม่/แก้ไข/notes.docx": "ignored:50",
        "provinces/เชียงใหม่/scan.pdf": "ignored:-",
        "notes.txt": "ignored:-",
    }
