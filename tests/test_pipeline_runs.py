"""Runs that can't block or cross (issue 21, defects 4 and 5).

`make pipeline` runs each DAG through bin/run-dag, which gives `airflow dags test` a throw-away
AIRFLOW_HOME (a copy of a migrated template) whenever the caller did not name one other than the
scheduler's. Here a copy of a migrated metadata DB plays the scheduler's home (DGSA_SCHEDULER_HOME):
* killed mid-load in the two ways a person does it (make SIGKILLed above its recipe shell; Ctrl-C,
  SIGINT to the foreground group; SIGTERM takes the same trap), nothing of the run is left running, and
  nothing is left behind;
* the next run, started in the background by a shell that exits before it ends (`nohup make
  pipeline &`), loads the drive to success (reconcile passes), and the scheduler's metadata DB holds
  no run and no asset event of any of them.
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from dgsa_tools.sample.generator import generate

ROOT = Path(__file__).resolve().parent.parent


def _ours(homes: Path) -> list[psutil.Process]:
    """Live processes started for this test's runs (their environment names our DGSA_PIPELINE_HOMES)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("DGSA_PIPELINE_HOMES") == str(homes) and proc.pid != os.getpid():
                found.append(proc)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def _wait_for(path: Path, text: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared in {path}")


def _gone(homes: Path, seconds: float = 60) -> list:
    deadline = time.monotonic() + seconds
    while (left := _ours(homes)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def _runs(home: Path) -> tuple[int, int]:
    with sqlite3.connect(home / "airflow.db") as con:
        return (con.execute("SELECT count(*) FROM dag_run").fetchone()[0],
                con.execute("SELECT count(*) FROM asset_event").fetchone()[0])


def test_killed_runs_leave_nothing_and_never_touch_the_schedulers_runs(tmp_path, warehouse, airflow_home):
    drive = tmp_path / "drive"
    generate(drive, 400, seed=21)
    scheduler = tmp_path / "scheduler-home"
    scheduler.mkdir()
    shutil.copy(airflow_home / "airflow.db", scheduler / "airflow.db")
    before = _runs(scheduler)
    homes, log = tmp_path / "pipeline-homes", tmp_path / "dgsa_ingest.log"
    env = dict(os.environ, AIRFLOW_HOME=str(scheduler), DGSA_SCHEDULER_HOME=str(scheduler),
               DGSA_PIPELINE_HOMES=str(homes), DGSA_RUN_DAG_LOG=str(log), DGSA_DRIVE=str(drive),
               DGSA_WAREHOUSE_URL=warehouse, DGSA_TASK_RETRIES="0", DGSA_OUTBOX=str(tmp_path / "outbox"))

    for way in ("SIGKILL of the caller above the recipe shell (kill -9 of make)",
                "Ctrl-C (SIGINT to the foreground group)"):
        log.unlink(missing_ok=True)
        # like make: make -> its recipe shell -> bin/run-dag; SIGKILL goes to the outer one ("make")
        recipe = f"{ROOT / 'bin/run-dag'} dgsa_ingest; echo recipe-went-on"
        caller = subprocess.Popen(["bash", "-c", f"bash -c '{recipe}'; echo caller-went-on"],
                                  env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        _wait_for(log, "starting task_id=load_")      # mid-load
        assert _ours(homes), "the run's processes should be running now"
        if way.startswith("SIGKILL"):
            os.kill(caller.pid, signal.SIGKILL)
        else:
            os.killpg(caller.pid, signal.SIGINT)
        caller.wait(timeout=60)
        left = _gone(homes)
        assert not left, f"{way}: still running: {[p.cmdline()[:3] for p in left]}"
        assert not list(homes.glob("run-*")), f"{way}: its Airflow home was left behind"

    # the next run, started in the background by a shell that then exits (as `nohup make pipeline &` and
    # logging out): the run goes on. Like make: launcher -> "make" -> its recipe shell -> bin/run-dag
    fake_make, out = tmp_path / "fake-make.sh", tmp_path / "background.out"
    fake_make.write_text(f"bash -c '{ROOT / 'bin/run-dag'} dgsa_ingest; echo recipe-rc=$?'\necho make-done\n")
    launcher = subprocess.Popen(["bash", "-c", f"bash {fake_make} > {out} 2>&1 & sleep 5; exit 0"], env=env,
                                start_new_session=True)
    assert launcher.wait(timeout=60) == 0
    _wait_for(out, "make-done", seconds=600)
    done = out.read_text()
    assert "recipe-rc=0" in done, done + log.read_text()[-3000:]
    assert "dgsa_ingest: success" in done and "died" not in done
    assert _runs(scheduler) == before, "a pipeline run or its asset event reached the scheduler's metadata DB"
    assert not list(homes.glob("run-*")) and not _ours(homes)
