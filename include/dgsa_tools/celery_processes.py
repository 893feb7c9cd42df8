"""The processes of `make airflow-celery` (planned by dgsa_tools.celery_local from docker-compose.yaml):
each in its own session (a worker and every task process it started can be killed together, and
Ctrl-C reaches only the launcher, which stops everything in order), restarted by compose's
`restart` policy, listed in <home>/processes.json.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _die_with_parent() -> None:
    """Child side: own session (so one worker's processes can be killed together, and Ctrl-C reaches
    only the launcher, which stops everything in order), and SIGTERM if the launcher itself dies."""
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


def _sid(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        return os.getsid(pid)
    return None


def session_pids(sid: int) -> list[int]:
    """Every live process of a session (a service and all it started, e.g. a worker's task runners)."""
    return [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit() and _sid(int(e.name)) == sid]


def kill_session(sid: int, sig: int) -> None:
    for pid in session_pids(sid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


class Deployment:
    """Runs the init command, then the planned processes; restarts them by their policy; stops them all."""

    def __init__(self, settings, env: dict[str, str], init: list[str], plan: list[dict]):
        self.settings = settings          # home, port, broker_shown, db_name, workers, concurrency
        self.env, self.init, self.plan = env, init, plan
        self.logs = settings.home / "logs" / "services"
        self.procs: dict[str, subprocess.Popen] = {}
        self.restarts: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.backoff: dict[str, float] = {}
        self.stopping = False

    def say(self, text: str) -> None:
        print(f"[airflow-celery {time.strftime('%H:%M:%S')}] {text}", flush=True)

    def write_table(self) -> None:
        table = {name: {"pid": p.pid, "sid": p.pid, "argv": next(x["argv"] for x in self.plan if x["name"] == name),
                        "log": str(self.logs / f"{name}.log"), "restarts": self.restarts.get(name, 0)}
                 for name, p in self.procs.items() if p.poll() is None}
        tmp = self.settings.home / "processes.json.tmp"
        tmp.write_text(json.dumps({"launcher": os.getpid(), "port": self.settings.port, "processes": table},
                                  indent=1))
        tmp.replace(self.settings.home / "processes.json")

    def start(self, item: dict) -> None:
        log = open(self.logs / f"{item['name']}.log", "ab")   # noqa: SIM115 - handed to the child
        self.procs[item["name"]] = subprocess.Popen(item["argv"], env={**self.env, **item["env"]}, stdout=log,
                                                    stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
                                                    cwd=ROOT)
        log.close()
        self.started[item["name"]] = time.monotonic()

    def last_error(self, name: str) -> str:
        lines = [ln for ln in (self.logs / f"{name}.log").read_text(errors="replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if re.search(r"Error|Exception|error:", ln)]
        return (errors or lines or ["(no output)"])[-1].strip()[:300]

    def migrate(self) -> None:
        self.say(f"init (docker-compose.yaml airflow-init): {self.init[-1].strip()}")
        log = self.logs / "init.log"
        with open(log, "ab") as out:
            rc = subprocess.run(self.init, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT).returncode
        if rc:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise SystemExit(f"airflow-celery: init failed (exit {rc}); last lines of {log}:\n{tail}")

    def wait_api(self, timeout: float = 240) -> None:
        import urllib.request  # noqa: PLC0415

        url = f"http://127.0.0.1:{self.settings.port}/api/v2/monitor/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs["api-server"].poll() is not None:
                raise SystemExit(f"airflow-celery: the api-server exited; see {self.logs / 'api-server.log'}")
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=3) as r:
                if r.status == 200:
                    return
            time.sleep(1)
        raise SystemExit(f"airflow-celery: the api-server did not answer in {timeout:.0f}s; see {self.logs}")

    def run(self) -> int:
        s = self.settings
        self.logs.mkdir(parents=True, exist_ok=True)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        try:
            self.migrate()
            for item in self.plan:
                if item["name"].startswith("worker") and "api-server" in self.procs:
                    self.wait_api()          # compose: workers depend on the api-server being healthy
                self.start(item)
                self.say(f"started {item['name']} (pid {self.procs[item['name']].pid}): {' '.join(item['argv'])}")
            self.write_table()
            self.say(f"up: http://127.0.0.1:{s.port}  executor CeleryExecutor, broker {s.broker_shown}, "
                     f"metadata + results in PostgreSQL database {s.db_name}, {s.workers} worker(s) x "
                     f"{s.concurrency} slot(s); logs in {s.home / 'logs'}. Ctrl-C stops everything.")
            self.supervise()
        finally:
            self.stop()
        return 0

    def supervise(self) -> None:
        while not self.stopping:
            for item in self.plan:
                proc = self.procs.get(item["name"])
                if proc is None or proc.poll() is None or self.stopping:
                    continue
                how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit {proc.returncode}"
                kill_session(proc.pid, signal.SIGKILL)     # what it left behind, as a container's end would
                name = item["name"]
                if proc.returncode > 0:
                    self.say(f"{name}: {self.last_error(name)}")
                if item["restart"] in ("always", "unless-stopped", "on-failure"):
                    # compose's restart policy, with its back-off: 2 s, doubling while it keeps failing fast
                    lived = time.monotonic() - self.started.get(name, 0)
                    delay = 2.0 if lived > 60 else min(60.0, self.backoff.get(name, 1.0) * 2)
                    self.backoff[name] = delay
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    self.say(f"{name} ended ({how}); restarting it in {delay:.0f}s (restart: {item['restart']} "
                             f"in docker-compose.yaml)")
                    time.sleep(delay)
                    if self.stopping:
                        break
                    self.start(item)
                else:
                    self.say(f"{name} ended ({how})")
                    del self.procs[name]
                self.write_table()
            time.sleep(1)

    def _on_signal(self, signum, frame) -> None:   # noqa: ARG002
        if not self.stopping:
            self.stopping = True
            self.say(f"{signal.Signals(signum).name}: stopping everything")
        raise KeyboardInterrupt

    def stop(self, grace: float = 25) -> None:
        self.stopping = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        order = [n for n in self.procs if n.startswith("worker")] + [n for n in self.procs if not n.startswith("worker")]
        for name in order:
            kill_session(self.procs[name].pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name in order:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.procs[name].wait(timeout=max(0.1, deadline - time.monotonic()))
        for name in order:     # anything left in a service's session (task runners, api workers, ...)
            kill_session(self.procs[name].pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            (self.settings.home / "processes.json").unlink()
        if order:
            self.say("stopped: " + ", ".join(order))
        self.procs = {}
