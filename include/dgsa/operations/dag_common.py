"""What every dgsa DAG shares: the assets that chain them and the task defaults.

Light on purpose (no pandas, database or GX imports): DAG files import it at parse time.
"""
from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset

from dgsa.foundation.config import province_label  # noqa: F401 - the DAGs' Jinja filter

CORE_ASSET = Asset("dgsa://warehouse/core")      # ingest has loaded the warehouse core
MARTS_ASSET = Asset("dgsa://warehouse/marts")    # the marts are published


def default_args(retry_delay: timedelta) -> dict:
    """Retries with exponential backoff; DGSA_TASK_RETRIES (default 2) lets `make pipeline`
    and the tests fail at once instead of sleeping through the backoff, DGSA_TASK_RETRY_DELAY
    (seconds) replaces the DAG's first delay. A task that fails for good sends one alert
    (dgsa.operations.alerts: SMTP connection dgsa_alerts_smtp, else a log line); a try that
    fails and will be retried (e.g. its worker died) sends a `task_retry` alert naming the worker."""
    from dgsa.operations.alerts import DgsaAlertNotifier

    delay = os.environ.get("DGSA_TASK_RETRY_DELAY")
    return {"owner": "dgsa", "retries": int(os.environ.get("DGSA_TASK_RETRIES", "2")),
            "retry_delay": timedelta(seconds=float(delay)) if delay else retry_delay,
            "retry_exponential_backoff": True,
            "on_failure_callback": DgsaAlertNotifier(), "on_retry_callback": DgsaAlertNotifier(kind="task_retry"),
            "on_success_callback": report_progress}


def report_progress(context) -> None:
    """on_success_callback: one `DGSA PROGRESS` line at INFO per finished task (its counts from its
    XCom, its seconds, the province label of a mapped load task); `make pipeline` prints these lines."""
    import logging
    from datetime import datetime, timezone

    from dgsa.foundation import progress

    ti = context["ti"]
    try:
        result = ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index)
    except Exception:  # noqa: BLE001 - a progress line never fails a task
        result = None
    code = (getattr(ti.task, "op_kwargs", None) or {}).get("province_code")
    started = getattr(ti, "start_date", None)
    seconds = (datetime.now(timezone.utc) - started).total_seconds() if started else 0.0
    logging.getLogger("dgsa.progress").info(
        progress.task_line(f"{ti.dag_id}.{ti.task_id}", progress.label_for(code) if code else "", seconds, result))
