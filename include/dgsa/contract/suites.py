"""The data contract: the Great Expectations suites in expectations/ decide what is accepted.

    expectations/submission_rows.json   typed rows of a submission file
    expectations/roster_rows.json       typed rows of a roster file
    expectations/file_gate.json         one row per file: whole-file rejection
    expectations/marts/<mart>.json      each mart before it is published

They are plain GX Core 1.x suites (`ExpectationSuite(**json)` loads them). An expectation's
`meta` carries the reason code and the Thai and English messages the province reads;
`meta.fields` names the source column a row rejection points at. On one cell only the first
broken rule (in suite order) is reported, so order within a column is precedence.

Value sets come from the `ref` tables as suite parameters ($PARAMETER: target_groups, levels,
provinces, max_bad_row_share). GX is imported lazily (about 4 s): never at DAG parse time.
"""
from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from dgsa.foundation import config
from dgsa.contract import gx_memo

log = logging.getLogger(__name__)
EXPECTATIONS_DIR = config.EXPECTATIONS_DIR
INDEX_COLUMNS = ["file_id", "source_row", "skill_code"]   # whichever a frame has
# result keys that may hold cell values (citizen IDs): never stored, logged or rendered
_VALUE_KEYS = ("unexpected_list", "partial_unexpected_list", "partial_unexpected_counts", "unexpected_index_list",
               "partial_unexpected_index_list", "unexpected_index_query", "unexpected_rows", "details")


# time spent inside GX in this process (validations, plus the one-off import), for the benchmark
# and the task logs: GX's share of a run is measured, not guessed
TIMING = {"import_seconds": 0.0, "validate_seconds": 0.0, "validations": 0}


class ContractError(RuntimeError):
    """A suite could not be evaluated (a bug in a suite or in typing, never a data problem)."""


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


@functools.cache
def suite_json(name: str) -> dict:
    return json.loads(suite_path(name).read_text(encoding="utf-8"))


def mart_suites() -> list[str]:
    return sorted(f"marts/{p.stem}" for p in (EXPECTATIONS_DIR / "marts").glob("*.json"))


# ---------------------------------------------------------------- GX, one context per process
@functools.cache
def _gx():
    started = time.perf_counter()
    import great_expectations as gx  # noqa: PLC0415  (heavy: imported only when validating)
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    gx_memo.install()   # GX rebuilds each expectation dozens of times per validation: see gx_memo.py
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    frames = context.data_sources.add_pandas("dgsa_frames").add_dataframe_asset("typed_rows")
    TIMING["import_seconds"] += time.perf_counter() - started
    return gx, context, frames.add_batch_definition_whole_dataframe("whole_frame")


_POSITION: dict[str, int] = {}   # expectation id -> 0-based place in its suite


def _expectation_id(name: str, position: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dgsa:{name}#{position + 1}"))


@functools.cache
def suite(name: str):
    """The suite, each expectation given a stable id (UUID5 of '<suite>#<position>') so that
    results, which GX does not return in suite order, map back to their place (precedence)."""
    gx, _context, _ = _gx()
    data = suite_json(name)
    expectations = []
    for i, e in enumerate(data["expectations"]):
        eid = _expectation_id(name, i)
        _POSITION[eid] = i
        expectations.append({**e, "id": eid})
    return gx.ExpectationSuite(**{**data, "expectations": expectations})


def _exceptions(info) -> list[str]:
    """The exception messages an expectation's exception_info holds, in whatever shape GX puts
    them: {raised_exception, exception_message, ...} at the top, or (GX 1.x, a metric that
    failed) one such dict per metric id, nested. Anything that is not the 'nothing raised'
    shape counts: an unknown shape is not taken as a pass."""
    if not info:
        return []
    if isinstance(info, (list, tuple)):
        return [m for item in info for m in _exceptions(item)]
    if not isinstance(info, dict):
        return [str(info)]
    found = [str(info.get("exception_message") or "exception (no message)")] if (
        info.get("raised_exception") or info.get("exception_message") or info.get("exception_traceback")) else []
    for key, value in info.items():
        if key not in ("raised_exception", "exception_message", "exception_traceback") and value:
            found += _exceptions(value) or ([] if isinstance(value, (dict, list, tuple)) else [f"{key}: {value}"])
    return found


def _check_evaluated(name: str, result, named_rows: bool = False, counted: bool = False) -> None:
    """Fail closed: an expectation that holds an exception (in any shape), or that failed
    without saying on what, is a bug in a suite or in typing, never a verdict on the data.
    counted: a failed expectation must count its unexpected rows (map rules on a frame);
    named_rows: it must also name them (the COMPLETE pass ran)."""
    broken = []
    for r in result.results:
        cfg = r.expectation_config
        kw = cfg.kwargs
        column = kw.get("column") or "/".join(filter(None, (kw.get("column_A"), kw.get("column_B")))) or \
            ",".join(kw.get("column_list") or [])
        where = f"#{_POSITION.get(str(cfg.id), -1) + 1} {cfg.type}({column})"
        if messages := _exceptions(r.exception_info):
            broken.append(f"{where}: {messages[0]}")
        elif not r.success and (counted or named_rows):
            res = r.result if isinstance(r.result, dict) else {}
            if not res.get("unexpected_count"):
                broken.append(f"{where}: failed with no unexpected rows counted")
            elif named_rows and not res.get("unexpected_index_list"):
                broken.append(f"{where}: failed with no failing rows named")
    if broken or (not result.success and all(r.success for r in result.results)):
        from dgsa.foundation.pii import scrub  # noqa: PLC0415

        what = "; ".join(broken[:5] or ["the suite failed with every expectation met"])
        raise ContractError(scrub(f"suite {name}: {len(broken)} expectation(s) could not be evaluated: {what}")[:2000])


def validate_frame(name: str, df, parameters: dict | None = None, detail=None, only: frozenset | None = None):
    """Validate a DataFrame (which has file_id and source_row columns when rows are judged).

    Two passes, because GX's cost is mostly per expectation, not per row: every expectation
    with SUMMARY first (counts, no values: about half the cost of COMPLETE), then only the
    ones that failed again with COMPLETE, which lists the failing rows' (file_id, source_row).
    detail(result) -> bool may decline the second pass (a file already beyond the file gate:
    its rows' details would cost memory in proportion to its bad rows, for nothing).
    only: the 0-based positions of the suite's expectations to run (None: all of them)."""
    _gx_mod, _context, batch_definition = _gx()
    started = time.perf_counter()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
    params = parameters or {}
    with gx_memo.memoised():
        chosen = suite(name)      # (also numbers the expectations: verdicts map back to their place)
        if only is not None:
            chosen = _subsuite(name, frozenset(_expectation_id(name, i) for i in only))
        result = batch.validate(chosen, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 0},
                                expectation_parameters=params)
    _check_evaluated(name, result, counted=True)     # before detail(result) reads the counts
    failed = {str(r.expectation_config.id) for r in result.results if not r.success}
    named = bool(failed) and (detail is None or detail(result))
    if named:
        index_cols = [c for c in INDEX_COLUMNS if c in df.columns]
        result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": index_cols,
                         "return_unexpected_index_query": False, "partial_unexpected_count": 0}
        with gx_memo.memoised():
            detail = batch.validate(_subsuite(name, frozenset(failed)), result_format=result_format,
                                    expectation_parameters=params)
        by_id = {str(r.expectation_config.id): r for r in detail.results}
        result.results = [by_id.get(str(r.expectation_config.id), r) for r in result.results]
    _tick(started)
    _check_evaluated(name, result, named_rows=named, counted=True)
    return result


@functools.lru_cache(maxsize=256)
def _subsuite(name: str, ids: frozenset):
    gx, _context, _ = _gx()
    data = suite_json(name)
    return gx.ExpectationSuite(**{**data, "expectations": [
        {**e, "id": eid} for i, e in enumerate(data["expectations"])
        if (eid := _expectation_id(name, i)) in ids]})


def _tick(started: float) -> None:
    TIMING["validate_seconds"] += time.perf_counter() - started
    TIMING["validations"] += 1


@functools.cache
def _table_batch_definition(url: str, schema: str, table: str):
    """A whole-table batch. GX 1.14+ deprecates a table asset's schema_name and wants the schema
    in the connection, which for PostgreSQL means the search_path: one datasource per schema."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    _gx_mod, context, _ = _gx()
    parsed = make_url(url)
    options = " ".join(filter(None, [parsed.query.get("options"), f"-csearch_path={schema}"]))
    name = f"warehouse_{abs(hash((url, schema))) % 10**8}_{schema}"
    try:
        source = context.data_sources.get(name)
    except (KeyError, ValueError):
        source = context.data_sources.add_postgres(name, connection_string=parsed.update_query_dict(
            {"options": options}).render_as_string(hide_password=False))
    asset = source.add_table_asset(table, table_name=table)
    return asset.add_batch_definition_whole_table("whole_table")


def validate_table(name: str, url: str, schema: str, table: str, parameters: dict | None = None):
    """Validate a warehouse table in place (SQL runs in PostgreSQL; nothing is pulled into pandas)."""
    started = time.perf_counter()
    batch = _table_batch_definition(url, schema, table).get_batch()
    with gx_memo.memoised():
        result = batch.validate(suite(name), result_format={"result_format": "SUMMARY", "partial_unexpected_count": 0},
                                expectation_parameters=parameters or {})
    _tick(started)
    _check_evaluated(name, result)
    return result


# ---------------------------------------------------------------- reading results
@dataclass
class Verdict:
    """One expectation's outcome on one batch."""
    position: int                 # 0-based place in the suite
    type: str
    column: str | None
    meta: dict
    success: bool
    element_count: int | None
    unexpected_count: int | None
    observed_value: object
    failing: list[dict]  # the index columns (file_id, source_row, skill_code) of each failing row

    @property
    def label(self) -> str:
        what = self.meta.get("check") or self.meta.get("reason_code") or self.type
        return f"{what} [{self.type}{'(' + self.column + ')' if self.column else ''}]"


def verdicts(result) -> list[Verdict]:
    """One Verdict per expectation, in suite order."""
    out = []
    for r in result.results:
        cfg = r.expectation_config
        i = _POSITION[str(cfg.id)]
        kw = cfg.kwargs
        res = r.result or {}
        failing = [{c: (d[c] if c == "skill_code" else int(d[c])) for c in INDEX_COLUMNS if c in d}
                   for d in res.get("unexpected_index_list") or [] if isinstance(d, dict) and "file_id" in d]
        observed = res.get("observed_value")
        out.append(Verdict(i, cfg.type, kw.get("column") or kw.get("column_A") or
                           (",".join(kw["column_list"]) if "column_list" in kw else None),
                           dict(cfg.meta or {}), bool(r.success), res.get("element_count"),
                           res.get("unexpected_count"), observed if isinstance(observed, (int, float, str, bool))
                           else None, failing))
    return sorted(out, key=lambda v: v.position)


def sanitised(result) -> dict:
    """The suite result as JSON, without any cell value (no citizen ID can leak into the
    audit tables or Data Docs); counts, percentages and aggregate observed values stay."""
    kept = []   # value lists are set aside before serialising (they can be millions of rows), then put back
    for r in result.results:
        res = r.result if isinstance(r.result, dict) else {}
        kept.append({key: res.pop(key) for key in _VALUE_KEYS if key in res})
    try:
        data = result.to_json_dict()
    finally:
        for r, values in zip(result.results, kept):
            if values:
                r.result.update(values)
    return data


def record_run(cur, *, run_name: str, suite_name: str, target: str, result) -> int:
    """Keep the (value-free) suite result for analysts and Data Docs; returns validation_id."""
    stats = result.statistics or {}
    cur.execute("""INSERT INTO audit.validation_run (run_name, suite, target, success, evaluated, successful, result)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING validation_id""",
                (run_name, suite_name, target[:500], bool(result.success), stats.get("evaluated_expectations"),
                 stats.get("successful_expectations"), json.dumps(sanitised(result), default=str)))
    return cur.fetchone()[0]


def record_results(cur, validation_id: int, suite_name: str, rows: list[tuple]) -> None:
    """rows: (file_id, mart, Verdict, element_count, unexpected_count, success)."""
    cur.executemany(
        """INSERT INTO audit.validation_result (validation_id, file_id, mart, suite, expectation_no, expectation,
             column_name, reason_code, success, element_count, unexpected_count, observed_value)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [(validation_id, file_id, mart, suite_name, v.position + 1, v.type, v.column,
          v.meta.get("reason_code") or v.meta.get("check"), success, elements, unexpected,
          None if v.observed_value is None else json.dumps(v.observed_value))
         for file_id, mart, v, elements, unexpected, success in rows])
