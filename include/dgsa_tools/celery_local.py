"""`make airflow-celery`: the docker-compose.yaml deployment run as local processes.

    bin/airflow-celery                 # what `make airflow-celery` runs; Ctrl-C stops everything
    python -m dgsa_tools.celery_local env     # print the local settings (secrets hidden) and exit

The topology and the settings are READ from docker-compose.yaml, so the two cannot drift:

* every `x-airflow-common` environment variable is used as it is, unless it names something
  that only exists inside compose (a service host, a `${...}` secret, a container path): those
  are translated by `TRANSLATE` below (local PostgreSQL, local Redis, the drive given, ...).
  A variable compose gains that names such a thing and that `TRANSLATE` does not know stops
  the launcher with a message instead of being silently dropped;
* the processes are compose's Airflow services: the `airflow-init` command (Airflow's
  migrations, then the warehouse's), then each service's `command` (api-server, scheduler,
  dag-processor, triggerer, `celery worker` x DGSA_WORKERS), with each service's own
  environment and its `restart` policy (a worker that dies is started again, as compose does).

Local choices (not in compose, since compose gets them from separate hosts):

| setting | why | default |
|---|---|---|
| DGSA_CELERY_HOME | AIRFLOW_HOME of this deployment (logs, process table `processes.json`) | .dgsa/celery |
| DGSA_CELERY_DB | PostgreSQL database of Airflow's metadata and Celery's results, on the warehouse's server | dgsa_airflow_celery |
| DGSA_CELERY_BROKER | Redis URL (a DB number of its own) | redis://127.0.0.1:6379/0 |
| DGSA_WORKERS | Celery workers, named worker1@host, worker2@host, ... | 2 |
| DGSA_WORKER_CONCURRENCY | task slots per worker ([celery] worker_concurrency) | 1 |
| DGSA_AIRFLOW_PORT | api-server port (compose: 8080) | 8080 |

Each worker records its Celery name as the task instances' hostname ([core] hostname_callable
= `worker_hostname` below), so the UI and `task_instance.hostname` say which worker ran what.
Workers do not serve logs (they share the log folder here); the scheduler's health check and
the triggerer's log server get free ports, so the deployment can run beside `make airflow`.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"


# ---------------------------------------------------------------- reading docker-compose.yaml
def compose_spec(path: Path = COMPOSE) -> dict:
    return yaml.safe_load(path.read_text())


def common_environment(spec: dict) -> dict[str, str]:
    return {k: str(v) for k, v in spec["x-airflow-common"]["environment"].items()}


def compose_only(spec: dict) -> re.Pattern:
    """What only exists inside compose: a `${...}` from .env, a service's host name, a path inside
    the containers (the targets of x-airflow-common's volumes)."""
    hosts = "|".join(re.escape(name) for name in spec["services"])
    targets = [[seg for seg in str(v).split(":") if seg not in ("ro", "rw")][-1]
               for v in spec["x-airflow-common"].get("volumes", [])]
    paths = "|".join(re.escape(t) for t in targets if t.startswith("/"))
    return re.compile(rf"\$\{{|[/@](?:{hosts})(?:[:/]|$)" + (rf"|(?:^|[=:\s])(?:{paths})(?:/|$)" if paths else ""))


def airflow_services(spec: dict) -> dict[str, dict]:
    """compose's Airflow services (those built from x-airflow-common's image), by name."""
    image = spec["x-airflow-common"]["image"]
    return {name: svc for name, svc in spec["services"].items() if svc.get("image") == image}


# ---------------------------------------------------------------- settings
class Settings:
    def __init__(self, env: dict[str, str] | None = None):
        self.env = dict(os.environ if env is None else env)
        e = self.env
        self.home = Path(e.get("DGSA_CELERY_HOME") or ROOT / ".dgsa" / "celery").resolve()
        self.port = int(e.get("DGSA_AIRFLOW_PORT") or 8080)
        self.broker = e.get("DGSA_CELERY_BROKER") or "redis://127.0.0.1:6379/0"
        self.db_name = e.get("DGSA_CELERY_DB") or "dgsa_airflow_celery"
        self.workers = int(e.get("DGSA_WORKERS") or 2)
        self.concurrency = int(e.get("DGSA_WORKER_CONCURRENCY") or 1)
        self.warehouse_url = e.get("DGSA_WAREHOUSE_URL") or ""
        self.drive = e.get("DGSA_DRIVE") or str(ROOT / "demo" / "drive")

    @property
    def metadata_url(self) -> str:
        """The metadata database on the warehouse's server (postgresql+psycopg2://...)."""
        from sqlalchemy.engine import make_url  # noqa: PLC0415

        if not self.warehouse_url:
            raise SystemExit("DGSA_WAREHOUSE_URL is not set: run `make warehouse` first (or use make airflow-celery)")
        return make_url(self.warehouse_url).set(database=self.db_name).render_as_string(hide_password=False)

    def secret(self, name: str, nbytes: int) -> str:
        """A secret all the processes share: the environment's if long enough, else one generated
        once and kept (mode 0600) in the deployment's home."""
        given = self.env.get(name, "")
        if len(given.encode()) >= nbytes:
            return given
        path = self.home / "secrets.json"
        kept = json.loads(path.read_text()) if path.exists() else {}
        if name not in kept:
            if name == "AIRFLOW__CORE__FERNET_KEY":
                from cryptography.fernet import Fernet  # noqa: PLC0415

                kept[name] = Fernet.generate_key().decode()
            else:
                kept[name] = secrets.token_hex(nbytes)
            self.home.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps(kept))
        return kept[name]

    def required(self, name: str) -> str:
        if not self.env.get(name):
            raise SystemExit(f"{name} is not set: run `make warehouse` (it writes .dgsa/local.env)")
        return self.env[name]


def _kept(name: str):
    """A compose path setting: locally the caller's value, else the product's default (unset)."""
    return lambda s: s.env.get(name) or None


# compose value -> local value (None: leave unset, the product's default applies)
TRANSLATE = {
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": lambda s: s.metadata_url,
    "AIRFLOW__CELERY__RESULT_BACKEND": lambda s: "db+" + s.metadata_url.replace("+psycopg2", ""),
    "AIRFLOW__CELERY__BROKER_URL": lambda s: s.broker,
    "AIRFLOW__CORE__FERNET_KEY": lambda s: s.secret("AIRFLOW__CORE__FERNET_KEY", 32),
    "AIRFLOW__API_AUTH__JWT_SECRET": lambda s: s.secret("AIRFLOW__API_AUTH__JWT_SECRET", 64),
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": lambda s: f"http://127.0.0.1:{s.port}/execution/",
    "AIRFLOW_CONN_DGSA_WAREHOUSE": lambda s: s.required("DGSA_WAREHOUSE_URL").replace("+psycopg2", ""),
    "DGSA_WAREHOUSE_URL": lambda s: s.required("DGSA_WAREHOUSE_URL"),
    "DGSA_PERSON_KEY_SECRET": lambda s: s.required("DGSA_PERSON_KEY_SECRET"),
    "DGSA_DRIVE": lambda s: str(Path(s.drive).resolve()),
    "DGSA_DOCS_DIR": _kept("DGSA_DOCS_DIR"),
    "DGSA_OUTBOX": _kept("DGSA_OUTBOX"),
    "PYTHONPATH": _kept("PYTHONPATH"),          # bin/dgsa-env puts include/ on it
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(settings: Settings, spec: dict | None = None) -> dict[str, str]:
    """The environment every process of the local deployment gets: the caller's (bin/dgsa-env's),
    then compose's x-airflow-common settings (translated where they name compose-only things),
    then the local choices above."""
    spec = spec or compose_spec()
    env = dict(settings.env)
    only_in_compose = compose_only(spec)
    for name, value in common_environment(spec).items():
        if name in TRANSLATE:
            local = TRANSLATE[name](settings)
            if local is None:
                continue
            env[name] = local
        elif only_in_compose.search(value):
            raise SystemExit(f"docker-compose.yaml sets {name}={value!r}, which names something that only exists in "
                             f"compose: add its local value to TRANSLATE in {Path(__file__).relative_to(ROOT)}")
        else:
            env[name] = value
    env.update({
        "AIRFLOW_HOME": str(settings.home),
        "AIRFLOW__API__PORT": str(settings.port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{settings.port}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
            settings.home / "simple_auth_manager_passwords.json.generated"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.concurrency),
        "AIRFLOW__API__WORKERS": settings.env.get("AIRFLOW__API__WORKERS") or "1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    })
    return env


def worker_hostname() -> str:
    """[core] hostname_callable of the local workers: the worker's Celery name (worker1@host)."""
    name = os.environ.get("DGSA_WORKER_NAME")
    return f"{name}@{socket.gethostname()}" if name else socket.getfqdn()


def process_plan(settings: Settings, spec: dict | None = None) -> tuple[list[str], list[dict]]:
    """(the init command, the long-running processes) from compose's Airflow services."""
    spec = spec or compose_spec()
    init, plan = None, []
    for name, svc in airflow_services(spec).items():
        command = svc.get("command")
        extra = {k: str(v) for k, v in (svc.get("environment") or {}).items()
                 if k not in common_environment(spec)}
        restart = svc.get("restart", "no")
        if svc.get("entrypoint"):        # airflow-init: /bin/bash -c "airflow db migrate && ..."
            init = [svc["entrypoint"], *command] if isinstance(command, list) else [svc["entrypoint"], command]
            continue
        argv = ["airflow", *shlex.split(command)]
        if argv[1:3] == ["celery", "worker"]:
            for i in range(1, settings.workers + 1):
                plan.append({"name": f"worker{i}", "service": name, "restart": restart,
                             "argv": argv + ["--celery-hostname", f"worker{i}@%h", "--skip-serve-logs"],
                             "env": {**extra, "DGSA_WORKER_NAME": f"worker{i}",
                                     "AIRFLOW__CORE__HOSTNAME_CALLABLE": "dgsa_tools.celery_local.worker_hostname"}})
        else:
            if argv[1] == "api-server":
                argv += ["--port", str(settings.port), "--host", "127.0.0.1"]
            plan.append({"name": argv[1], "service": name, "restart": restart, "argv": argv, "env": extra})
    if init is None:
        raise SystemExit("docker-compose.yaml has no airflow-init service (entrypoint + command)")
    plan.sort(key=lambda p: p["name"].startswith("worker"))     # workers last, after the api-server is up
    return init, plan


# ---------------------------------------------------------------- checks and set-up
def check_redis(url: str) -> None:
    """One clear line and exit 2 when the broker does not answer."""
    import redis  # noqa: PLC0415

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        return
    except redis.exceptions.RedisError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = ("start it: redis-server --daemonize yes" if shutil.which("redis-server")
            else "install it: apt-get install redis-server (then: redis-server --daemonize yes)")
    print(f"airflow-celery: Redis does not answer at {_hide_password(url)} ({problem}); {hint}, "
          f"or point DGSA_CELERY_BROKER at a Redis that does.", file=sys.stderr)
    raise SystemExit(2)


def _hide_password(url: str) -> str:
    return re.sub(r"//([^:/@]*):[^@]+@", r"//\1:***@", url)


def ensure_database(settings: Settings) -> bool:
    """Create the metadata database on the warehouse's server if missing; True if created."""
    import psycopg2  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    u = make_url(settings.metadata_url)
    conn = psycopg2.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                            password=u.password, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.db_name,))
            if cur.fetchone():
                return False
            cur.execute(f'CREATE DATABASE "{settings.db_name}"')
            return True
    finally:
        conn.close()


# ---------------------------------------------------------------- running
def _die_with_parent() -> None:
    """Child side: own session (so one worker's processes can be killed together, and Ctrl-C reaches
    only the launcher, which stops everything in order), and SIGTERM if the launcher itself dies."""
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


def session_pids(sid: int) -> list[int]:
    """Every live process of a session (a service and all it started, e.g. a worker's task runners)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getsid(int(entry.name)) == sid:
                    out.append(int(entry.name))
    return out


def kill_session(sid: int, sig: int) -> None:
    for pid in session_pids(sid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


class Deployment:
    def __init__(self, settings: Settings, spec: dict | None = None):
        self.settings = settings
        self.spec = spec or compose_spec()
        self.env = environment(settings, self.spec)
        self.init, self.plan = process_plan(settings, self.spec)
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
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(url, timeout=3) as r:
                    if r.status == 200:
                        return
            time.sleep(1)
        raise SystemExit(f"airflow-celery: the api-server did not answer in {timeout:.0f}s; see {self.logs}")

    def run(self) -> int:
        s = self.settings
        check_redis(s.broker)
        if not Path(s.drive).is_dir():
            self.say(f"warning: the drive {s.drive} is not a folder (make sample, or DRIVE=...): scan_drive will fail")
        s.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        if ensure_database(s):
            self.say(f"created PostgreSQL database {s.db_name} (Airflow metadata + Celery results)")
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
            self.say(f"up: http://127.0.0.1:{s.port}  executor CeleryExecutor, broker {_hide_password(s.broker)}, "
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
        for name in order:     # anything left in a service's session (task runners, gunicorn, ...)
            kill_session(self.procs[name].pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.procs[name].wait(timeout=5)
        with contextlib.suppress(OSError):
            (self.settings.home / "processes.json").unlink()
        if order:
            self.say("stopped: " + ", ".join(order))
        self.procs = {}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    settings = Settings()
    if argv[:1] == ["env"]:
        env = environment(settings)
        for name in sorted(common_environment(compose_spec())) + ["AIRFLOW_HOME"]:
            value = env.get(name, "(product default)")
            if re.search(r"SECRET|KEY", name):
                value = "(set, hidden)"
            print(f"{name}={_hide_password(value)}")
        return 0
    if argv:
        print("usage: bin/airflow-celery [env]", file=sys.stderr)
        return 2
    try:
        return Deployment(settings).run()
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
