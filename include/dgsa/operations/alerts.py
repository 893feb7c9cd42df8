"""Alerts to the data engineers, through Airflow's notifier mechanism.

* Every dgsa task has `on_failure_callback=DgsaAlertNotifier()` (dag_common.default_args): a task
  that fails for good (after its retries) sends ONE alert naming the DAG, the task, the province
  (mapped load_province tasks), the first error line and the log link. A refused mart gate is
  such a failure (build_marts fails without retrying), so it too sends exactly one alert.
* `on_retry_callback=DgsaAlertNotifier(kind="task_retry")`: a try that fails and will be retried
  (a worker that died mid-task: the dag-processor runs it) says which worker (`worker`, the task
  instance's hostname) and which province.
* `check_lateness` (DAG dgsa_lateness, daily): after a round's deadline, the provinces that have
  sent nothing, or whose on-list people are still more than DGSA_LATE_MISSING_PERCENT % missing;
  each province at most once per day (audit.alert_sent remembers what was sent).

Channel: the SMTP provider's SmtpNotifier when the Airflow connection `dgsa_alerts_smtp` exists
(recipients: its extra "to", else DGSA_ALERTS_TO; sender: its extra "from_email", else
dgsa-alerts@localhost); otherwise (the connection is not defined) one log line starting with
`DGSA ALERT` (WARNING level), in the task log. A channel that fails (the connection cannot be
looked up or read, the SMTP server is down or refuses) raises: nothing is recorded as sent.
Light on purpose: imported by the DAG files at parse time. No citizen ID ever leaves (pii.scrub
on every text).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
from dataclasses import asdict, dataclass, field

from airflow.sdk import BaseNotifier

ALERT_CONN_ID = "dgsa_alerts_smtp"
MARK = "DGSA ALERT"
log = logging.getLogger("dgsa.alerts")


@dataclass
class Alert:
    kind: str                     # task_failed | task_retry | mart_gate | lateness
    dag_id: str
    task_id: str
    province: str | None = None
    first_error: str = ""
    log_url: str | None = None
    run_id: str | None = None
    lines: list[str] = field(default_factory=list)   # lateness: one line per province
    worker: str | None = None     # the host (Celery worker) the try ran on

    @property
    def subject(self) -> str:
        where = f"{self.dag_id}.{self.task_id}" + (f" [{self.province}]" if self.province else "") + (
            f" on {self.worker}" if self.worker else "")
        return f"[dgsa] {self.kind}: {where}: {self.first_error}"[:250]

    def log_line(self) -> str:
        return f"{MARK} " + json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    def html(self) -> str:
        rows = [("DAG", self.dag_id), ("Task", self.task_id), ("Province", self.province or "-"),
                ("Worker", self.worker or "-"),
                ("Run", self.run_id or "-"), ("First error line", self.first_error)]
        body = "".join(f"<tr><th align=left>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        link = f'<p><a href="{html.escape(self.log_url)}">Task log</a></p>' if self.log_url else ""
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
        return f"<table>{body}</table>{link}" + (f"<ul>{items}</ul>" if items else "")


def first_error_line(exc: BaseException | str | None) -> str:
    """The first non-empty line of the error, with its type, IDs masked."""
    from dgsa.foundation import pii  # noqa: PLC0415

    if exc is None:
        return "(no exception: see the log)"
    text = str(exc).strip()
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    prefix = "" if isinstance(exc, str) else type(exc).__name__
    return pii.scrub(f"{prefix}: {line}" if prefix and line else prefix or line)[:500]


def _province(context, ti) -> str | None:
    code = context.get("province_code")
    if code is None:
        code = (getattr(getattr(ti, "task", None), "op_kwargs", None) or {}).get("province_code")
    if code is None and getattr(ti, "map_index", -1) not in (None, -1):
        code = getattr(ti, "rendered_map_index", None) or _mapped_value(ti, "province_code")
    if code and " " not in str(code):
        from dgsa.foundation.config import province_label  # noqa: PLC0415

        code = province_label(str(code))
    return code


def _mapped_value(ti, name: str):
    """A mapped task instance's own value of an expanded argument, from its upstream's XCom: the
    callback the dag-processor runs for a task whose worker died has no rendered map index."""
    try:
        inputs = {**getattr(getattr(ti.task, "expand_input", None), "value", {}),        # operators
                  **getattr(getattr(ti.task, "op_kwargs_expand_input", None), "value", {})}   # @task
        arg = inputs[name]
        return ti.xcom_pull(task_ids=arg.operator.task_id, key=arg.key)[ti.map_index]
    except Exception:  # noqa: BLE001 - the province is nice to have, never a reason to lose the alert
        return None


def alert_from_context(context, kind: str | None = None) -> Alert:
    ti = context.get("ti") or context.get("task_instance")
    exc = context.get("exception")
    first = first_error_line(exc)
    if kind is None:
        kind = "mart_gate" if "mart gate refused" in first else "task_failed"
    try:
        log_url = ti.log_url
    except Exception:  # noqa: BLE001 - a link is nice to have, never a reason to lose the alert
        log_url = None
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    return Alert(kind=kind, dag_id=dag_id, task_id=getattr(ti, "task_id", "?"), province=_province(context, ti),
                 first_error=first, log_url=log_url, run_id=context.get("run_id") or getattr(ti, "run_id", None),
                 worker=getattr(ti, "hostname", None))


class AlertChannelError(RuntimeError):
    """The alert channel is configured but cannot be used: the alert is NOT sent."""


def _smtp_connection():
    """The connection dgsa_alerts_smtp, or None when it is not defined (the log is then the
    channel). Only "not defined" (Airflow's AirflowNotFoundException) means that: a secrets
    backend that denies or fails raises, and so does an AIRFLOW_CONN_DGSA_ALERTS_SMTP that
    Airflow cannot read (Airflow then says "not defined"): an alert is never taken as sent
    on a channel nobody chose."""
    from airflow.sdk import BaseHook  # noqa: PLC0415
    from airflow.sdk.exceptions import AirflowNotFoundException  # noqa: PLC0415

    try:
        return BaseHook.get_connection(ALERT_CONN_ID)
    except AirflowNotFoundException:
        env = f"AIRFLOW_CONN_{ALERT_CONN_ID.upper()}"
        if os.environ.get(env, "").strip():
            raise AlertChannelError(f"{env} is set but Airflow cannot read it as a connection "
                                    f"(a URI or JSON): the alert was not sent") from None
        return None


def send(alert: Alert, context=None) -> str:
    """Send one alert; returns the channel used ('smtp' or 'log'). Raises when the channel
    fails (connection lookup, SMTP server down or refusing): the caller must not count the
    alert as sent (check_lateness rolls back what it would have remembered)."""
    conn = _smtp_connection()
    if conn is not None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier  # noqa: PLC0415

        extra = conn.extra_dejson or {}
        to = extra.get("to") or os.environ.get("DGSA_ALERTS_TO") or conn.login
        SmtpNotifier(to=to, from_email=extra.get("from_email") or "dgsa-alerts@localhost",
                     subject=alert.subject, html_content=alert.html(),
                     smtp_conn_id=ALERT_CONN_ID).notify(context or {})
        log.warning("%s sent by e-mail to %s: %s", MARK, to, alert.subject)
        return "smtp"
    log.warning(alert.log_line())
    return "log"


class DgsaAlertNotifier(BaseNotifier):
    """on_failure_callback of every dgsa task: one alert per final failure."""

    def __init__(self, kind: str | None = None):
        super().__init__()
        self.kind = kind

    def notify(self, context) -> None:
        alert = alert_from_context(context, self.kind)
        try:
            send(alert, context)
        except Exception as exc:
            # still in the task log, and the callback fails visibly (Airflow logs it)
            log.error("%s NOT SENT (%s): %s", MARK, first_error_line(exc), alert.log_line())
            raise


# ---------------------------------------------------------------- lateness
def missing_threshold_percent() -> float:
    """DGSA_LATE_MISSING_PERCENT (default 20): after the deadline, a province with a larger share of
    its on-list people still missing is alerted."""
    return float(os.environ.get("DGSA_LATE_MISSING_PERCENT", "20"))


def late_provinces(cur, now: dt.datetime, threshold: float) -> list[dict]:
    """Provinces overdue in rounds whose deadline has passed and that have a list."""
    from dgsa.foundation.sqlfiles import read_sql  # noqa: PLC0415

    cur.execute("SELECT to_regclass('marts.compliance_by_province') IS NOT NULL")
    if not cur.fetchone()[0]:
        return []
    cur.execute(read_sql("feedback/late_provinces.sql"), {"now": now, "threshold": threshold})
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def check_lateness(url: str | None = None, now: dt.datetime | None = None, threshold: float | None = None,
                   dag_id: str = "dgsa_lateness", task_id: str = "check_lateness", context=None) -> dict:
    """List the late provinces; alert those not alerted yet today (Asia/Bangkok), in one message."""
    from dgsa.foundation import config, db  # noqa: PLC0415

    now = now or dt.datetime.now(config.BANGKOK)
    threshold = missing_threshold_percent() if threshold is None else threshold
    today = now.astimezone(config.BANGKOK).date()
    with db.transaction(url) as conn, conn.cursor() as cur:
        late = late_provinces(cur, now, threshold)
        new = []
        for p in late:
            cur.execute("""INSERT INTO audit.alert_sent (kind, round_code, province_code, sent_on, reason, detail)
                           VALUES ('lateness', %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1""",
                        (p["round"], p["province_code"], today, p["reason"], p["detail"]))
            if cur.fetchone():
                new.append(p)
        channel = None
        if new:   # sent inside the transaction: if sending fails, nothing is remembered as sent, the
            # task fails (and retries), and the next check sends it again
            lines = [f"{p['round']} {p['province_code']} {p['province_name_th']}: {p['detail']}" for p in new]
            names = [f"{p['province_code']} {p['province_name_th']}" for p in new]
            alert = Alert(kind="lateness", dag_id=dag_id, task_id=task_id, first_error=(
                f"{len(new)} province(s) late after the deadline (missing > {threshold:g}% or nothing sent)"),
                province=", ".join(names) if len(names) <= 3 else f"{len(names)} provinces",
                lines=lines, run_id=(context or {}).get("run_id"))
            ti = (context or {}).get("ti")
            alert.log_url = getattr(ti, "log_url", None) if ti is not None else None
            channel = send(alert, context)
    return {"late": len(late), "alerted": [f"{p['round']}/{p['province_code']}" for p in new],
            "already_alerted_today": len(late) - len(new), "threshold_percent": threshold, "channel": channel}
