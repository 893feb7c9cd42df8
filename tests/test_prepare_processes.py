"""Both cores in a load task (dgsa.ingest.prepare_pool): files read and typed by worker processes
give the SAME warehouse as files prepared in process (the contract tables of tests/contract_tables.py,
on a seeded messy drive with bad rows and bad files); a worker killed mid-run costs no file and
half-loads none; the workers start where multiprocessing may not (a daemonic process, as a Celery
prefork child) and never re-run the CLI under `python -m dgsa.ingest`."""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dgsa.foundation import db
from dgsa.ingest import prepare_pool
from dgsa.ingest import steps as ingest
from dgsa_tools.sample import generator as sample

import contract_tables

ROOT = Path(__file__).resolve().parent.parent
INGEST_TABLES = ["source_file", "rejected_row", "source_row", "assessment", "assessment_skill", "roster_entry",
                 "validation_result"]
POOL_LINE = "prepare: 2 worker processes"


@pytest.fixture(scope="module")
def drive(tmp_path_factory):
    out = tmp_path_factory.mktemp("cores") / "drive"
    sample.generate(out, 120, seed=23, messy=True, bad_share=0.05)
    return out


def _workers(monkeypatch, n: int) -> list:
    """n workers for every load of this small drive; the load itself prepares one file at a time
    ahead while it waits (not HERE_BYTES' worth), so that the workers get files too. Returns the
    file ids the workers answered."""
    monkeypatch.setenv("DGSA_PREPARE_PROCESSES", str(n))
    monkeypatch.setenv("DGSA_PREPARE_MIN_BYTES", "0")
    monkeypatch.setattr(prepare_pool, "HERE_BYTES", 1)
    answered, real = [], prepare_pool._Worker.answer

    def answer(worker):
        message = real(worker)
        if message is not None:
            answered.append(worker.asked[0].file_id)
        return message
    monkeypatch.setattr(prepare_pool._Worker, "answer", answer)
    return answered


def _load(drive: Path, url: str) -> dict:
    ingest.prepare(url)
    ingest.run_all(drive, url)
    return contract_tables.dump(url, INGEST_TABLES)


@pytest.fixture(scope="module")
def in_process(drive, warehouse_url):
    """The reference: every file prepared in process (DGSA_PREPARE_PROCESSES=0)."""
    with pytest.MonkeyPatch.context() as mp:
        _workers(mp, 0)
        with db.scratch_database(warehouse_url, "dgsa_cores") as url:
            tables = _load(drive, url)
    assert tables["assessment"] and tables["rejected_row"] and tables["roster_entry"]
    assert any(r[6] == "rejected" for r in tables["source_file"]), "the drive has files rejected whole"
    return tables


def test_two_workers_make_the_same_warehouse_as_in_process(drive, warehouse_url, in_process, monkeypatch, caplog):
    answered = _workers(monkeypatch, 2)
    caplog.set_level(logging.INFO)
    with db.scratch_database(warehouse_url, "dgsa_cores") as url:
        tables = _load(drive, url)
    assert POOL_LINE in caplog.text and len(answered) > 20, "files were prepared by the workers"
    assert contract_tables.differences(in_process, tables) == []


def test_a_worker_killed_mid_run_costs_no_file(drive, warehouse_url, in_process, monkeypatch, caplog):
    """Worker 0 is killed (SIGKILL) when it is asked a file after it has started (its imports
    done): the file it was on is rejected PROCESSING_ERROR (read again at the next run), the files
    it had not started are prepared by the other worker; the accounting holds, and the next run
    makes the warehouse the in-process load makes."""
    _workers(monkeypatch, 2)
    caplog.set_level(logging.INFO)
    real_ask, killed = prepare_pool._Worker.ask, []

    def ask(worker, rec, root):
        sent = real_ask(worker, rec, root)
        if sent and worker.number == 0 and worker.ready and not killed:
            os.kill(worker.proc.pid, signal.SIGKILL)
            killed.append(rec.file_id)
        return sent
    monkeypatch.setattr(prepare_pool._Worker, "ask", ask)
    with db.scratch_database(warehouse_url, "dgsa_cores") as url:
        ingest.prepare(url)
        totals = ingest.run_all(drive, url)["totals"]        # reconcile: every file's rows add up
        assert killed, "a worker was killed"
        assert re.search(r"prepare worker 0 \(pid \d+\) ended, exit code -9", caplog.text)
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT file_id, message FROM audit.source_file WHERE reason_code = 'PROCESSING_ERROR'")
            lost = cur.fetchall()
            cur.execute("SELECT count(*) FROM audit.source_file WHERE status IN ('new', 'pending')")
            waiting = cur.fetchone()[0]
        assert len(lost) == 1 and "PrepareWorkerEnded" in lost[0][1]
        assert waiting == 0 and totals["files"] == len(in_process["source_file"])
        monkeypatch.setattr(prepare_pool._Worker, "ask", real_ask)
        ingest.run_all(drive, url)                          # the next run reads the lost file again
        assert contract_tables.differences(in_process, contract_tables.dump(url, INGEST_TABLES)) == []
    assert not re.search(r"\d{13}", caplog.text), "no citizen ID in the logs"
    print(f"\nkilled worker 0 after asking file {killed[0]}; rejected PROCESSING_ERROR: {[f for f, _ in lost]}")


def _load_in_a_daemonic_child(drive: str, url: str, out) -> None:
    """What a Celery prefork pool process is: a daemonic multiprocessing child."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())
    logging.getLogger("dgsa").addHandler(Keep())
    logging.getLogger("dgsa").setLevel(logging.INFO)
    try:
        multiprocessing.get_context("fork").Process(target=print).start()
        refused = ""
    except AssertionError as exc:           # what made the multiprocessing pool fail there
        refused = str(exc)
    try:
        ingest.run_all(Path(drive), url)
        out.put({"daemon": multiprocessing.current_process().daemon, "refused": refused, "lines": lines})
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        out.put({"error": repr(exc)})


def test_workers_start_in_a_daemonic_process(drive, warehouse_url, in_process, monkeypatch):
    _workers(monkeypatch, 2)         # the child is forked: it has these settings and patches
    ctx = multiprocessing.get_context("fork")
    with db.scratch_database(warehouse_url, "dgsa_cores") as url:
        ingest.prepare(url)
        out = ctx.Queue()
        child = ctx.Process(target=_load_in_a_daemonic_child, args=(str(drive), url, out), daemon=True)
        child.start()
        result = out.get(timeout=600)
        child.join(timeout=60)
        assert "error" not in result, result.get("error")
        assert result["daemon"] and "daemonic processes are not allowed to have children" in result["refused"]
        assert any(POOL_LINE in line for line in result["lines"]), "the workers ran in the daemonic process"
        assert contract_tables.differences(in_process, contract_tables.dump(url, INGEST_TABLES)) == []


def test_python_m_dgsa_ingest_runs_its_cli_once(drive, warehouse_url, in_process):
    with db.scratch_database(warehouse_url, "dgsa_cores") as url:
        ingest.prepare(url)
        env = dict(os.environ, DGSA_WAREHOUSE_URL=url, DGSA_PREPARE_PROCESSES="2", DGSA_PREPARE_MIN_BYTES="0")
        proc = subprocess.run([sys.executable, "-m", "dgsa.ingest", "--drive", str(drive)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        totals = json.loads(proc.stdout)              # one JSON document: the CLI ran once, not in each worker
        assert totals["totals"]["files"] == len(in_process["source_file"])
        assert proc.stderr.count(POOL_LINE) >= 1
        assert proc.stderr.count("dgsa.ingest.steps: scan ") == 1
        assert contract_tables.differences(in_process, contract_tables.dump(url, INGEST_TABLES)) == []


def test_how_many_workers(monkeypatch):
    """Set: as set. Not set: the usable cores less one (the load prepares too), none while the
    machine has no idle core (its load average at the cores already)."""
    cores = prepare_pool.cores()
    monkeypatch.setenv("DGSA_PREPARE_PROCESSES", "3")
    assert prepare_pool.processes() == 3
    monkeypatch.setenv("DGSA_PREPARE_PROCESSES", "0")
    assert prepare_pool.processes() == 0
    monkeypatch.delenv("DGSA_PREPARE_PROCESSES")
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 0.2, 0.1))
    assert prepare_pool.processes() == cores - 1
    monkeypatch.setattr(os, "getloadavg", lambda: (cores + 0.5, 1.0, 1.0))
    assert prepare_pool.processes() == 0
    rec = prepare_pool.FileRecord(1, "a.xlsx", "submission", "50", None, None, 10_000_000)
    monkeypatch.setenv("DGSA_PREPARE_PROCESSES", "2")
    assert prepare_pool.start([rec], Path("."), None, {}) is None          # one file: nothing to share
