"""Progress you can watch: counts of a step's work in the task log at INFO, never per row, never a value.

A load calls `start` with what waits, `tick` as files are read and written, and `finish`; one line
every DGSA_PROGRESS_SECONDS (default 5) is logged while it runs (also while one big file is read), and `task_line` gives one line per
task as it finishes (the DAGs' on_success_callback). Every line starts with `DGSA PROGRESS`, which
bin/run-dag picks out of `airflow dags test`'s output to print for `make pipeline`:

    DGSA PROGRESS load_province 50 เชียงใหม่: read 3/5 files, written 2/5 files, 1,200/2,400 rows, 6s
"""
from __future__ import annotations

import logging
import threading
import time

from dgsa.foundation import config

log = logging.getLogger("dgsa.progress")
PREFIX = "DGSA PROGRESS"


def every_seconds() -> float:
    return config.float_setting("DGSA_PROGRESS_SECONDS", 5)


def label_for(codes) -> str:
    """`50 เชียงใหม่` for one province, `3 provinces (10, 11, 12)` for a group, else the kind."""
    codes = [c for c in (codes.split(",") if isinstance(codes, str) else codes or []) if c]
    if len(codes) == 1:
        return config.province_label(codes[0])
    shown = ", ".join(codes) if len(codes) <= 3 else f"{codes[0]}, {codes[1]} ... {codes[-1]}"
    return f"{len(codes)} provinces ({shown})" if codes else ""


class Progress:
    """One step's counts: files read and written of those waiting, rows written of rows read."""

    def __init__(self, step: str, label: str, files: int):
        self.step, self.label, self.files = step, label, files
        self.read = self.written = self.rows_waiting = self.rows_done = 0
        self.started = self.last = time.monotonic()

    def line(self) -> str:
        seconds = time.monotonic() - self.started
        return (f"{PREFIX} {self.step}{' ' + self.label if self.label else ''}: read {self.read}/{self.files} files, written "
                f"{self.written}/{self.files} files, {self.rows_done:,}/{self.rows_waiting:,} rows, {seconds:.0f}s")

    def tick(self, read_rows: int | None = None, written_rows: int | None = None) -> None:
        if read_rows is not None:
            self.read += 1
            self.rows_waiting += max(int(read_rows), 0)
        if written_rows is not None:
            self.written += 1
            self.rows_done += max(int(written_rows), 0)

    def beat(self) -> None:
        """Log a line every DGSA_PROGRESS_SECONDS until finished, also while one big file is read or judged."""
        while not self.stopped.wait(every_seconds()):
            if _current is not self:
                return
            log.info(self.line())


_current: Progress | None = None


def start(step: str, label: str, files: int) -> Progress:
    """A new step's progress (the one `tick` reports to); a line every DGSA_PROGRESS_SECONDS until `finish`."""
    global _current
    finish()
    _current = Progress(step, label, files)
    _current.stopped = threading.Event()
    if files:
        threading.Thread(target=_current.beat, name="dgsa-progress", daemon=True).start()
    return _current


def finish() -> None:
    """The step is over: no more lines from it."""
    if _current is not None and hasattr(_current, "stopped"):
        _current.stopped.set()


def tick(read_rows: int | None = None, written_rows: int | None = None) -> None:
    """A file read (with its data rows) or written (with its rows): a line if DGSA_PROGRESS_SECONDS passed."""
    if _current is not None:
        _current.tick(read_rows, written_rows)


def task_line(task_id: str, label: str, seconds: float, result) -> str:
    """One line for a finished task: its counts (files, rows; no values) and seconds."""
    counts = result if isinstance(result, dict) else {}
    files = sum(v for k, v in counts.items() if k in ("loaded", "partially_loaded", "rejected", "skipped",
                                                       "duplicate", "ignored") and isinstance(v, int))
    parts = []
    if files:
        parts.append(f"{files} files")
    for key, name in (("rows_loaded", "rows loaded"), ("rows_rejected", "rows rejected"), ("files", "files"),
                      ("rows_read", "rows read")):
        if isinstance(counts.get(key), int):
            parts.append(f"{counts[key]:,} {name}")
    if isinstance(counts.get("counts"), dict):   # scan_drive: files by what the ledger did with them
        parts.append(", ".join(f"{v} {k}" for k, v in sorted(counts["counts"].items())))
    if isinstance(counts.get("written"), list):   # write_feedback: workbooks
        parts.append(f"{len(counts['written'])} workbooks written, {counts.get('unchanged', 0)} unchanged")
    if isinstance(counts.get("provinces"), list):
        parts.append(f"{len(counts['provinces'])} provinces with new files")
    if not parts and counts and all(isinstance(v, int) for v in counts.values()):   # e.g. rows per mart
        parts.append(", ".join(f"{k} {v:,}" for k, v in list(counts.items())[:8]))
    body = "; ".join(parts) or "done"
    return f"{PREFIX} {task_id}{' ' + label if label else ''}: {body}, {seconds:.1f}s"
