"""
### dgsa_marts: warehouse core -> published marts

Runs whenever `dgsa_ingest` publishes the `dgsa://warehouse/core` asset.
Builds `marts.compliance_person`, `compliance_by_province`, `training_nominee`,
`training_needs`, `person_progress` and `target_progress` from `include/sql/marts/*.sql` into
`mart_build` (only the rounds whose inputs changed since the last published build are recomputed,
the others copied; nothing changed: the build is skipped and recorded in `audit.mart_build_state`;
`python -m dgsa.marts --full` recomputes everything), validates each against its Great Expectations suite (`expectations/marts/<mart>.json`,
computed in PostgreSQL), and swaps them into `marts` in one transaction: readers see the old
marts or the new ones, never half, and a build that fails an expectation leaves the old
marts in place; the task fails naming the expectation (see `audit.mart_build` and
`audit.validation_result`).

**build_data_docs** then renders GX Data Docs (every suite, the last 7 days of validations
of files and marts) into `DGSA_DOCS_DIR` (default `.dgsa/data_docs/index.html`; `make docs`
does the same by hand), only when the runs or suites it shows changed. It runs even when the gate
refused the build.

**write_feedback** (after a published build) writes one feedback workbook (.xlsx, Thai first)
per province with anything to say into the outbox `DGSA_OUTBOX` (default `.dgsa/outbox`,
never the drive), only when its content changed; `make feedback` does the same by hand.
**summarise_run** leaves the run summary (files by status, rows loaded and rejected, compliance
counts changed since the previous run) in its log, its XCom, `audit.run_summary` and
`DGSA_OUTBOX/run-summary.md`.

**Alerts**: a refused gate, or any task that fails for good, sends exactly one alert through the
Airflow connection `dgsa_alerts_smtp` (SMTP) when it exists, otherwise as a `DGSA ALERT` line in
the task log (a gate failure is not retried: the same data would fail again).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from dgsa.operations.dag_common import CORE_ASSET, MARTS_ASSET, default_args


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
    def build_marts(**context) -> dict:
        """Build, validate (GX suites) and atomically publish every mart."""
        from airflow.sdk.exceptions import AirflowFailException

        from dgsa.marts import build as marts

        try:
            return marts.build(run_name=context["run_id"])
        except marts.GateFailed as exc:   # no retry: one failure, one alert
            raise AirflowFailException(str(exc)) from exc

    @task(trigger_rule="all_done")
    def build_data_docs() -> str:
        """Render GX Data Docs from audit.validation_run into DGSA_DOCS_DIR."""
        from dgsa.contract import docs

        return str(docs.build())

    @task
    def write_feedback() -> dict:
        """Write each province's feedback workbook into DGSA_OUTBOX when its content changed."""
        from dgsa.operations import feedback

        return feedback.write_all()

    @task(trigger_rule="all_done")
    def summarise_run(**context) -> dict:
        """Summarise the last ingest (files, rows, compliance changes) into the log, XCom and outbox."""
        from dgsa.operations import run_summary

        return run_summary.build(dag_run_id=context["run_id"])

    published = build_marts()
    published >> build_data_docs()
    published >> write_feedback() >> summarise_run()


dgsa_marts()
