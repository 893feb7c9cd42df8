"""OpenLineage for the dgsa DAGs: an extractor the provider calls for every dgsa @task.

The provider (apache-airflow-providers-openlineage) emits a START and a COMPLETE/FAIL event
for every task. A TaskFlow task is a `_PythonDecoratedOperator`, for which the provider alone
knows no datasets, so it is registered here as a custom extractor (`[openlineage] extractors =
dgsa.operations.lineage.DgsaTaskExtractor`, set by bin/dgsa-env). On START it names the
datasets a step reads and writes; on COMPLETE it adds what the step did, read from the
warehouse and the task's XCom, never from a row:

* inputs: the drive's province folders (file datasets `file` / absolute path) with
  `inputStatistics` (files and rows read, from the ledger) and `dataQualityAssertions` (each
  GX expectation run on the province's files, passed or not, from audit.validation_result);
* outputs: warehouse tables as PostgreSQL datasets (`postgres://host:port`, `db.schema.table`)
  with `outputStatistics` row counts (rows loaded from the ledger; a mart's rows from
  audit.mart_build, with its GX mart suite's assertions);
* run facets: `dgsa_ledger` (the task's files: path, status, rows, reason code) and
  `dgsa_runSummary` (summarise_run's summary).

dgsa_ingest's outputs (core.*) are dgsa_marts' inputs, whose outputs (marts.*) are
write_feedback's inputs, whose output is the outbox folder: consumers such as Marquez chain them.
What each step reads and writes is in lineage_map.py.
"""
from __future__ import annotations

import logging
from datetime import datetime

import attrs
from openlineage.client.event_v2 import Dataset, InputDataset, OutputDataset
from openlineage.client.facet_v2 import (
    RunFacet,
    data_quality_assertions_dataset,
    input_statistics_input_dataset,
    output_statistics_output_dataset,
)

from airflow.providers.openlineage.extractors.base import BaseExtractor, OperatorLineage
from dgsa.operations import lineage_map

log = logging.getLogger(__name__)
_SCHEMA = "https://github.com/dgsa/dgsa/blob/main/include/dgsa/operations/lineage.py"


class _DgsaRunFacet(RunFacet):
    """A dgsa run facet: its schema URL names the facet class (OpenLineage's custom-facet idiom, once)."""

    @classmethod
    def _get_schema(cls) -> str:
        return f"{_SCHEMA}#{cls.__name__}"


@attrs.define
class DgsaLedgerRunFacet(_DgsaRunFacet):
    """The files a load task processed, as the ledger records them (no cell values)."""

    files: list = attrs.field(factory=list)
    totals: dict = attrs.field(factory=dict)


@attrs.define
class DgsaRunSummaryRunFacet(_DgsaRunFacet):
    """The run summary summarise_run kept (audit.run_summary): counts, no IDs."""

    summary: dict = attrs.field(factory=dict)


@attrs.define
class DgsaStepRunFacet(_DgsaRunFacet):
    """What a step returned (its XCom): counts and seconds."""

    result: dict = attrs.field(factory=dict)


class DgsaTaskExtractor(BaseExtractor):
    """Datasets and facets of the dgsa DAGs' TaskFlow tasks (other DAGs: no datasets)."""

    @classmethod
    def get_operator_classnames(cls) -> list[str]:
        return ["_PythonDecoratedOperator"]

    def _ours(self) -> bool:
        return str(self.operator.dag_id).startswith("dgsa_")

    def _execute_extraction(self) -> OperatorLineage | None:
        if not self._ours():
            return OperatorLineage()
        ins, outs = lineage_map.datasets(self.operator.dag_id, self.operator.task_id, _codes(self.operator))
        return OperatorLineage(inputs=[InputDataset(d.namespace, d.name) for d in ins],
                               outputs=[OutputDataset(d.namespace, d.name) for d in outs])

    def extract_on_complete(self, task_instance) -> OperatorLineage | None:
        if not self._ours():
            return OperatorLineage()
        try:
            return complete(self.operator, task_instance)
        except Exception:   # lineage never fails a task; the event goes out with its datasets only
            log.warning("dgsa lineage facets not gathered for %s", self.operator.task_id, exc_info=True)
            return self._execute_extraction()

    def extract_on_failure(self, task_instance) -> OperatorLineage | None:
        return self._execute_extraction()


def _codes(task) -> list[str] | None:
    """The province codes of a mapped load_province task ("50" or "10,11,12")."""
    code = (getattr(task, "op_kwargs", None) or {}).get("province_code")
    return str(code).split(",") if code else None


def _xcom(task_instance) -> dict:
    try:
        value = task_instance.xcom_pull(task_ids=task_instance.task_id, map_indexes=task_instance.map_index)
    except Exception:   # noqa: BLE001 - a missing XCom only means fewer facets
        value = None
    return value if isinstance(value, dict) else {}


def complete(task, task_instance) -> OperatorLineage:
    dag_id, task_id, codes = task.dag_id, task.task_id, _codes(task)
    ins, outs = lineage_map.datasets(dag_id, task_id, codes)
    in_facets: dict[str, dict] = {}
    out_facets: dict[str, dict] = {}
    run_facets: dict = {}
    result = _xcom(task_instance)
    if task_id in ("load_province", "load_roster"):
        started = getattr(task_instance, "start_date", None)
        files, checks = lineage_map.ledger(codes, "roster" if task_id == "load_roster" else "submission", started)
        _load_facets(ins, outs, files, checks, in_facets, out_facets, run_facets)
    elif task_id == "build_marts":
        for mart, rows, assertions in lineage_map.marts(started_at(task_instance)):
            name = lineage_map.table(f"marts.{mart}")
            out_facets[name.name] = {
                "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=rows),
                "dataQualityAssertions": _assertions(assertions)}
    elif task_id == "summarise_run" and result:
        run_facets["dgsa_runSummary"] = DgsaRunSummaryRunFacet(
            summary={k: v for k, v in result.items() if k != "markdown_path"})
    if result and "dgsa_runSummary" not in run_facets:
        run_facets["dgsa_step"] = DgsaStepRunFacet(result=_plain(result))
    return OperatorLineage(
        inputs=[InputDataset(d.namespace, d.name, inputFacets=in_facets.get(d.name, {})) for d in ins],
        outputs=[OutputDataset(d.namespace, d.name, outputFacets=out_facets.get(d.name, {})) for d in outs],
        run_facets=run_facets)


def started_at(task_instance) -> datetime | None:
    return getattr(task_instance, "start_date", None)


def _load_facets(ins: list[Dataset], outs: list[Dataset], files: list[dict], checks: list[dict],
                 in_facets: dict, out_facets: dict, run_facets: dict) -> None:
    """Per province folder: files and rows read, the GX assertions on its files; per table: rows written."""
    ins.clear()
    folders = sorted({f["folder"] for f in files})
    for folder in folders:
        mine = [f for f in files if f["folder"] == folder]
        ds = lineage_map.drive_path(folder)
        ins.append(ds)
        in_facets[ds.name] = {
            "inputStatistics": input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                rowCount=sum(f["rows_read"] for f in mine), fileCount=len(mine),
                size=sum(f["size_bytes"] for f in mine)),
            "dataQualityAssertions": _assertions([c for c in checks if c["folder"] == folder])}
    totals = {k: sum(f[k] for f in files) for k in ("rows_read", "rows_loaded", "rows_rejected", "rows_skipped")}
    by_table = {"core.assessment": totals["rows_loaded"], "core.roster_entry": totals["rows_loaded"],
                "raw.source_row": totals["rows_read"], "audit.rejected_row": totals["rows_rejected"],
                "audit.source_file": len(files)}
    for ds in outs:
        table = ds.name.split(".", 1)[1]
        if table in by_table:
            out_facets[ds.name] = {"outputStatistics":
                                   output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                                       rowCount=by_table[table])}
    run_facets["dgsa_ledger"] = DgsaLedgerRunFacet(
        files=[{k: f[k] for k in ("rel_path", "status", "reason_code", "rows_read", "rows_loaded",
                                  "rows_rejected", "rows_skipped")} for f in files],
        totals=dict(totals, files=len(files)))


def _assertions(checks: list[dict]):
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(assertions=[
        data_quality_assertions_dataset.Assertion(assertion=c["assertion"], success=c["success"], column=c["column"])
        for c in checks])


def _plain(value):
    """An XCom value as JSON-safe plain data (lists, dicts, numbers, text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)
