"""What the loader knows about one file version as it goes through read, type, judge, write."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from dgsa.ingest.rows import RowTyper, Typed


class AccountingError(RuntimeError):
    """rows_read != rows_loaded + rows_rejected + rows_skipped: a bug, never a data problem."""


@dataclass
class FileRecord:
    file_id: int
    rel_path: str
    kind: str
    province_code: str | None
    round_code: str | None
    received_at: dt.datetime
    size_bytes: int
    sha256: str | None = None
    modified_at: dt.datetime | None = None


@dataclass
class Outcome:
    status: str
    reason_code: str | None = None
    detail: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0


@dataclass
class Prepared:
    """A file read and typed, waiting for the contract's verdict."""
    rec: FileRecord
    info: dict = field(default_factory=dict)
    outcome: Outcome | None = None          # set when the file is decided (before or by the contract)
    typed: Typed | None = None
    typer: RowTyper | None = None
    missing: list[str] = field(default_factory=list)
    validation: list[tuple] = field(default_factory=list)   # rows for audit.validation_result
    too_bad: int | None = None   # a big file's worst rule breaks on this many rows: beyond the gate, no row detail

    @property
    def data_rows(self) -> int:
        return self.typed.data_rows if self.typed else 0

    def cell(self, source_row: int, fld: str) -> str | None:
        """A source cell as the province typed it (citizen IDs masked), for a rejection."""
        j = self.typer.cols.get(fld)
        if j is None:
            return None
        cells = json.loads(self.typed.raw_json[source_row - 1])
        raw = cells[j] if j < len(cells) else None
        return self.typer.mask(fld, raw)

    def reject(self, code: str, detail: str = "") -> None:
        """Rejected whole before its rows could be judged: nothing of it is kept but the ledger row."""
        self.outcome, self.typed, self.typer = Outcome("rejected", code, detail), None, None
