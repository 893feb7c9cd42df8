"""
### dgsa_marts: warehouse core -> published marts

Runs whenever `dgsa_ingest` publishes the `dgsa://warehouse/core` asset.
Builds `marts.compliance_person`, `compliance_by_province`, `training_nominee`,
`training_needs` and `target_progress` from `include/sql/marts/*.sql` into `mart_build`,
checks them against the publication gate (`include/sql/gates/marts.sql`), and swaps them
into `marts` in one transaction: readers see the old marts or the new ones, never half,
and a build that fails a check leaves the old marts in place (see `audit.mart_build`).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from dgsa.dag_common import CORE_ASSET, MARTS_ASSET, default_args


@dag(
    dag_id="dgsa_marts",
    schedule=[CORE_ASSET],
    start_date=pendulum.datetime(2026, 11, 1, tz="Asia/Bangkok"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=default_args(retry_delay=timedelta(minutes=1)),
    tags=["dgsa", "marts"],
    doc_md=__doc__,
)
def dgsa_marts():
    @task(outlets=[MARTS_ASSET])
    def build_marts() -> dict:
        """Build, gate and atomically publish every mart."""
        from dgsa import marts

        return marts.build()

    build_marts()


dgsa_marts()
