"""Local set-up for `make`: find or start a PostgreSQL warehouse and write .dgsa/local.env.

    python -m dgsa_tools.devenv          # prints what it found, writes .dgsa/local.env (ignored by git)

Order: DGSA_WAREHOUSE_URL if set; else a server at 127.0.0.1:5432 (users postgres, then the
current user); else a project-local cluster under .dgsa/pgdata started with the system's
initdb/pg_ctl (as an unprivileged user when run as root, since initdb refuses root).
If none works it says what to install. It also generates DGSA_PERSON_KEY_SECRET once.
"""
from __future__ import annotations

import getpass
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg2

from dgsa.foundation import db
from dgsa.foundation.config import PROJECT_DIR

STATE = PROJECT_DIR / ".dgsa"
ENV_FILE = STATE / "local.env"
LOCAL_PORT = 55432


def _can_connect(dsn: str) -> bool:
    try:
        psycopg2.connect(dsn, connect_timeout=3).close()
        return True
    except psycopg2.Error:
        return False


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


def _run_as(user: str | None, cmd: list[str]) -> None:
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def start_local_cluster() -> str | None:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        return None
    data = STATE / "pgdata"
    user = None
    if os.geteuid() == 0:  # initdb/pg_ctl refuse root: drop to an unprivileged account
        for candidate in ("postgres", "nobody"):
            try:
                pwd.getpwnam(candidate)
                user = candidate
                break
            except KeyError:
                continue
        if user is None:
            return None
    STATE.mkdir(exist_ok=True)
    if user:
        uid = pwd.getpwnam(user).pw_uid
        os.chmod(STATE, 0o755)
    if not (data / "PG_VERSION").exists():
        data.mkdir(exist_ok=True)
        if user:
            os.chown(data, uid, -1)
        _run_as(user, [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
    dsn = f"host=127.0.0.1 port={LOCAL_PORT} user=postgres dbname=postgres"
    if not _can_connect(dsn):
        _run_as(user, [pg_ctl, "-D", str(data), "-l", str(data / "server.log"), "-w", "start",
                       "-o", f"-p {LOCAL_PORT} -c listen_addresses=127.0.0.1 -k {data}"])
    return f"postgresql+psycopg2://postgres@127.0.0.1:{LOCAL_PORT}/dgsa" if _can_connect(dsn) else None


def find_warehouse() -> tuple[str, str]:
    """(SQLAlchemy URL of the dgsa database, how it was found)."""
    if os.environ.get("DGSA_WAREHOUSE_URL"):
        return os.environ["DGSA_WAREHOUSE_URL"], "DGSA_WAREHOUSE_URL"
    for user in ("postgres", getpass.getuser()):
        if _can_connect(f"host=127.0.0.1 port=5432 user={user} dbname=postgres connect_timeout=3"):
            return f"postgresql+psycopg2://{user}@127.0.0.1:5432/dgsa", "server at 127.0.0.1:5432"
    url = start_local_cluster()
    if url:
        return url, f"project-local cluster in {STATE / 'pgdata'}"
    sys.exit("No PostgreSQL warehouse: set DGSA_WAREHOUSE_URL, or run a server on 127.0.0.1:5432, "
             "or install PostgreSQL's server binaries (Debian: apt-get install postgresql) so that "
             "make can start a project-local cluster.")


def read_env() -> dict[str, str]:
    if not ENV_FILE.exists():
        return {}
    pairs = (line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line
             and not line.startswith("#"))
    return {k: v for k, v in pairs}


def main() -> None:
    env = read_env()
    from_environment = bool(os.environ.get("DGSA_WAREHOUSE_URL")) and \
        os.environ.get("DGSA_WAREHOUSE_URL") != env.get("DGSA_WAREHOUSE_URL")
    if from_environment:
        url, how = os.environ["DGSA_WAREHOUSE_URL"], "DGSA_WAREHOUSE_URL"
    elif env.get("DGSA_WAREHOUSE_URL"):
        url, how = env["DGSA_WAREHOUSE_URL"], "saved in .dgsa/local.env"
        if f":{LOCAL_PORT}/" in url:
            start_local_cluster()  # make sure a saved local cluster is running
    else:
        url, how = find_warehouse()
    try:
        db.ensure_database(url)
    except psycopg2.Error as exc:
        sys.exit(f"Warehouse {how} is not usable: {exc}".strip())
    if not from_environment:  # a URL given for one command is used, never saved as the default
        env["DGSA_WAREHOUSE_URL"] = url
    env.setdefault("DGSA_PERSON_KEY_SECRET", secrets.token_urlsafe(32))
    env.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", secrets.token_urlsafe(64))
    STATE.mkdir(exist_ok=True)
    ENV_FILE.write_text("# written by `python -m dgsa_tools.devenv`; local only, never committed\n"
                        + "".join(f"{k}={v}\n" for k, v in sorted(env.items())))
    os.chmod(ENV_FILE, 0o600)
    print(f"warehouse: {url.split('@')[-1]} ({how})")


if __name__ == "__main__":
    main()
