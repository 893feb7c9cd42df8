"""A real Airflow UI for tests: a throw-away Airflow home, `airflow api-server` on a free local
port, a known admin login (simple auth manager), and headless Chromium (Playwright) logged in
through the real login page. Shared by every browser or HTTP test of the Airflow UI.

    from airflow_ui import AirflowUI, chromium, login

    with AirflowUI(warehouse_url) as ui:              # a migrated metadata DB, starts, waits for health
        ui.get("/api/v2/monitor/health")              # httpx response, no credentials
        ui.get("/api/v2/dags", auth=True)             # with a Bearer token for admin
        ui.airflow("dags", "reserialize")             # any CLI command with the server's env
        with chromium() as browser:
            page = login(browser, ui)                 # logged in, on the home page
            page.screenshot(path=ui.screenshot_path("home.png"))

As pytest fixtures (import them into a test module: `from airflow_ui import airflow_ui  # noqa: F401`):

* `airflow_ui` (module scope): one server per test module, against the session's scratch
  warehouse (`warehouse_url` from conftest.py); tests fill the warehouse themselves.
* `browser` (module scope): one headless Chromium; `page = login(browser, airflow_ui)` per test.

What it sets (everything else comes from bin/dgsa-env, like `make airflow`):

* AIRFLOW_HOME: a new temporary folder (SQLite metadata DB: a copy of a migrated one, see
  migrated_home; logs), removed afterwards (or `home=`, one the caller migrated, kept);
* DGSA_AIRFLOW_PORT: a free port, so bin/dgsa-env sets AIRFLOW__API__PORT, __BASE_URL and the
  execution API URL to match;
* AIRFLOW__API_AUTH__JWT_SECRET: 64 random bytes (hex) per server;
* AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin and a passwords file with a known
  random password (`ui.username`, `ui.password`);
* DGSA_WAREHOUSE_URL: the warehouse given (plus anything in `env=`).

Chromium: the Debian package (/usr/bin/chromium; `.ci/run` installs it with fonts-thai-tlwg),
never Playwright's download. The server's output is kept in `ui.log_path` and its tail is
shown when it fails to start.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / ".dgsa" / "screenshots"
CHROMIUM = os.environ.get("DGSA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def migrated_home(home: Path) -> Path:
    """An Airflow home holding a migrated metadata DB: a copy of bin/run-dag's template (migrated once
    per requirements.txt by `airflow db migrate`, under run-dag's lock), as `make pipeline` gives each
    run, instead of migrating every home again (~4 s of CPU each). Returns home."""
    homes = Path(os.environ.get("DGSA_PIPELINE_HOMES", ROOT / ".dgsa" / "pipeline-airflow"))
    homes.mkdir(parents=True, exist_ok=True)
    template = homes / f"template-{hashlib.sha1((ROOT / 'requirements.txt').read_bytes()).hexdigest()[:12]}"
    with open(homes / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)           # bin/run-dag's lock: one migration at a time
        if not (template / "airflow.db").is_file():
            tmp = Path(f"{template}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            with open(homes / "migrate.log", "wb") as log:
                subprocess.run([str(ROOT / "bin/dgsa-env"), "airflow", "db", "migrate"], check=True,
                               env=dict(os.environ, AIRFLOW_HOME=str(tmp)), stdout=log, stderr=subprocess.STDOUT)
            tmp.rename(template)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(template / "airflow.db", home / "airflow.db")
    return home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AirflowUI:
    """`airflow api-server` in a throw-away home; a context manager (start on enter, stop on exit)."""

    def __init__(self, warehouse_url: str | None = None, *, env: dict[str, str] | None = None,
                 username: str = "admin", reserialize: bool = False, startup_timeout: float = 180.0,
                 home: Path | None = None):
        # home: an Airflow home the caller made and migrated (e.g. one holding its `airflow dags test`
        # runs, conftest.pipeline_run): used as it is, not migrated again, not removed
        self.own_home = home is None
        self.home = Path(tempfile.mkdtemp(prefix="dgsa_airflow_ui_")) if home is None else Path(home)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.username = username
        self.password = secrets.token_urlsafe(12)
        self.reserialize = reserialize
        self.startup_timeout = startup_timeout
        self.log_path = self.home / "api-server.log"
        self.env = dict(os.environ, AIRFLOW_HOME=str(self.home), DGSA_AIRFLOW_PORT=str(self.port),
                        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(64),
                        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{username}:admin",
                        AIRFLOW__API__WORKERS="1", AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING")
        for name in ("AIRFLOW__API__BASE_URL", "AIRFLOW__API__PORT", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
                     "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"):
            self.env.pop(name, None)          # bin/dgsa-env derives them from the port and home
        if warehouse_url:
            self.env["DGSA_WAREHOUSE_URL"] = warehouse_url
            self.env.pop("AIRFLOW_CONN_DGSA_WAREHOUSE", None)
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None
        self._token: str | None = None

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "AirflowUI":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def airflow(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run `airflow ARGS` with this server's environment (home, warehouse, settings)."""
        return subprocess.run([str(ROOT / "bin/dgsa-env"), "airflow", *args], env=self.env, check=check,
                              capture_output=True, text=True, timeout=timeout)

    def start(self) -> None:
        (self.home / "simple_auth_manager_passwords.json.generated").write_text(
            json.dumps({self.username: self.password}) + "\n")
        if self.own_home:
            migrated_home(self.home)
        if self.reserialize:
            self.airflow("dags", "reserialize")
        log = open(self.log_path, "wb")   # noqa: SIM115 - kept open while the server runs
        self.proc = subprocess.Popen([str(ROOT / "bin/dgsa-env"), "airflow", "api-server", "--port", str(self.port),
                                      "--host", "127.0.0.1", "--workers", "1"],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"airflow api-server exited ({self.proc.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url("/api/v2/monitor/health"), timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"airflow api-server not healthy after {self.startup_timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
        if self.own_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # ------------------------------------------------------------ HTTP
    def url(self, path: str) -> str:
        return self.base_url + path

    def token(self) -> str:
        """A JWT for the admin user, from the simple auth manager's POST /auth/token."""
        if self._token is None:
            r = httpx.post(self.url("/auth/token"), json={"username": self.username, "password": self.password},
                           timeout=30)
            r.raise_for_status()
            self._token = r.json()["access_token"]
        return self._token

    def get(self, path: str, *, auth: bool = False, **kwargs) -> httpx.Response:
        """GET a path on the server; auth=True sends `Authorization: Bearer <admin token>`."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        return httpx.get(self.url(path), headers=headers, timeout=kwargs.pop("timeout", 60), **kwargs)

    @staticmethod
    def screenshot_path(name: str) -> str:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return str(SCREENSHOTS / name)


# ---------------------------------------------------------------- browser
@contextlib.contextmanager
def chromium(offline: bool = False) -> Iterator:
    """Headless Debian Chromium through Playwright. offline=True: a context with no network except
    127.0.0.1 / localhost / file:// (every other request is aborted); yields (browser)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-thai-tlwg (.ci/run does it)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def local_only(context) -> list[str]:
    """Abort every request of a Playwright browser context that leaves this machine; returns the
    (live) list of URLs that were blocked, so a test can assert on them."""
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "http://localhost", "file:", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()
    context.route("**/*", route)
    return blocked


def login(browser, ui: AirflowUI, *, viewport=(1400, 1000), offline: bool = True, locale: str = "en-US"):
    """A new page logged in through the real login form; returns it on the Airflow home page.
    offline=True also blocks every request that leaves this machine (see local_only);
    page.blocked_urls lists them."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale,
                                  accept_downloads=True)
    blocked = local_only(context) if offline else []
    page = context.new_page()
    page.blocked_urls = blocked
    page.goto(ui.base_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("input[name=username]", timeout=60_000)
    page.fill("input[name=username]", ui.username)
    page.fill("input[name=password]", ui.password)
    page.locator("button[type=submit]").click()
    page.wait_for_function("() => !location.pathname.includes('/auth/login')", timeout=60_000)
    page.wait_for_selector("nav, [role=navigation], a[href]", timeout=60_000)
    return page


# ---------------------------------------------------------------- pytest fixtures
@pytest.fixture(scope="module")
def airflow_ui(warehouse_url) -> Iterator[AirflowUI]:
    """One Airflow API server for the test module, against the session's scratch warehouse."""
    with AirflowUI(warehouse_url) as ui:
        yield ui


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b
