"""Both cores in one load task: the files of a load are read and typed (dgsa.ingest.load.prepare)
by worker processes (dgsa.ingest.prepare_worker) ahead of the load, while the load itself takes
them IN ITS OWN ORDER and judges and writes them as it always has: batches, verdicts,
transactions and the ledger are the same as when every file is prepared in process.

- How many: DGSA_PREPARE_PROCESSES (0: every file in process, as before). By default the usable
  cores (os.sched_getaffinity) less one, since the load's own process prepares too (below); but
  none while the 1-minute load average is at the cores already. Measured on the shared 2-core
  machine, busy with other sessions: the workers only added their start and took their share of
  the same CPU (the kernel's autogroups share the CPU among sessions, not processes), and the
  load ran slower. Only a load of at least two files and DGSA_PREPARE_MIN_BYTES of them
  (default 4 MB, about a second of reading and typing) starts workers: a worker costs its start
  (Python, pandas, calamine: ~0.6 s of CPU), which a small load (the nightly run) would not win back.
- While the worker it waits for is busy, the load prepares the next file no worker has been
  asked itself (HERE_BYTES of files held so, at most), so the load's own process works too.
- Started with subprocess, not multiprocessing: `python -m dgsa.ingest.prepare_worker` never
  re-runs the parent's __main__, and works in a daemonic process (a Celery prefork child),
  where multiprocessing may start no children.
- Memory stays bounded: at most AHEAD files per worker are asked and not yet answered (a
  finished one's bytes wait in the parent, drained from the pipe by a thread, so the worker goes
  on to the next file), plus HERE_BYTES prepared by the load ahead of their turn.
- A worker that ends (killed, out of memory, crashed) costs no file and half-loads none: the
  file it had started is rejected PROCESSING_ERROR (transient: read again at the next load of
  its province; in process it might take the whole task down the same way), the files it had
  not started go to the other workers, or are prepared in process when none is left. A
  MemoryError in a worker fails the task, as in process. Logged by file id, never a cell.
- Messages between the two: prepare_worker's docstring; framed by send / receive_bytes.
"""
from __future__ import annotations

import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Callable

from dgsa.foundation import config
from dgsa.ingest.file_state import FileRecord, Prepared

log = logging.getLogger(__name__)
FRAME = struct.Struct("<Q")
AHEAD = 2                                         # files asked of a worker and not yet answered, at most
HERE_BYTES = 16_000_000                           # files prepared here ahead of their turn: at most (one more)
PIPE_BYTES = 1 << 20
INCLUDE = Path(__file__).resolve().parents[2]     # where `dgsa` is, for the workers' sys.path


def send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(FRAME.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive_bytes(stream) -> bytes | None:
    """One frame's pickle, or None at the end of the stream (the other side closed or ended)."""
    head = stream.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    size, = FRAME.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def processes() -> int:
    """DGSA_PREPARE_PROCESSES; when it is not set, one fewer than the usable cores (the load's own
    process prepares files too while it waits), or none while the machine has no idle core."""
    value = os.environ.get("DGSA_PREPARE_PROCESSES", "").strip()
    if value:
        return max(0, int(float(value)))
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if busy >= cores():
        log.info("prepare: in process, the machine has no idle core (load average %.1f, %s cores)", busy, cores())
        return 0
    return cores() - 1


def start(records: list[FileRecord], root: Path, prepare: Callable[[FileRecord, Path], Prepared],
          timing: dict) -> PreparePool | None:
    """A pool for these files (in the order the load will take them), or None: prepare in process."""
    if len(records) < 2 or \
            sum(r.size_bytes or 0 for r in records) < config.float_setting("DGSA_PREPARE_MIN_BYTES", 4_000_000):
        return None
    workers = min(processes(), len(records))
    return PreparePool(records, root, workers, prepare, timing) if workers > 0 else None


def _widen(stream) -> None:
    """A pipe of PIPE_BYTES (Linux; the default 64 KiB elsewhere): a typed file of 10 MB crosses
    in 10 reads, not 160, each of which waits for the GIL while the load is busy preparing."""
    try:
        import fcntl  # noqa: PLC0415

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):
        pass


class _Worker:
    def __init__(self, number: int, env: dict):
        self.number = number
        self.proc = subprocess.Popen([sys.executable, "-P", "-m", "dgsa.ingest.prepare_worker"],  # -P: not from cwd
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True)
        _widen(self.proc.stdout)
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.asked: deque[FileRecord] = deque()     # asked, not yet taken: the worker answers in this order
        self.ready = self.ended = self.stopped = False
        self.thread = threading.Thread(target=self._drain, name=f"dgsa-prepare-{number}", daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        try:
            self.ready = receive_bytes(self.proc.stdout) is not None     # its first message: "ready"
            while self.ready and (data := receive_bytes(self.proc.stdout)) is not None:
                self.inbox.put(data)
        except (OSError, ValueError):
            pass
        self.inbox.put(None)

    def ask(self, rec: FileRecord, root: Path) -> bool:
        try:
            send(self.proc.stdin, (rec, str(root)))
        except (OSError, ValueError):        # it has ended (a broken pipe)
            return False
        self.asked.append(rec)
        return True

    def answer(self):
        """The next answer, or None: the worker has ended."""
        data = self.inbox.get()
        return None if data is None else pickle.loads(data)

    def stop(self, kill: bool) -> int | None:
        self.stopped = True
        try:
            self.proc.stdin.close()
        except OSError:           # a broken pipe: it has ended
            pass
        if kill:
            self.proc.kill()
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.thread.join(timeout=5)
        self.proc.stdout.close()
        return code


class PreparePool:
    def __init__(self, records: list[FileRecord], root: Path, workers: int, prepare, timing: dict):
        self.root, self.prepare, self.timing = root, prepare, timing
        self.todo: deque[FileRecord] = deque(records)     # not yet asked of a worker, in the load's order
        self.where: dict[int, _Worker] = {}               # file_id -> the worker asked
        self.here: dict[int, Prepared] = {}               # decided in this process, not yet taken
        self.answers: dict[int, tuple] = {}               # a worker's answers, not yet taken
        self.order = {r.file_id: n for n, r in enumerate(records)}
        path = os.environ.get("PYTHONPATH", "")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(INCLUDE)] + ([path] if path else [])))
        self.workers = [_Worker(n, env) for n in range(workers)]
        log.info("prepare: %s worker processes for %s files (DGSA_PREPARE_PROCESSES)", workers, len(records))
        self._fill()

    def _fill(self) -> None:
        while self.todo:
            free = [w for w in self.workers if not w.ended and len(w.asked) < AHEAD]
            if not free:
                return
            worker = min(free, key=lambda w: len(w.asked))
            rec = self.todo.popleft()
            if worker.ask(rec, self.root):
                self.where[rec.file_id] = worker
            else:                            # ended: what it has answered is still taken, in take()
                worker.ended = True
                self.todo.appendleft(rec)

    def take(self, rec: FileRecord) -> Prepared:
        """rec prepared: the next file of the load, in the order given to start()."""
        if rec.file_id in self.here:
            return self.here.pop(rec.file_id)
        self._fill()
        worker = self.where.get(rec.file_id)
        if worker is None:               # no worker left to ask: in process, as with DGSA_PREPARE_PROCESSES=0
            self.todo.remove(rec)
            return self.prepare(rec, self.root)
        while rec.file_id not in self.answers:
            while worker.inbox.empty() and self.todo and (not self.here or self._held() < HERE_BYTES):
                ahead = self.todo.popleft()      # while the worker is busy: the next file no worker has, here
                self.here[ahead.file_id] = self.prepare(ahead, self.root)
            message = worker.answer()
            if message is None:
                self._lost(worker)
                return self.take(rec)
            self.answers[worker.asked.popleft().file_id] = message    # answers come in the order asked
        del self.where[rec.file_id]
        message = self.answers.pop(rec.file_id)
        self._fill()
        if message[0] == "memory":
            raise MemoryError(f"file {rec.file_id}: out of memory in prepare worker {worker.number}")
        if message[0] == "failed":
            log.warning("file %s: prepare worker %s could not send it back (%s): prepared in process", rec.file_id,
                        worker.number, message[1])
            return self.prepare(rec, self.root)
        _kind, prepared, seconds, lines = message
        for name, level, text in lines:        # what prepare logged there, in this task's log
            logging.getLogger(name).log(level, "%s", text)
        for k, v in seconds.items():
            self.timing[k] += v
        return prepared

    def _held(self) -> int:
        return sum(p.rec.size_bytes or 0 for p in self.here.values())

    def _lost(self, worker: _Worker) -> None:
        """The worker ended with files asked and not answered: the first, which it had started
        (if it was ready), is rejected; the others are asked again (of another worker, or here)."""
        worker.ended = True
        code = worker.stop(kill=True)
        unanswered = list(worker.asked)
        worker.asked.clear()
        for r in unanswered:
            del self.where[r.file_id]
        started = unanswered.pop(0) if worker.ready and unanswered else None
        self.todo = deque(sorted([*self.todo, *unanswered], key=lambda r: self.order[r.file_id]))
        log.warning("prepare worker %s (pid %s) ended, exit code %s%s", worker.number, worker.proc.pid, code,
                    f": file {started.file_id}, which it was preparing, is rejected PROCESSING_ERROR (read again "
                    f"at the next run)" if started else "; its files are prepared elsewhere")
        if started:
            self.here[started.file_id] = Prepared(started)
            self.here[started.file_id].reject("PROCESSING_ERROR", "PrepareWorkerEnded")

    def close(self) -> None:
        """Stop the workers: at the end of the load, or when it fails (files asked are dropped)."""
        for worker in self.workers:
            if not worker.stopped:
                worker.ended = True
                worker.stop(kill=bool(worker.asked))
