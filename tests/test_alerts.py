"""Alerts: a task failing in a real `airflow dags test` run sends exactly one alert with the DAG,
task, first error line and log link; a refused mart gate sends exactly one; the SMTP channel
sends one e-mail when the connection dgsa_alerts_smtp exists; the lateness check alerts each
province once per day. A channel that fails (SMTP down or refusing, a connection that cannot be
read, a secrets backend that denies) never counts as sent: the check fails, and the next check
sends the alert (issue 21, defect 7)."""
import contextlib
import datetime as dt
import email
import email.policy
import json
import logging
import os
import shutil
import smtplib
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from airflow.sdk.bases.secrets_backend import BaseSecretsBackend
from airflow.sdk.exceptions import AirflowSecretsBackendAccessDenied

from dgsa.operations import alerts
from dgsa.foundation import config
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts

from helpers import ids, sub_row, when, write_roster, write_submission

ROOT = Path(__file__).resolve().parent.parent


def _dags_test(dag_id: str, airflow_home, warehouse: str, **env) -> tuple[int, str]:
    """`airflow dags test` with its whole output (task logs included) captured here."""
    full = dict(os.environ, AIRFLOW_HOME=str(airflow_home), DGSA_WAREHOUSE_URL=warehouse, DGSA_TASK_RETRIES="0",
                **env)
    full.pop("AIRFLOW_CONN_DGSA_ALERTS_SMTP", None)
    done = subprocess.run([str(ROOT / "bin/dgsa-env"), "airflow", "dags", "test", dag_id], env=full,
                          capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def _alerts_in(output: str) -> list[dict]:
    found = []
    for line in output.splitlines():
        if alerts.MARK + " {" in line:
            found.append(json.loads(line[line.index(alerts.MARK + " {") + len(alerts.MARK) + 1:].split("\x1b")[0]
                                    .rsplit("}", 1)[0] + "}"))
    return found


def test_a_failing_task_sends_exactly_one_alert_and_fails_the_run(airflow_home, warehouse, tmp_path):
    """Through bin/run-dag (what `make pipeline` runs: `airflow dags test`, its whole output in
    DGSA_RUN_DAG_LOG): the run fails, and its task log holds exactly one alert."""
    log = tmp_path / "dgsa_ingest.log"
    env = dict(os.environ, AIRFLOW_HOME=str(airflow_home), DGSA_WAREHOUSE_URL=warehouse, DGSA_TASK_RETRIES="0",
               DGSA_DRIVE=str(tmp_path / "no such drive"), DGSA_RUN_DAG_LOG=str(log))
    env.pop("AIRFLOW_CONN_DGSA_ALERTS_SMTP", None)
    result = subprocess.run([str(ROOT / "bin/run-dag"), "dgsa_ingest"], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode != 0                     # a failed task makes the run fail (was test_end_to_end's)
    assert "FAILED" in result.stderr
    out = log.read_text(errors="replace")
    got = _alerts_in(out)
    assert len(got) == 1, out[-3000:]
    a = got[0]
    assert (a["kind"], a["dag_id"], a["task_id"], a["province"]) == ("task_failed", "dgsa_ingest", "scan_drive", None)
    assert a["first_error"].startswith("ConfigError: DGSA_DRIVE=") and "is not a folder" in a["first_error"]
    assert "/dags/dgsa_ingest/runs/" in a["log_url"] and "/tasks/scan_drive" in a["log_url"]
    assert a["run_id"]


def test_a_refused_mart_gate_sends_exactly_one_alert(airflow_home, warehouse, tmp_path):
    drive = tmp_path / "drive"
    p = ids(2)
    write_roster(drive, [(p[0], "ก", "ข", "50", 6), (p[1], "ค", "ง", "50", 6)])
    write_submission(drive, "provinces/50-เชียงใหม่/a.xlsx", [sub_row(1, p[0])], when(20))
    ingest.run_all(drive, url=warehouse)
    suites = tmp_path / "expectations"
    shutil.copytree(config.EXPECTATIONS_DIR, suites)
    path = suites / "marts" / "target_progress.json"
    suite = json.loads(path.read_text(encoding="utf-8"))
    suite["expectations"].append({"type": "expect_table_row_count_to_equal", "kwargs": {"value": 0},
                                  "meta": {"check": "a gate that cannot pass (test)"}})
    path.write_text(json.dumps(suite), encoding="utf-8")
    code, out = _dags_test("dgsa_marts", airflow_home, warehouse, DGSA_DRIVE=str(drive),
                           DGSA_EXPECTATIONS_DIR=str(suites), DGSA_OUTBOX=str(tmp_path / "outbox"))
    assert "DagRunState.FAILED" in out or "state=failed" in out
    got = _alerts_in(out)
    assert len(got) == 1, out[-3000:]
    assert (got[0]["kind"], got[0]["dag_id"], got[0]["task_id"]) == ("mart_gate", "dgsa_marts", "build_marts")
    assert "a gate that cannot pass" in got[0]["first_error"]
    # the summary still tells what happened; no feedback from unpublished marts
    summary = (tmp_path / "outbox" / "run-summary.md").read_text(encoding="utf-8")
    assert "NOT published" in summary
    assert not list((tmp_path / "outbox").rglob("*.xlsx"))


class _Ti:
    dag_id, task_id, run_id, map_index = "dgsa_ingest", "load_province", "manual__1", 3
    log_url = "http://127.0.0.1:8080/dags/dgsa_ingest/runs/manual__1/tasks/load_province/mapped/3"

    class task:   # noqa: N801 - stands in for the operator
        op_kwargs = {"province_code": "50"}


def test_notifier_names_the_province_and_masks_ids(caplog):
    caplog.set_level(logging.WARNING, logger="dgsa.alerts")
    alerts.DgsaAlertNotifier()({"ti": _Ti(), "run_id": "manual__1",
                                "exception": ValueError("row with 1-2345-67890-12-1 broke\nsecond line")})
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(alerts.MARK)]
    assert len(lines) == 1
    a = json.loads(lines[0][len(alerts.MARK) + 1:])
    assert a["province"] == "50 เชียงใหม่" and a["task_id"] == "load_province"
    assert a["first_error"] == "ValueError: row with x-xxxx-xxxxx-12-1 broke"
    assert a["log_url"].endswith("/mapped/3")


@contextlib.contextmanager
def _smtp_server(refuse: bool = False):
    """A real SMTP server on a free local port; yields (port, received). refuse: it answers
    every message with 554 (a relay that refuses)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import asyncore
        import smtpd
    received = []

    class Server(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            if refuse:
                return "554 5.7.1 refused by policy (test)"
            received.append((mailfrom, rcpttos, data))
            return None

    server = Server(("127.0.0.1", 0), None, decode_data=True)
    loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1, "count": 150}, daemon=True)
    loop.start()
    try:
        yield server.socket.getsockname()[1], received
    finally:
        asyncore.close_all()      # the server and any client channel a refused sender left open
        loop.join(timeout=20)


def _smtp_env(monkeypatch, port: int) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DGSA_ALERTS_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"to": "dgsa-engineers@example.org", "from_email": "dgsa@example.org", "disable_ssl": True,
                  "disable_tls": True, "timeout": 5, "retry_limit": 1}}))


def test_smtp_connection_sends_one_email(monkeypatch):
    with _smtp_server() as (port, received):
        _smtp_env(monkeypatch, port)
        channel = alerts.DgsaAlertNotifier()({"ti": _Ti(), "run_id": "manual__1",
                                              "exception": RuntimeError("database gone")})
    assert channel is None      # BaseNotifier returns nothing; what matters is the mail
    assert len(received) == 1
    mailfrom, rcpt, data = received[0]
    assert rcpt == ["dgsa-engineers@example.org"]
    msg = email.message_from_string(data, policy=email.policy.default)
    assert msg["Subject"] == "[dgsa] task_failed: dgsa_ingest.load_province [50 เชียงใหม่]: RuntimeError: database gone"
    body = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert "database gone" in body and _Ti.log_url in body and "50 เชียงใหม่" in body


@pytest.fixture
def late_warehouse(tmp_path, warehouse, sql):
    """Round 2563 has a list: 50 sent nothing, 51 sent for 1 of its 2 people (50 % missing), 52 for all."""
    p = ids(5, seed=21)
    write_roster(tmp_path, [(p[0], "ก", "ข", "50", 6), (p[1], "ค", "ง", "51", 6), (p[2], "จ", "ฉ", "51", 6),
                            (p[3], "ช", "ซ", "52", 6)])
    write_submission(tmp_path, "provinces/51-ลำพูน/a.xlsx", [sub_row(1, p[1], province="51")], when(20))
    write_submission(tmp_path, "provinces/52-ลำปาง/a.xlsx", [sub_row(1, p[3], province="52")], when(20))
    ingest.run_all(tmp_path, url=warehouse)
    marts.build(warehouse)
    sql("DELETE FROM audit.alert_sent")
    return warehouse


def test_lateness_alerts_each_province_once_per_day(late_warehouse, sql, caplog):
    caplog.set_level(logging.WARNING, logger="dgsa.alerts")
    day = dt.datetime(2020, 11, 2, 8, tzinfo=config.BANGKOK)
    before_deadline = alerts.check_lateness(late_warehouse, now=dt.datetime(2020, 10, 20, tzinfo=config.BANGKOK))
    assert before_deadline["late"] == 0 and before_deadline["alerted"] == []
    first = alerts.check_lateness(late_warehouse, now=day, threshold=20)
    assert first["alerted"] == ["2563/50", "2563/51"] and first["channel"] == "log"
    assert dict(sql("SELECT province_code, reason FROM audit.alert_sent")) == {
        "50": "NOTHING_SENT", "51": "MISSING_OVER_THRESHOLD"}
    again = alerts.check_lateness(late_warehouse, now=day.replace(hour=20), threshold=20)
    assert again["alerted"] == [] and again["already_alerted_today"] == 2 and again["channel"] is None
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(alerts.MARK)]
    assert len(lines) == 1 and "50 เชียงใหม่" in lines[0] and "51 ลำพูน" in lines[0]
    assert json.loads(lines[0][len(alerts.MARK) + 1:])["province"] == "50 เชียงใหม่, 51 ลำพูน"
    assert alerts.check_lateness(late_warehouse, now=day + dt.timedelta(days=1), threshold=60)["alerted"] == [
        "2563/50"]                                           # next day; 51's 50 % is under 60 %


class DenyingSecretsBackend(BaseSecretsBackend):
    """A secrets backend that refuses (as a vault whose token expired would): set by
    AIRFLOW__SECRETS__BACKEND=test_alerts.DenyingSecretsBackend."""

    def get_conn_value(self, conn_id, team_name=None):
        raise AirflowSecretsBackendAccessDenied(f"vault: permission denied for {conn_id} (test)")


def test_a_failed_send_is_never_recorded_and_goes_at_the_next_check(late_warehouse, sql, monkeypatch, caplog):
    """Before, any error while looking up the connection fell back to a log line and the day's
    alert was remembered as sent. Now each failing channel fails the check with nothing
    remembered; once the channel works, the next check sends the one e-mail."""
    from airflow.sdk.configuration import clear_secrets_backends_cache

    caplog.set_level(logging.WARNING, logger="dgsa.alerts")
    day = dt.datetime(2020, 11, 2, 8, tzinfo=config.BANGKOK)
    with socket.socket() as s:          # a port nobody listens on: the SMTP server is down
        s.bind(("127.0.0.1", 0))
        down = s.getsockname()[1]
    _smtp_env(monkeypatch, down)
    with pytest.raises(ConnectionRefusedError):
        alerts.check_lateness(late_warehouse, now=day, threshold=20)
    assert sql("SELECT count(*) FROM audit.alert_sent") == [(0,)]

    with _smtp_server(refuse=True) as (port, received):
        _smtp_env(monkeypatch, port)
        with pytest.raises(smtplib.SMTPDataError, match="refused by policy"):
            alerts.check_lateness(late_warehouse, now=day, threshold=20)
    assert received == [] and sql("SELECT count(*) FROM audit.alert_sent") == [(0,)]

    monkeypatch.setenv("AIRFLOW_CONN_DGSA_ALERTS_SMTP", "{not a connection")   # Airflow: "isn't defined"
    with pytest.raises(RuntimeError, match="AIRFLOW_CONN_DGSA_ALERTS_SMTP is set"):   # AlertChannelError
        alerts.check_lateness(late_warehouse, now=day, threshold=20)
    assert sql("SELECT count(*) FROM audit.alert_sent") == [(0,)]

    monkeypatch.delenv("AIRFLOW_CONN_DGSA_ALERTS_SMTP")
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", "test_alerts.DenyingSecretsBackend")
    clear_secrets_backends_cache()
    try:
        with pytest.raises(PermissionError, match="vault: permission denied"):
            alerts.check_lateness(late_warehouse, now=day, threshold=20)
    finally:
        monkeypatch.delenv("AIRFLOW__SECRETS__BACKEND")
        clear_secrets_backends_cache()
    assert sql("SELECT count(*) FROM audit.alert_sent") == [(0,)]
    assert not [r for r in caplog.records if r.getMessage().startswith(alerts.MARK + " {")], "no log fallback"

    with _smtp_server() as (port, received):       # the channel works again: the next check sends
        _smtp_env(monkeypatch, port)
        sent = alerts.check_lateness(late_warehouse, now=day.replace(hour=9), threshold=20)
        again = alerts.check_lateness(late_warehouse, now=day.replace(hour=10), threshold=20)
    assert (sent["channel"], sent["alerted"]) == ("smtp", ["2563/50", "2563/51"])
    assert (again["channel"], again["alerted"]) == (None, [])
    assert len(received) == 1 and received[0][1] == ["dgsa-engineers@example.org"]
    assert dict(sql("SELECT province_code, reason FROM audit.alert_sent")) == {
        "50": "NOTHING_SENT", "51": "MISSING_OVER_THRESHOLD"}


def test_a_task_alert_that_cannot_be_sent_stays_in_the_log_and_fails_the_callback(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="dgsa.alerts")
    with _smtp_server(refuse=True) as (port, received):
        _smtp_env(monkeypatch, port)
        with pytest.raises(smtplib.SMTPDataError):
            alerts.DgsaAlertNotifier()({"ti": _Ti(), "run_id": "manual__1", "exception": RuntimeError("gone")})
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(alerts.MARK + " NOT SENT")]
    assert len(lines) == 1 and "SMTPDataError" in lines[0] and "RuntimeError: gone" in lines[0]
