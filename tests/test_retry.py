"""Failures that may pass are tried again (issue 21.3; submission format: "A file that could not
be read for a reason that may pass ... is tried again at every run, until it loads or is
rejected for a reason in its content"). A MemoryError fails the task instead of rejecting a
file; a load task where every file failed to process fails (so the alert fires)."""
from __future__ import annotations

import pytest

from dgsa.ingest import load, readers, rows, steps as ingest
from dgsa.ingest.ledger import TRANSIENT
from dgsa.foundation import config
from dgsa_tools.sample.vocab import set_mtime

from helpers import ids, sub_row, when, write_submission

P = ids(10, seed=47)
FOLDER = "provinces/50-เชียงใหม่"


def _drive(root, names=("a.xlsx", "b.xlsx")):
    for n, name in enumerate(names):
        write_submission(root, f"{FOLDER}/{name}", [sub_row(1, P[2 * n]), sub_row(2, P[2 * n + 1])], when(20))
    return root


def _ledger(sql) -> dict:
    return {p.rsplit("/", 1)[-1]: (s, r) for p, s, r in
            sql("SELECT rel_path, status, coalesce(reason_code, '') FROM audit.source_file ORDER BY file_id")}


def _break_typing_of(monkeypatch, name: str):
    real = rows.type_grid

    def type_grid(grid, match, typer):
        if typer.file_id == _file_id_of[name]:
            raise KeyError("a typing bug")
        return real(grid, match, typer)
    monkeypatch.setattr(load, "type_grid", type_grid)


_file_id_of: dict = {}


def test_processing_error_is_read_again_at_the_next_run(tmp_path, warehouse, sql, monkeypatch):
    drive = _drive(tmp_path)
    ingest.scan(drive, url=warehouse)
    _file_id_of.update({p.rsplit("/", 1)[-1]: i for i, p in sql("SELECT file_id, rel_path FROM audit.source_file")})
    _break_typing_of(monkeypatch, "a.xlsx")
    ingest.load_kind(drive, "submission", "50", url=warehouse)
    assert _ledger(sql) == {"a.xlsx": ("rejected", "PROCESSING_ERROR"), "b.xlsx": ("loaded", "")}
    message = sql("SELECT message FROM audit.source_file WHERE reason_code = 'PROCESSING_ERROR'")[0][0]
    assert "try again at every run" in message
    th, _ = config.message("PROCESSING_ERROR", detail="KeyError")
    assert "ลองใหม่ทุกรอบ" in th
    monkeypatch.undo()                              # the bug fixed: the same bytes load at the next run
    out = ingest.run_all(drive, warehouse)
    assert out["scan"]["provinces"] == ["50"]
    assert _ledger(sql) == {"a.xlsx": ("loaded", ""), "b.xlsx": ("loaded", "")}
    assert sql("SELECT count(*) FROM audit.source_file") == [(2,)]      # the same version, read again
    assert sql("SELECT count(*) FROM core.live_assessment") == [(4,)]
    ingest.reconcile(url=warehouse)


def test_a_load_task_where_every_file_failed_to_process_fails(tmp_path, warehouse, sql, monkeypatch):
    drive = _drive(tmp_path)
    ingest.scan(drive, url=warehouse)

    def broken(grid, match, typer):
        raise KeyError("a typing bug")
    monkeypatch.setattr(load, "type_grid", broken)
    with pytest.raises(ingest.EveryFileFailed, match="every file of 50 failed to process"):
        ingest.load_kind(drive, "submission", "50", url=warehouse)
    assert {s for s, _ in _ledger(sql).values()} == {"rejected"}
    # the task's retry (Airflow) reads them again, and fails again while the bug is there
    with pytest.raises(ingest.EveryFileFailed):
        ingest.load_kind(drive, "submission", "50", url=warehouse)
    monkeypatch.undo()
    assert ingest.load_kind(drive, "submission", "50", url=warehouse)["loaded"] == 2


def test_a_file_that_vanished_loads_when_it_is_back(tmp_path, warehouse, sql):
    drive = _drive(tmp_path)
    ingest.scan(drive, url=warehouse)
    a = drive / FOLDER / "a.xlsx"
    saved = a.read_bytes()
    a.unlink()
    ingest.load_kind(drive, "submission", "50", url=warehouse)
    assert _ledger(sql) == {"a.xlsx": ("rejected", "FILE_VANISHED"), "b.xlsx": ("loaded", "")}
    ingest.run_all(drive, warehouse)                 # still gone: missing, not tried
    assert sql("SELECT status, missing_since IS NOT NULL FROM audit.source_file WHERE rel_path LIKE '%%/a.xlsx'") == [
        ("rejected", True)]
    a.write_bytes(saved)                             # the same bytes put back (a new mtime): read, and loaded
    set_mtime(a, when(23))
    ingest.run_all(drive, warehouse)
    assert _ledger(sql) == {"a.xlsx": ("loaded", ""), "b.xlsx": ("loaded", "")}
    assert sql("SELECT count(*) FROM audit.source_file") == [(2,)]
    assert sql("SELECT count(*) FROM core.live_assessment") == [(4,)]


def test_an_os_error_while_reading_is_retried(tmp_path, warehouse, sql, monkeypatch):
    drive = _drive(tmp_path, names=("a.xlsx",))
    ingest.scan(drive, url=warehouse)
    real = type(drive).read_bytes

    def eio(self):
        if self.name == "a.xlsx":
            raise OSError(5, "Input/output error")
        return real(self)
    monkeypatch.setattr(type(drive), "read_bytes", eio)
    with pytest.raises(ingest.EveryFileFailed):      # the only file failed: the task fails (alert)
        ingest.load_kind(drive, "submission", "50", url=warehouse)
    assert _ledger(sql) == {"a.xlsx": ("rejected", "FILE_READ_ERROR")}
    monkeypatch.undo()
    ingest.run_all(drive, warehouse)
    assert _ledger(sql) == {"a.xlsx": ("loaded", "")}


def test_memory_error_fails_the_task_and_rejects_nothing(tmp_path, warehouse, sql, monkeypatch):
    drive = _drive(tmp_path, names=("a.xlsx",))
    ingest.scan(drive, url=warehouse)

    def out_of_memory(*a, **k):
        raise MemoryError()
    monkeypatch.setattr(readers, "read_bytes", out_of_memory)
    with pytest.raises(MemoryError):
        ingest.load_kind(drive, "submission", "50", url=warehouse)
    assert _ledger(sql) == {"a.xlsx": ("new", "")}    # waiting, not rejected
    monkeypatch.undo()
    ingest.load_kind(drive, "submission", "50", url=warehouse)
    assert _ledger(sql) == {"a.xlsx": ("loaded", "")}


def test_every_transient_code_says_we_will_try_again():
    for code in TRANSIENT:
        th, en = config.message(code, detail="x")
        assert "try again" in en or "read the file again" in en, code
        assert "ใหม่" in th or "อีกครั้ง" in th, code
