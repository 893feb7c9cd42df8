"""
### dgsa_ingest: shared drive -> warehouse (nightly 01:00 Asia/Bangkok)

Reads the shared drive named by `DGSA_DRIVE` (read-only) and loads it into the warehouse
named by the connection `dgsa_warehouse` / `DGSA_WAREHOUSE_URL`.

1. **prepare**: migrations to head and reference data from `include/config` (idempotent).
2. **scan_drive**: every file version into `audit.source_file`; unchanged files are skipped
   without hashing; files still being written stay `pending`; non-submissions `ignored`.
3. **load_roster** and, beside it (they do not read the roster), **load_province** (one mapped
   task per province with new files, or groups of provinces for large loads): each file read (within the limits
   of `dgsa.ingest.limits`) and typed column by column; the rows of all the task's files judged
   together by the Great Expectations suites in `expectations/` (`submission_rows`,
   `submission_skills`, `roster_rows`, then `file_gate`), whose `meta` gives each rejection
   its reason code and Thai/English message; then each file loaded in its own transaction.
   A file that cannot be read, typed, judged or stored is rejected alone, with a reason; the
   rest load. Bad rows go to `audit.rejected_row`, every expectation's outcome per file to
   `audit.validation_result`. Each task's XCom and log give its seconds per phase.
4. **reconcile**: rows read = loaded + rejected + skipped for every file, or the run fails.
   Publishes the `dgsa://warehouse/core` asset, which triggers `dgsa_marts`.

Data Docs for these validations are rendered by `dgsa_marts` (or `make docs`) into
`DGSA_DOCS_DIR` (default `.dgsa/data_docs/index.html`). After the marts, `dgsa_marts` writes
each province's feedback workbook and the run summary into the outbox `DGSA_OUTBOX`
(default `.dgsa/outbox`).

**Alerts**: a task that fails for good sends one alert (DAG, task, province, first error line,
log link) through the Airflow connection `dgsa_alerts_smtp` (SMTP) when it exists, otherwise as
a `DGSA ALERT` line in the task log. Mapped `load_province` tasks read `50 เชียงใหม่`.

The work lives in `include/dgsa/` (`ingest.py`, `ledger.py`, `load.py`); this file only wires it.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from dgsa.operations.dag_common import CORE_ASSET, default_args, province_label


@dag(
    dag_id="dgsa_ingest",
    schedule="0 1 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="Asia/Bangkok"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=3),
    default_args=default_args(retry_delay=timedelta(minutes=2)),
    tags=["dgsa", "ingest"],
    doc_md=__doc__,
    user_defined_filters={"province_label": province_label},
)
def dgsa_ingest():
    @task
    def prepare() -> dict:
        """Migrate the warehouse to head and load reference data."""
        from dgsa.ingest import steps as ingest

        return ingest.prepare()

    @task
    def scan_drive(**context) -> dict:
        """Record every file version on the drive in the ledger."""
        from dgsa.foundation import config
        from dgsa.ingest import steps as ingest

        return ingest.scan(config.drive_path(), dag_run_id=context["run_id"])

    @task
    def load_roster(scan: dict, **context) -> dict:
        """Load new roster files (the ministry's target-group list), judged by expectations/roster_rows.json."""
        from dgsa.foundation import config
        from dgsa.ingest import steps as ingest

        return ingest.load_kind(config.drive_path(), "roster", run_name=context["run_id"]) if scan["roster"] else {}

    @task
    def provinces_to_load(scan: dict) -> list[str]:
        """The provinces with new files: one load_province task each (or DGSA_LOAD_TASKS groups)."""
        from dgsa.ingest import steps as ingest

        return ingest.task_groups(scan["provinces"])

    # a mapped task takes no doc from its docstring: doc_md given here
    @task(map_index_template="{{ province_code | province_label }}",
          doc_md="Load one province's new files (judged by the GX suites), each file in its own transaction.")
    def load_province(province_code: str, **context) -> dict:
        """Load one province's new files (or a group's: "10,11,12"), judged together by the GX suites,
        each file written in its own transaction; a bad file is rejected alone."""
        from dgsa.foundation import config
        from dgsa.ingest import steps as ingest

        return ingest.load_kind(config.drive_path(), "submission", province_code, run_name=context["run_id"])

    @task(outlets=[CORE_ASSET], trigger_rule="none_failed")
    def reconcile(scan: dict) -> dict:
        """Check the row accounting of every file; fail loudly if it does not add up."""
        from dgsa.ingest import steps as ingest

        return ingest.reconcile(scan["load_id"])

    ready = prepare()
    scanned = scan_drive()
    ready >> scanned
    # the provinces do not read the roster: under a real executor they load beside it
    roster = load_roster(scanned)
    provinces = load_province.expand(province_code=provinces_to_load(scanned))
    [roster, provinces] >> reconcile(scanned)


dgsa_ingest()
