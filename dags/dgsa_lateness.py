"""
### dgsa_lateness: who is late after a round's deadline (daily 08:00 Asia/Bangkok)

For every round in `include/config/rounds.yaml` whose deadline has passed and that has a
list, **check_lateness** finds the provinces that have sent nothing since the round opened, or
whose on-list people are still more than `DGSA_LATE_MISSING_PERCENT` % missing (default 20),
from `marts.compliance_by_province`. It sends one alert listing the provinces not alerted yet
today: each province at most once per day (`audit.alert_sent` remembers), however often it runs.

**Alerts** go through the Airflow connection `dgsa_alerts_smtp` (SMTP; recipients in its extra
`to` or `DGSA_ALERTS_TO`) when it exists, otherwise as a `DGSA ALERT` line in the task log.
A send that fails (SMTP down or refusing, the connection unreadable or denied) fails the task
and nothing is remembered as sent: the retry, or the next check, sends it.
Provinces read their own details in the feedback workbooks in `DGSA_OUTBOX` (default
`.dgsa/outbox`).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from dgsa.operations.dag_common import default_args


@dag(
    dag_id="dgsa_lateness",
    schedule="0 8 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="Asia/Bangkok"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=30),
    default_args=default_args(retry_delay=timedelta(minutes=5)),
    tags=["dgsa", "alerts"],
    doc_md=__doc__,
)
def dgsa_lateness():
    @task
    def check_lateness(**context) -> dict:
        """Alert (once per province per day) the provinces late after a round's deadline."""
        from dgsa.operations import alerts

        return alerts.check_lateness(dag_id=context["dag"].dag_id, task_id="check_lateness", context=context)

    check_lateness()


dgsa_lateness()
