"""What every dgsa DAG shares: the assets that chain them and the task defaults.

Light on purpose (no pandas, database or GX imports): DAG files import it at parse time.
"""
from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset

CORE_ASSET = Asset("dgsa://warehouse/core")      # ingest has loaded the warehouse core
MARTS_ASSET = Asset("dgsa://warehouse/marts")    # the marts are published


def default_args(retry_delay: timedelta) -> dict:
    """Retries with exponential backoff; DGSA_TASK_RETRIES (default 2) lets `make pipeline`
    and the tests fail at once instead of sleeping through the backoff. A task that fails for
    good sends one alert (dgsa.alerts: SMTP connection dgsa_alerts_smtp, else a log line)."""
    from dgsa.alerts import DgsaAlertNotifier

    return {"owner": "dgsa", "retries": int(os.environ.get("DGSA_TASK_RETRIES", "2")),
            "retry_delay": retry_delay, "retry_exponential_backoff": True,
            "on_failure_callback": DgsaAlertNotifier()}


def province_label(code) -> str:
    """`50 เชียงใหม่`: how a province's mapped task is labelled (a Jinja filter of dgsa_ingest);
    a task given several provinces (DGSA_LOAD_TASKS) reads `10 กรุงเทพมหานคร … 96 นราธิวาส (39 จังหวัด)`."""
    if not code or not isinstance(code, str):
        return ""
    from dgsa import config

    names = {p["province_code"]: p["name_th"] for p in config.provinces()}
    codes = code.split(",")
    one = [f"{c} {names[c]}" if c in names else c for c in (codes[0], codes[-1])]
    return one[0] if len(codes) == 1 else f"{one[0]} … {one[1]} ({len(codes)} จังหวัด)"
