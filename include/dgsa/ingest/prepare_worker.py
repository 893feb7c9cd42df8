"""A prepare worker: reads and types files (dgsa.ingest.load.prepare) for a load in another
process, so that a load task uses every core (dgsa.ingest.prepare_pool starts and feeds it).

    python -m dgsa.ingest.prepare_worker     # started by the pool, never by hand

Its own entry module, started with subprocess (not multiprocessing): it never imports the
parent's __main__ (under `python -m dgsa.ingest` that is the whole CLI), and it starts where
multiprocessing may not (a Celery prefork child is daemonic and may have no children).

It talks over its stdin and stdout, one framed pickle a message (prepare_pool.send: its length,
then the pickle): in, (rec, root) per file; out, ("ready", pid) once, then per file in the order asked
("done", Prepared, seconds read/type, log lines) or ("memory",) (a MemoryError: the
parent fails the task, as it would in process) or ("failed", what)
(the result could not be sent: the parent prepares that file itself). Anything the libraries
print goes to stderr: stdout carries only the frames. It ends at the end of its input.
"""
from __future__ import annotations

import logging
import os
import pickle
import signal
import sys

from dgsa.ingest.prepare_pool import receive_bytes, send


class _Lines(logging.Handler):
    """What prepare logs for a file, sent back with it: the parent logs it in the task's log."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.lines: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.levelno, self.format(record)))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the load's to handle: it stops its workers
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")      # the frames only
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())         # whatever else is printed: to stderr
    sys.stdout = sys.stderr
    source = sys.stdin.buffer
    lines = _Lines()
    root_logger = logging.getLogger()
    root_logger.handlers[:] = [lines]
    root_logger.setLevel(logging.INFO)

    from pathlib import Path  # noqa: PLC0415

    from dgsa.ingest import load  # noqa: PLC0415  (pandas, calamine, the typer: once, before "ready")

    send(out, ("ready", os.getpid()))
    while (data := receive_bytes(source)) is not None:
        rec, root = pickle.loads(data)
        lines.lines = []
        before = dict(load.TIMING)
        try:
            prepared = load.prepare(rec, Path(root))
        except MemoryError:
            send(out, ("memory",))
            continue
        seconds = {k: load.TIMING[k] - before[k] for k in ("read", "type")}
        try:
            send(out, ("done", prepared, seconds, lines.lines))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            send(out, ("failed", type(exc).__name__))
        del prepared


if __name__ == "__main__":
    main()
