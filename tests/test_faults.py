"""Faults injected against a real PostgreSQL and real files (issue 11): a load dying half-way
(an exception after part of the COPY, a SIGKILL), the warehouse unreachable then back, two
runs or two workers at once, a DAG run re-run, a file changing while read, unreadable or
vanishing files, and the hostile drive (every bad input beside one good file, peak RSS).

The mart build failing half-way is tests/test_marts.py::test_broken_build_is_refused_and_old_marts_survive.
docs/reliability.md lists every fault, its test, what the system did and what was lost."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from dgsa.foundation import db
from dgsa.ingest import steps as ingest, readers
from dgsa_tools.sample.vocab import set_mtime

from contract_tables import QUERIES
from helpers import ids, sub_row, when, write_submission
from test_limits import good_xlsx, hostile_files

ROOT = Path(__file__).resolve().parent.parent
P = ids(60, seed=23)
PROVINCE = "provinces/50-เชียงใหม่"


def _drive(root: Path, files: int = 2, rows: int = 5) -> Path:
    for f in range(files):
        write_submission(root, f"{PROVINCE}/f{f}.xlsx",
                         [sub_row(i + 1, P[f * rows + i]) for i in range(rows)], when(20))
    return root


def _state(sql) -> dict:
    """What a province or analyst could see: ledger statuses and rows, with duplicates counted."""
    return {
        "files": sorted(sql("SELECT rel_path, status, coalesce(reason_code, ''), rows_loaded FROM audit.source_file")),
        "assessments": sql("SELECT count(*) FROM core.assessment")[0][0],
        "distinct_rows": sql("SELECT count(DISTINCT (file_id, source_row)) FROM core.assessment")[0][0],
        "raw": sql("SELECT count(*) FROM raw.source_row")[0][0],
        "people": sql("SELECT count(DISTINCT citizen_id) FROM core.assessment")[0][0],
    }


def _tables(url: str) -> dict:
    out = {}
    with db.transaction(url) as conn, conn.cursor() as cur:
        for name, query in QUERIES.items():
            try:
                cur.execute("SAVEPOINT t")
                cur.execute(query)
                out[name] = sorted(map(repr, cur.fetchall()))
            except psycopg2.errors.UndefinedTable:
                cur.execute("ROLLBACK TO SAVEPOINT t")
                out[name] = None
    return out


def _wait_for_killed_backends(url: str, timeout: float = 60) -> None:
    """PostgreSQL aborts a dead client's transaction when it notices the closed socket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction(url) as conn, conn.cursor() as cur:
            cur.execute("""SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                           AND pid <> pg_backend_pid() AND application_name = 'dgsa'""")
            if cur.fetchone()[0] == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the killed process's backend is still there")


def _env(url: str, **extra) -> dict:
    return dict(os.environ, DGSA_WAREHOUSE_URL=url, PYTHONPATH=f"{ROOT / 'include'}:{ROOT / 'tests'}", **extra)


# ---------------------------------------------------------------- a load dies half-way
class _DiesAfterSecondCopy(psycopg2.extensions.cursor):
    """Does the COPY, then the connection 'drops': on the 2nd COPY into raw/core tables."""
    copies = 0

    def copy_expert(self, sql, file, size=8192):
        super().copy_expert(sql, file, size)
        if " raw." in sql or " core." in sql:
            type(self).copies += 1
            if type(self).copies == 2:
                raise psycopg2.OperationalError("server closed the connection unexpectedly (injected after a COPY)")


def test_exception_after_part_of_the_copy_leaves_nothing_and_the_next_run_loads_once(tmp_path, warehouse, sql,
                                                                                    monkeypatch):
    drive = _drive(tmp_path, files=1)
    real = db.connect

    def connect(url=None):
        conn = real(url)
        conn.cursor_factory = _DiesAfterSecondCopy
        return conn
    monkeypatch.setattr(db, "connect", connect)
    _DiesAfterSecondCopy.copies = 0
    with pytest.raises(psycopg2.OperationalError, match="injected"):
        ingest.run_all(drive, warehouse)
    assert _DiesAfterSecondCopy.copies == 2                          # raw rows, then typed rows were sent
    state = _state(sql)
    assert state["files"] == [(f"{PROVINCE}/f0.xlsx", "new", "", 0)]  # not loaded: read again next run
    assert (state["assessments"], state["raw"]) == (0, 0)           # no row of the file is visible
    monkeypatch.undo()
    ingest.run_all(drive, warehouse)
    state = _state(sql)
    assert state["files"] == [(f"{PROVINCE}/f0.xlsx", "loaded", "", 5)]
    assert state["assessments"] == state["distinct_rows"] == state["people"] == 5
    assert state["raw"] == 7                                        # title line, header, 5 rows: once


HOOK = """
import sys, time, psycopg2
from dgsa.foundation import db
from dgsa.ingest import steps as ingest

class Hang(psycopg2.extensions.cursor):
    def copy_expert(self, sql, file, size=8192):
        super().copy_expert(sql, file, size)
        if " core." in sql:
            print("COPIED", flush=True)
            time.sleep(600)

real = db.connect
def connect(url=None):
    conn = real(url)
    conn.cursor_factory = Hang
    return conn
db.connect = connect
ingest.main(["--drive", sys.argv[1]])
"""


def test_sigkill_in_the_middle_of_a_load(tmp_path, warehouse, sql):
    """`python -m dgsa.ingest` killed (SIGKILL) after the COPY of a file's rows, before its commit."""
    drive = _drive(tmp_path / "drive", files=2, rows=20)
    proc = subprocess.Popen([sys.executable, "-c", HOOK, str(drive)], env=_env(warehouse), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("COPIED"):
                break
        assert proc.poll() is None, "the loader ended before its COPY"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _wait_for_killed_backends(warehouse)
    state = _state(sql)
    assert [f[1] for f in state["files"]] == ["new", "new"] and (state["assessments"], state["raw"]) == (0, 0)
    ingest.run_all(drive, warehouse)
    state = _state(sql)
    assert [f[1:] for f in state["files"]] == [("loaded", "", 20)] * 2
    assert state["assessments"] == state["distinct_rows"] == state["people"] == 40
    ingest.reconcile(url=warehouse)


# ---------------------------------------------------------------- the warehouse unreachable, then back
class _Proxy:
    """A TCP forwarder to PostgreSQL on a free local port: refuses (closes at once) the first
    `refuse` connections (the warehouse is down), then forwards (it is back)."""

    def __init__(self, target: tuple[str, int], refuse: int):
        self.target, self.refuse, self.accepted, self.refused = target, refuse, 0, 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _handle(self, reader, writer):
        if self.refused < self.refuse:
            self.refused += 1
            writer.transport.abort()
            return
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return

        async def pipe(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# what a run sees while the warehouse is down: db.connect's error, or SQLAlchemy's (the migrations)
DOWN = (db.WarehouseUnavailable, __import__("sqlalchemy").exc.OperationalError)


def _via(url: str, port: int) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def test_warehouse_down_at_the_start_then_back_retry_completes_without_duplicates(tmp_path, warehouse, sql):
    from sqlalchemy.engine import make_url
    u = make_url(warehouse)
    proxy = _Proxy((u.host or "127.0.0.1", u.port or 5432), refuse=3)
    try:
        url = _via(warehouse, proxy.port)
        drive = _drive(tmp_path, files=2)
        with pytest.raises(DOWN):                                         # attempt 1: the warehouse is down
            ingest.run_all(drive, url)
        for _ in range(5):                                               # Airflow's retries (backoff in the DAG)
            try:
                ingest.run_all(drive, url)
                break
            except DOWN:
                continue
        assert proxy.accepted > 0
        first = _state(sql)
        assert [f[1] for f in first["files"]] == ["loaded", "loaded"]
        assert first["assessments"] == first["distinct_rows"] == 10
        ingest.run_all(drive, url)                                        # and once more: nothing changes
        assert _state(sql) == first
    finally:
        proxy.close()


def test_warehouse_stays_down_the_message_is_plain(tmp_path, warehouse):
    """`python -m dgsa.ingest` against a port where nothing listens: fails, and the error names
    the warehouse plainly (db.WarehouseUnavailable, raised `from None`: no chained libpq trace)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = _via(warehouse, port)
    with pytest.raises(db.WarehouseUnavailable) as e:
        db.connect(url)
    assert str(e.value).splitlines() == [str(e.value)] and f"127.0.0.1:{port}" in str(e.value)
    assert e.value.__cause__ is None and e.value.__suppress_context__
    proc = subprocess.run([sys.executable, "-m", "dgsa.ingest", "--drive", str(_drive(tmp_path))],
                          env=_env(url), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    first = proc.stderr.strip().splitlines()[0]
    assert f"warehouse unreachable at 127.0.0.1:{port}" in first and "Traceback" not in first, proc.stderr[-2000:]


def test_dag_tasks_retry_with_exponential_backoff(monkeypatch):
    from datetime import timedelta

    from dgsa.operations import dag_common
    monkeypatch.delenv("DGSA_TASK_RETRIES", raising=False)
    args = dag_common.default_args(timedelta(minutes=2))
    assert args["retries"] == 2 and args["retry_exponential_backoff"] is True
    assert args["retry_delay"] == timedelta(minutes=2)


# ---------------------------------------------------------------- two at once
def _run_procs(commands: list[list[str]], url: str) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen(c, env=_env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


def test_two_runs_at_once_no_duplicate_no_lost_update(tmp_path, warehouse, sql):
    drive = _drive(tmp_path, files=6, rows=5)
    runs = _run_procs([[sys.executable, "-m", "dgsa.ingest", "--drive", str(drive)]] * 2, warehouse)
    assert [r.returncode for r in runs] == [0, 0], [r.stderr[-2000:] for r in runs]
    state = _state(sql)
    assert [f[1:] for f in state["files"]] == [("loaded", "", 5)] * 6        # one ledger row per file version
    assert state["assessments"] == state["distinct_rows"] == state["people"] == 30 and state["raw"] == 6 * 7
    ingest.reconcile(url=warehouse)


LOAD_50 = """
import json, sys
from pathlib import Path
from dgsa.ingest import steps as ingest
print(json.dumps(ingest.load_kind(Path(sys.argv[1]), "submission", "50")))
"""


def test_two_workers_on_the_same_province(tmp_path, warehouse, sql):
    """Two load_province workers for province 50 after one scan: every file is written by exactly
    one of them (the other skips it: FOR UPDATE SKIP LOCKED on its ledger row)."""
    drive = _drive(tmp_path, files=6, rows=5)
    ingest.scan(drive, url=warehouse)
    runs = _run_procs([[sys.executable, "-c", LOAD_50, str(drive)]] * 2, warehouse)
    assert [r.returncode for r in runs] == [0, 0], [r.stderr[-2000:] for r in runs]
    summaries = [json.loads(r.stdout.strip().splitlines()[-1]) for r in runs]
    assert sum(s.get("loaded", 0) for s in summaries) == 6, summaries
    state = _state(sql)
    assert [f[1:] for f in state["files"]] == [("loaded", "", 5)] * 6
    assert state["assessments"] == state["distinct_rows"] == 30
    ingest.reconcile(url=warehouse)


# ---------------------------------------------------------------- re-run
def test_dag_run_rerun_changes_nothing(tmp_path, warehouse, run_dag):
    drive = _drive(tmp_path, files=2)
    wrong_digit = P[52][:12] + str((int(P[52][12]) + 1) % 10)
    write_submission(drive, f"{PROVINCE}/bad.xlsx", [sub_row(1, P[50]), sub_row(2, P[51], level="9"),
                                                     sub_row(3, P[53]), sub_row(4, wrong_digit)], when(21))
    first = run_dag("dgsa_ingest", drive)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    before = _tables(warehouse)
    assert len(before["assessment"]) == 12 and len(before["rejected_row"]) == 2
    second = run_dag("dgsa_ingest", drive)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert _tables(warehouse) == before


# ---------------------------------------------------------------- files that change, vanish, cannot be read
def test_file_changed_between_scan_and_read_is_not_loaded_next_run_takes_the_new_one(tmp_path, warehouse, sql):
    drive = _drive(tmp_path, files=1)
    ingest.scan(drive, url=warehouse)
    write_submission(drive, f"{PROVINCE}/f0.xlsx", [sub_row(i + 1, P[30 + i]) for i in range(3)], when(22))
    ingest.load_kind(drive, "submission", "50", url=warehouse)
    assert sql("SELECT status, reason_code FROM audit.source_file") == [("rejected", "FILE_CHANGED")]
    assert sql("SELECT count(*) FROM core.assessment") == [(0,)]
    ingest.run_all(drive, warehouse)
    assert sql("SELECT status, rows_loaded FROM audit.source_file ORDER BY file_id") == [
        ("superseded", 0), ("loaded", 3)]
    assert sorted(r[0] for r in sql("SELECT citizen_id FROM core.live_assessment")) == sorted(P[30:33])


def test_file_changed_while_being_read_is_not_loaded_next_run_takes_the_new_one(tmp_path, warehouse, sql,
                                                                               monkeypatch):
    """The file is rewritten on disk (new size, mtime and bytes) while the reader parses it."""
    drive = _drive(tmp_path, files=1)
    path = drive / PROVINCE / "f0.xlsx"
    changed = []

    def rewrite():
        if not changed:
            changed.append(True)
            write_submission(drive, f"{PROVINCE}/f0.xlsx", [sub_row(i + 1, P[40 + i]) for i in range(4)], when(23))

    real_read, real_read_bytes = readers.read, readers.read_bytes

    def read(p, *a, **k):
        rewrite()
        return real_read(p, *a, **k)

    def read_bytes(data, name, *a, **k):
        rewrite()
        return real_read_bytes(data, name, *a, **k)
    monkeypatch.setattr(readers, "read", read)
    monkeypatch.setattr(readers, "read_bytes", read_bytes)
    ingest.run_all(drive, warehouse)
    assert changed and path.stat().st_size > 0
    assert sql("SELECT status, reason_code FROM audit.source_file") == [("rejected", "FILE_CHANGED")]
    assert sql("SELECT count(*) FROM core.assessment") == [(0,)]
    monkeypatch.undo()
    ingest.run_all(drive, warehouse)
    assert sorted(r[0] for r in sql("SELECT citizen_id FROM core.live_assessment")) == sorted(P[40:44])
    assert sql("SELECT count(*) FROM audit.source_file WHERE status = 'loaded'") == [(1,)]


def test_file_vanishing_between_listing_and_reading_is_recorded_rest_loads(tmp_path, warehouse, sql):
    drive = _drive(tmp_path, files=2)
    ingest.scan(drive, url=warehouse)
    (drive / PROVINCE / "f0.xlsx").unlink()
    ingest.load_kind(drive, "submission", "50", url=warehouse)
    assert sql("SELECT rel_path, status, reason_code FROM audit.source_file ORDER BY 1") == [
        (f"{PROVINCE}/f0.xlsx", "rejected", "FILE_VANISHED"), (f"{PROVINCE}/f1.xlsx", "loaded", None)]
    assert sql("SELECT count(*) FROM core.assessment") == [(5,)]


def test_file_unreadable_at_load_is_recorded_rest_loads(tmp_path, warehouse, sql, monkeypatch):
    """Root ignores permission bits, so the OSError is injected for one path."""
    import builtins
    import io
    drive = _drive(tmp_path, files=2)
    ingest.scan(drive, url=warehouse)
    victim = (drive / PROVINCE / "f0.xlsx").resolve()
    real_open, real_read_bytes = builtins.open, Path.read_bytes

    def denied(p):
        try:
            return Path(os.fspath(p)).resolve() == victim
        except TypeError:
            return False

    def fake_open(file, *a, **k):
        if not isinstance(file, int) and denied(file):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **k)

    def fake_read_bytes(self):
        if denied(self):
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)
    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(Path, "read_bytes", fake_read_bytes)
    ingest.load_kind(drive, "submission", "50", url=warehouse)
    monkeypatch.undo()
    # an OS error, not the content: FILE_READ_ERROR, read again by the next run (tests/test_retry.py)
    assert sql("SELECT rel_path, status, reason_code FROM audit.source_file ORDER BY 1") == [
        (f"{PROVINCE}/f0.xlsx", "rejected", "FILE_READ_ERROR"), (f"{PROVINCE}/f1.xlsx", "loaded", None)]


UNPRIVILEGED = """
import json, sys
from pathlib import Path
from dgsa.ingest import steps as ingest
out = ingest.run_all(Path(sys.argv[1]))
print(json.dumps(out["totals"]["by_status"]))
"""


@pytest.fixture
def code_reachable_by_nobody():
    """The checkout and its venv may sit under a folder only root may enter (a fresh clone in
    `mktemp -d`, mode 0700): let others traverse (not list) those ancestors for the test, then
    put their modes back."""
    changed = []
    for folder in [*reversed(ROOT.parents), ROOT]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(folder, mode | stat.S_IXOTH)
            changed.append((folder, mode))
    yield
    for folder, mode in reversed(changed):
        os.chmod(folder, stat.S_IMODE(mode))


def test_unreadable_file_and_folder_as_an_unprivileged_user(tmp_path_factory, warehouse, sql,
                                                             code_reachable_by_nobody):
    """The whole ingest as `nobody` (setpriv): a file and a folder without read permission are
    recorded in the ledger (FILE_NO_ACCESS, FOLDER_NO_ACCESS), every other file loads; once
    readable, the next run loads them."""
    import shutil
    import tempfile
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop root for this test"
    base = Path(tempfile.mkdtemp(prefix="dgsa_unreadable_"))
    try:
        os.chmod(base, 0o755)
        drive = _drive(base / "drive", files=2)
        write_submission(drive, "provinces/51-ลำพูน/ok.xlsx", [sub_row(1, P[20], province="51")], when(20))
        write_submission(drive, "provinces/52-ลำปาง/hidden/x.xlsx", [sub_row(1, P[21], province="52")], when(20))
        write_submission(drive, "provinces/53-อุตรดิตถ์/listed/y.xlsx", [sub_row(1, P[22], province="53")], when(20))
        for d in [drive, *[p for p in drive.rglob("*") if p.is_dir()]]:
            os.chmod(d, 0o755)
        for f in drive.rglob("*.xlsx"):
            os.chmod(f, 0o644)
        os.chmod(drive / PROVINCE / "f0.xlsx", 0o000)
        os.chmod(drive / "provinces/52-ลำปาง/hidden", 0o000)
        os.chmod(drive / "provinces/53-อุตรดิตถ์/listed", 0o744)     # may be listed, not entered
        def ingest_as_nobody():
            proc = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                                   UNPRIVILEGED, str(drive)], env=_env(warehouse, HOME=str(base)),
                                  capture_output=True, text=True, timeout=600, cwd=base)
            assert proc.returncode == 0, proc.stderr[-3000:]

        ingest_as_nobody()
        got = dict(sql("SELECT rel_path, status || ':' || coalesce(reason_code, '') FROM audit.source_file"))
        assert got[f"{PROVINCE}/f1.xlsx"] == "loaded:"
        assert got["provinces/51-ลำพูน/ok.xlsx"] == "loaded:"
        assert got[f"{PROVINCE}/f0.xlsx"] == "rejected:FILE_NO_ACCESS"
        assert got["provinces/52-ลำปาง/hidden/"] == "rejected:FOLDER_NO_ACCESS", got
        assert sql("SELECT province_code FROM audit.source_file WHERE rel_path LIKE '%%/hidden/'") == [("52",)]
        assert got["provinces/53-อุตรดิตถ์/listed/"] == "rejected:FOLDER_NO_ACCESS", got
        # access granted again: the next scan reads both (no-access rows are looked at every scan)
        os.chmod(drive / PROVINCE / "f0.xlsx", 0o644)
        os.chmod(drive / "provinces/52-ลำปาง/hidden", 0o755)
        os.chmod(drive / "provinces/53-อุตรดิตถ์/listed", 0o755)
        ingest_as_nobody()
        got = dict(sql("SELECT rel_path, status FROM audit.source_file WHERE status IN ('loaded', 'new')"))
        assert got == {f"{PROVINCE}/f0.xlsx": "loaded", f"{PROVINCE}/f1.xlsx": "loaded",
                       "provinces/51-ลำพูน/ok.xlsx": "loaded", "provinces/52-ลำปาง/hidden/x.xlsx": "loaded",
                       "provinces/53-อุตรดิตถ์/listed/y.xlsx": "loaded"}
    finally:
        for p in [base, *base.rglob("*")]:
            try:
                os.chmod(p, 0o755)
            except OSError:
                pass
        shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------- the hostile drive (acceptance)
RUN_HOSTILE = """
import json, resource, sys
from pathlib import Path
from dgsa.ingest import steps as ingest
out = ingest.run_all(Path(sys.argv[1]))
print(json.dumps({"totals": out["totals"], "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def test_hostile_drive_good_file_loads_each_hostile_one_rejected_memory_bounded(tmp_path, warehouse, sql):
    """Issue 11's 'done': one good file beside random/truncated bytes (.xlsx/.xls/.csv), a zip
    bomb (2 MB -> 2 GiB), a zip whose directory lies, a 10 MB line, a 16,384-column sheet, a
    sheet reaching XFD1048576, 100,000 garbage rows. The run exits 0, loads the good file,
    rejects each hostile one with a reason naming the problem, peak RSS < 1.5 GiB.
    Needs the loader to call dgsa.ingest.limits (check_size/check_bytes or check_file) before parsing."""
    folder = tmp_path / "drive" / PROVINCE
    expected = hostile_files(folder)
    good_xlsx(folder / "good.xlsx", P[:5])
    for f in folder.iterdir():
        set_mtime(f, when(20))
    proc = subprocess.run([sys.executable, "-c", RUN_HOSTILE, str(tmp_path / "drive")], env=_env(warehouse),
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-4000:]
    peak_kib = json.loads(proc.stdout.strip().splitlines()[-1])["maxrss_kib"]     # the child's own peak RSS
    got = {p.rsplit("/", 1)[-1]: (s, r) for p, s, r in sql("SELECT rel_path, status, reason_code FROM audit.source_file")}
    assert got.pop("good.xlsx") == ("loaded", None)
    for name, (status, reason) in got.items():
        assert status == "rejected" and reason in expected[name], (name, status, reason)
    assert sorted(got) == sorted(expected)
    assert sql("SELECT count(*) FROM core.assessment") == [(5,)]
    print(f"hostile drive: peak RSS {peak_kib / 1024:.0f} MiB")
    assert peak_kib < 1.5 * 1024 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
