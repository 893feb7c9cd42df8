"""`make airflow-celery` (bin/airflow-celery): docker-compose.yaml's deployment as local processes.

Read from docker-compose.yaml, so the two cannot drift: every `x-airflow-common` variable is used
as it is unless it names something only compose has (a `${...}` from .env, a service host, a
container path), which TRANSLATE maps to this machine (an unmapped one is left unset with a
warning, and tests/test_celery.py fails until it is mapped); the
processes are compose's Airflow services: `airflow-init`'s command, then each service's `command`
(api-server, scheduler, dag-processor, triggerer, `celery worker` x DGSA_WORKERS), with its own
environment and `restart` policy. Local choices (DGSA_CELERY_HOME, DGSA_CELERY_DB,
DGSA_CELERY_BROKER, DGSA_WORKERS, DGSA_WORKER_CONCURRENCY, DGSA_AIRFLOW_PORT): README, "Celery".
Workers record their Celery name (worker1@host) as the task instances' hostname and do not serve
logs (one log folder here); each service runs in its own session, listed in processes.json.
`bin/airflow-celery env` prints the settings (secrets hidden).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import socket
import sys
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
        self.broker = e.get("DGSA_CELERY_BROKER") or "redis://127.0.0.1:6379/1"
        self.db_name = e.get("DGSA_CELERY_DB") or "dgsa_airflow_celery"
        self.workers = int(e.get("DGSA_WORKERS") or 2)
        self.concurrency = int(e.get("DGSA_WORKER_CONCURRENCY") or 1)
        self.warehouse_url = e.get("DGSA_WAREHOUSE_URL") or ""
        self.drive = e.get("DGSA_DRIVE") or str(ROOT / "demo" / "drive")
        self.broker_shown = _hide_password(self.broker)
        self.untranslated: list[str] = []       # compose settings naming compose-only things, not in TRANSLATE
        self.caller_set = set(e.get("DGSA_CELERY_CALLER_ENV", "").split())   # AIRFLOW__* the caller set itself

    @property
    def metadata_url(self) -> str:
        """The metadata database on the warehouse's server (postgresql+psycopg2://...)."""
        from sqlalchemy.engine import make_url  # noqa: PLC0415

        if not self.warehouse_url:
            raise SystemExit("DGSA_WAREHOUSE_URL is not set: run `make warehouse` first (or use make airflow-celery)")
        return make_url(self.warehouse_url).set(database=self.db_name).render_as_string(hide_password=False)

    def secret(self, name: str, nbytes: int) -> str:
        """Shared by every process: the environment's if long enough, else generated once into the home (0600)."""
        if len(self.env.get(name, "").encode()) >= nbytes:
            return self.env[name]
        path = self.home / "secrets.json"
        kept = json.loads(path.read_text()) if path.exists() else {}
        if name not in kept:
            from cryptography.fernet import Fernet  # noqa: PLC0415

            kept[name] = Fernet.generate_key().decode() if "FERNET" in name else secrets.token_hex(nbytes)
            self.home.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps(kept))
        return kept[name]

    def required(self, name: str) -> str:
        if not self.env.get(name):
            raise SystemExit(f"{name} is not set: run `make warehouse` (it writes .dgsa/local.env)")
        return self.env[name]


def _kept(name: str):
    return lambda s: s.env.get(name) or None     # the caller's value, else unset: the product's default


# compose value -> local value (None: leave unset)
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
    "AIRFLOW__OPENLINEAGE__TRANSPORT": _kept("AIRFLOW__OPENLINEAGE__TRANSPORT"),   # bin/dgsa-env: DGSA_LINEAGE_DIR
    "DGSA_BOOTSTRAP_URL": lambda s: s.required("DGSA_WAREHOUSE_URL"),   # airflow-init's superuser: the local login
}


def translate(settings: "Settings", name: str, value: str, only_in_compose: re.Pattern) -> str | None:
    """One compose setting's local value: TRANSLATE's, else the caller's own AIRFLOW__* setting (the
    environment overrides compose, e.g. a shorter heartbeat timeout), else compose's; None: unset."""
    if name in TRANSLATE:
        return TRANSLATE[name](settings)
    if name in settings.caller_set:
        return settings.env[name]
    if only_in_compose.search(value):      # left unset, said at start-up; tests/test_celery.py fails on it
        settings.untranslated.append(name)
        return None
    return value


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
        local = translate(settings, name, value, only_in_compose)
        if local is not None:
            env[name] = local
    env.update({
        "AIRFLOW_HOME": str(settings.home),
        "AIRFLOW__API__PORT": str(settings.port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{settings.port}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
            settings.home / "simple_auth_manager_passwords.json.generated"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.concurrency),
        "AIRFLOW__API__WORKERS": settings.env.get("AIRFLOW__API__WORKERS") or "1",
        # every process shares this machine's cores: a task's calls to the api-server may wait longer than
        # Airflow's 5 s (seen at load 20: the first call of a task timed out five times and the task failed)
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": settings.env.get("AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT") or "30",
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
        common, only = common_environment(spec), compose_only(spec)
        extra = {k: translate(settings, k, str(v), only) for k, v in (svc.get("environment") or {}).items()
                 if common.get(k) != str(v)}             # the service's own settings
        extra = {k: v for k, v in extra.items() if v is not None}
        restart = svc.get("restart", "no")
        if svc.get("entrypoint"):        # airflow-init: /bin/bash -c "airflow db migrate && ..."
            command = [c.replace("$$", "$") for c in (command if isinstance(command, list) else [command])]
            init = [svc["entrypoint"], *command]      # compose's "$$" is the shell's "$"
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
    conn = psycopg2.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username, password=u.password,
                            dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.db_name,))
            if not cur.fetchone():
                cur.execute(f'CREATE DATABASE "{settings.db_name}"')
                return True
        return False
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    settings = Settings()
    if argv[:1] == ["env"]:
        env = environment(settings)
        for name in sorted(common_environment(compose_spec())) + ["AIRFLOW_HOME"]:
            value = "(set, hidden)" if re.search(r"SECRET|KEY", name) else env.get(name, "(product default)")
            print(f"{name}={_hide_password(value)}")
        return 0
    if argv:
        print("usage: bin/airflow-celery [env]", file=sys.stderr)
        return 2
    from dgsa_tools.celery_processes import Deployment  # noqa: PLC0415

    check_redis(settings.broker)
    settings.home.mkdir(parents=True, exist_ok=True)
    deployment = Deployment(settings, environment(settings), *process_plan(settings))
    for name in sorted(set(settings.untranslated)):
        deployment.say(f"warning: docker-compose.yaml's {name} names something only compose has and is not set here: "
                       f"map it in TRANSLATE ({Path(__file__).relative_to(ROOT)})")
    if not Path(settings.drive).is_dir():
        deployment.say(f"warning: the drive {settings.drive} is not a folder (make sample, or DRIVE=...)")
    if ensure_database(settings):
        deployment.say(f"created PostgreSQL database {settings.db_name} (Airflow metadata + Celery results)")
    try:
        return deployment.run()
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
