"""The contract's verdicts on a file read in chunks (dgsa.ingest.stream_load): the row suites
chunk by chunk without the rules of file scope, the chunk as judge's verdicts read it, and the
whole file as the file gate reads it."""
from __future__ import annotations

import json

from dgsa.contract import suites as contract
from dgsa.ingest import judge
from dgsa.ingest.file_state import FileRecord, Prepared
from dgsa.ingest.rows import Typed


def file_scope(suite: str) -> list[int]:
    """Positions of the suite's rules that compare rows with each other (meta.scope == "file")."""
    return [i for i, e in enumerate(contract.suite_json(suite)["expectations"])
            if (e.get("meta") or {}).get("scope") == "file"]


def judge_chunk(cur, p: Prepared, params: dict, targets: dict, run_name: str, acc: dict,
                too_bad_at: float | None = None) -> None:
    """The row suites on one chunk, without the rules of file scope (judged after the last
    chunk); acc sums each rule's counts over the chunks: one audit.validation_result row per
    rule and file, as for a file judged whole. When one rule's failures so far (this chunk's
    and the earlier ones') pass too_bad_at (the gate's share of an upper bound of the file's
    rows), the file will be rejected whole (TOO_MANY_BAD_ROWS) whatever follows: this chunk's
    rows are counted, not itemised (p.too_bad), as judge does for a big file read whole."""
    import pandas as pd  # noqa: PLC0415

    kind = p.rec.kind
    typed = pd.DataFrame(p.typed.columns)
    skill_columns = [c for c in typed.columns if c.startswith(judge.SKILL_KEYS)]
    frames = {f"{kind}_rows": typed.drop(columns=skill_columns)}
    if kind == "submission":
        frames["submission_skills"] = judge._skill_frame(typed, targets)
    del typed
    rows = p.typed.columns["source_row"]
    for suite, frame in frames.items():
        scoped = file_scope(suite)
        only = None if not scoped else frozenset(set(range(len(contract.suite_json(suite)["expectations"])))
                                                 - set(scoped))
        earlier = {no: row[9] for (s, no), row in acc.items() if s == suite}

        def decide(result):
            worst = max((earlier.get(v.position + 1, 0) + (v.unexpected_count or 0)
                         for v in contract.verdicts(result)), default=0)
            if too_bad_at is not None and worst > too_bad_at:
                p.too_bad = worst
                return False
            return True
        result = contract.validate_frame(suite, frame, params, detail=decide, only=only)
        vid = contract.record_run(cur, run_name=run_name, suite_name=suite, result=result,
                                  target=f"{kind} file {p.rec.file_id} rows {rows[0]}..{rows[-1]}")
        if p.too_bad is not None:
            judge._apply_counts(p, contract.verdicts(result), vid, suite)
            break
        judge._apply_row_verdicts([p], contract.verdicts(result), vid, suite)
    p.typed.rejections.sort(key=lambda r: r.source_row)
    for (vid, fid, suite, no, typ, column, reason, success, elements, unexpected) in p.validation:
        row = acc.setdefault((suite, no), [vid, fid, suite, no, typ, column, reason, True, 0, 0])
        row[7], row[8], row[9] = row[7] and success, row[8] + elements, row[9] + unexpected


class Chunk(Prepared):
    """A chunk of a file as judge's verdicts read it: its raw rows start at raw_rows[0], not row 1."""

    def cell(self, source_row: int, fld: str) -> str | None:
        j = self.typer.cols.get(fld)
        if j is None:
            return None
        cells = json.loads(self.typed.raw_json[source_row - self.typed.raw_rows[0]])
        return self.typer.mask(fld, cells[j] if j < len(cells) else None)


class Gate:
    """The whole file as the file gate sees it (what judge's gate reads of a Prepared)."""

    def __init__(self, rec: FileRecord, totals: Typed, missing: list[str], bad: set[int], data_rows: int,
                 too_bad: int | None = None):
        self.rec, self.typed, self.missing, self.too_bad = rec, totals, missing, too_bad
        self.typed.rejections = [_Row(r) for r in bad]
        self.data_rows, self.outcome, self.validation = data_rows, None, []


class _Row:
    __slots__ = ("source_row",)

    def __init__(self, source_row: int):
        self.source_row = source_row
