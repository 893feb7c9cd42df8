"""The contract's verdict on a batch of prepared files: the row suites, then the file gate
(the GX suites in expectations/, run by dgsa.contract.suites), every result recorded.

A batch holds every waiting file of the provinces being loaded (GX's cost is mostly per
validation, not per row). Each typed row carries (file_id, source_row), so each failing row
lands on the exact cell the province sees; on one cell only the first broken rule (in suite
order) is reported.

A suite that cannot be evaluated (contract.ContractError: an expectation holds an exception,
or fails without naming rows) is a bug in a suite or in typing, never a verdict on a file: it
fails the step, and no file of the batch is rejected or loaded. If anything else goes wrong
while judging a batch, each file is judged alone: a file that still breaks is rejected
(PROCESSING_ERROR) and the rest go on; what breaks on every file fails the step.
"""
from __future__ import annotations

import functools
import itertools
import logging
from collections import Counter

from dgsa.foundation import config, db
from dgsa.contract import suites as contract
from dgsa.ingest.file_state import Outcome, Prepared
from dgsa.ingest.rows import Rejection

log = logging.getLogger(__name__)
SKILL_KEYS = ("skill_", "has_column_")       # per-skill record keys: judged in the long skills frame
VALIDATION_RESULT_COLUMNS = ("validation_id", "file_id", "suite", "expectation_no", "expectation", "column_name",
                             "reason_code", "success", "element_count", "unexpected_count")


def parameters(cur) -> dict:
    """Suite parameters from the ref tables (value sets) and settings."""
    cur.execute("SELECT array_agg(group_code ORDER BY group_code) FROM ref.target_group")
    groups = cur.fetchone()[0] or []
    cur.execute("SELECT array_agg(province_code ORDER BY province_code) FROM ref.province")
    provinces = cur.fetchone()[0] or []
    cur.execute("SELECT framework_version, array_agg(ordinal::int ORDER BY ordinal) FROM ref.level GROUP BY 1")
    levels = dict(cur.fetchall())
    cur.execute("SELECT framework_version, group_code, array_agg(skill_code) FROM ref.target GROUP BY 1, 2")
    targets: dict[str, dict[str, set]] = {}
    for fw, group, skills in cur.fetchall():
        targets.setdefault(fw, {})[group] = set(skills)
    return {"target_groups": groups, "provinces": provinces, "levels": levels, "targets": targets,
            "max_bad_row_share": config.max_bad_row_share()}


def judge(batch: list[Prepared], url: str | None, run_name: str) -> None:
    """Run the row suites, then the file gate, over a batch; record every result."""
    with db.transaction(url) as conn, conn.cursor() as cur:
        params = parameters(cur)
        groups: dict[tuple, list[Prepared]] = {}
        for p in batch:     # a big file is judged alone, so that GX's counts are its own
            if p.outcome is None and not p.missing and p.data_rows:
                alone = p.rec.file_id if p.data_rows >= detail_min_rows() else None
                groups.setdefault((p.rec.kind, p.typer.framework_version, alone), []).append(p)
        for (kind, framework, _alone), members in groups.items():
            fw_params = {**{k: v for k, v in params.items() if k != "targets"},
                         "levels": params["levels"].get(framework, [])}
            _isolating(members, lambda ms: _judge_rows(cur, ms, kind, params["targets"].get(framework, {}),
                                                       fw_params, run_name))
        gated = [p for p in batch if p.outcome is None]
        if gated:
            _isolating(gated, lambda ms: _judge_gate(cur, ms, params, run_name))
    # each file's verdicts (p.validation) are written with the file, in its own transaction
    # (write.write_file): a try killed between judging and writing leaves none behind for the retry to repeat


def _isolating(members: list[Prepared], run) -> None:
    """run(members); if it raises, run each file alone and reject the ones that still raise."""
    try:
        run(members)
        return
    except contract.ContractError:
        raise                    # fail closed: never reject a file or pass its rows for it
    except Exception:
        if len(members) == 1:
            raise
        log.warning("a validation failed on a batch of %s files: judging each file alone", len(members))
    failed = []
    for p in members:
        p.validation.clear()
        p.typed.rejections.clear()
        try:
            run([p])
        except contract.ContractError:
            raise
        except Exception as exc:  # noqa: BLE001
            failed.append((p, exc))
    if len(failed) == len(members):
        raise failed[0][1]
    for p, exc in failed:
        log.warning("file %s: the contract could not judge it: %s", p.rec.file_id, type(exc).__name__)
        p.reject("PROCESSING_ERROR", type(exc).__name__)


def _judge_rows(cur, members: list[Prepared], kind: str, targets: dict, params: dict, run_name: str) -> None:
    import pandas as pd  # noqa: PLC0415  (kept out of DAG parsing)

    names = list(members[0].typed.columns)
    typed = pd.DataFrame({c: list(itertools.chain.from_iterable(p.typed.columns[c] for p in members))
                          for c in names})
    skill_columns = [c for c in typed.columns if c.startswith(SKILL_KEYS)]
    frames = {f"{kind}_rows": typed.drop(columns=skill_columns)}
    if kind == "submission":
        frames["submission_skills"] = _skill_frame(typed, targets)
    del typed
    for suite, frame in frames.items():
        result = contract.validate_frame(suite, frame, params, detail=_worth_detail(members, params))
        vid = contract.record_run(cur, run_name=run_name, suite_name=suite, result=result,
                                  target=f"{kind} files {_ids(members)}")
        verdicts = contract.verdicts(result)
        if members[0].too_bad is not None:          # beyond the gate: counts only, and no further suite
            _apply_counts(members[0], verdicts, vid, suite)
            break
        _apply_row_verdicts(members, verdicts, vid, suite)
    for p in members:
        p.typed.rejections.sort(key=lambda r: r.source_row)


def detail_min_rows() -> int:
    """Files with at least this many data rows are judged alone, and when one rule alone
    already breaks on more than DGSA_MAX_BAD_ROW_SHARE of their rows (so the file gate will
    reject them whole: TOO_MANY_BAD_ROWS), their rows are not itemised in audit.rejected_row:
    audit.validation_result keeps the count per rule. Bounds memory and time by this
    setting, not by how many bad rows a file holds."""
    return int(config.float_setting("DGSA_DETAIL_MIN_ROWS", 20_000))


def _worth_detail(members: list[Prepared], params: dict):
    if len(members) != 1 or members[0].data_rows < detail_min_rows():
        return None
    p = members[0]

    def decide(result) -> bool:
        worst = max(((r.result or {}).get("unexpected_count") or 0 for r in result.results), default=0)
        if worst > params["max_bad_row_share"] * p.data_rows:
            p.too_bad = worst
            return False
        return True
    return decide


def _apply_counts(p: Prepared, verdicts: list, validation_id: int, suite: str) -> None:
    for v in verdicts:
        p.validation.append((validation_id, p.rec.file_id, suite, v.position + 1, v.type, v.column,
                             v.meta.get("reason_code"), v.success, p.data_rows, v.unexpected_count or 0))


def _judge_gate(cur, gated: list[Prepared], params: dict, run_name: str) -> None:
    import pandas as pd  # noqa: PLC0415

    frame = pd.DataFrame.from_records([_gate_row(p) for p in gated])
    result = contract.validate_frame("file_gate", frame, params)
    vid = contract.record_run(cur, run_name=run_name, suite_name="file_gate", result=result,
                              target=f"files {_ids(gated)}")
    _apply_gate_verdicts(gated, contract.verdicts(result), vid)


def _ids(members: list[Prepared]) -> str:
    ids = [p.rec.file_id for p in members]
    return ",".join(map(str, ids)) if len(ids) <= 20 else f"{min(ids)}..{max(ids)} ({len(ids)} files)"


def _apply_row_verdicts(members: list[Prepared], verdicts: list, validation_id: int, suite: str) -> None:
    by_file = {p.rec.file_id: p for p in members}
    reported: dict[int, set] = {fid: set() for fid in by_file}
    for v in verdicts:
        per_file = Counter(key["file_id"] for key in v.failing)
        for fid, p in by_file.items():
            p.validation.append((validation_id, fid, suite, v.position + 1, v.type, v.column,
                                 v.meta.get("reason_code"), per_file[fid] == 0, p.data_rows, per_file[fid]))
        for key in v.failing:
            fid, source_row = key["file_id"], key["source_row"]
            p = by_file[fid]
            fld = next((f.format(**key) for f in v.meta.get("fields", []) if f.format(**key) in p.typer.cols), None)
            column = v.meta.get("column_label", "").format(**key) or (p.typer.names[fld] if fld else None)
            cell = (source_row, fld or column)
            if cell in reported[fid]:
                continue   # one cell, one reason: the first broken rule in suite order
            reported[fid].add(cell)
            detail = v.meta.get("detail", "").format(**key)
            p.typed.rejections.append(Rejection(
                source_row, v.meta["reason_code"], column, p.cell(source_row, fld) if fld else None,
                _message(v.meta["message_th"], column or "", detail),
                _message(v.meta["message_en"], column or "", detail)))


@functools.lru_cache(maxsize=4096)
def _message(template: str, column: str, detail: str) -> str:
    """A rejection's message (one string shared by every row with the same reason and column)."""
    return template.format(column=column, detail=detail)


def _skill_frame(typed, targets: dict[str, set]):
    """One row per person and framework skill (file_id, source_row, skill_code, level,
    has_column, required): whether the declared group must reach that skill comes from
    ref.target. Skill by skill, as whole columns: no per-row Python."""
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    codes = [c.removeprefix("skill_") for c in typed.columns if c.startswith("skill_")]
    groups = typed["declared_group"].to_numpy(dtype=object)
    parts = []
    for code in codes:
        needing = [g for g, skills in targets.items() if code in skills]
        parts.append(pd.DataFrame({
            "file_id": typed["file_id"].to_numpy(), "source_row": typed["source_row"].to_numpy(),
            "skill_code": code, "level": typed["skill_" + code].to_numpy(dtype=object),
            "has_column": typed["has_column_" + code].to_numpy(dtype=bool),
            "required": np.isin(groups, np.array(needing, dtype=object))}))
    return pd.concat(parts, ignore_index=True)


def _gate_row(p: Prepared) -> dict:
    bad = len(p.typed.rejected_rows) if p.too_bad is None else p.too_bad     # (at least) this many bad rows
    judged = p.data_rows > 0 and not p.missing
    return {"file_id": p.rec.file_id, "data_rows": p.data_rows,
            "missing_columns": ", ".join(p.missing) or None,
            "rejected_share": bad / p.data_rows if judged else None,
            "rejected_ratio": f"{'≥' if p.too_bad is not None else ''}{bad}/{p.data_rows}"}


def _apply_gate_verdicts(gated: list[Prepared], verdicts: list, validation_id: int) -> None:
    by_file = {p.rec.file_id: p for p in gated}
    for v in verdicts:
        failing = {key["file_id"] for key in v.failing}
        for fid, p in by_file.items():
            p.validation.append((validation_id, fid, "file_gate", v.position + 1, v.type, v.column,
                                 v.meta.get("reason_code"), fid not in failing, 1, int(fid in failing)))
            if fid in failing and p.outcome is None:
                detail = _gate_row(p).get(v.meta.get("detail_column"), "") or ""
                p.outcome = Outcome("rejected", v.meta["reason_code"], detail)
    for p in gated:
        counts = dict(rows_read=p.typed.rows_read, rows_skipped=p.typed.rows_skipped)
        bad = len(p.typed.rejected_rows)
        if p.outcome is not None:   # rejected whole: every data row counts as rejected
            p.outcome = Outcome("rejected", p.outcome.reason_code, p.outcome.detail, rows_rejected=p.data_rows,
                                **counts)
        else:
            p.outcome = Outcome("loaded" if bad == 0 else "partially_loaded", None if bad == 0 else "ROWS_REJECTED",
                                rows_loaded=p.data_rows - bad, rows_rejected=bad, **counts)
