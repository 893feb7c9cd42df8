"""The benchmark's two anchors, measured on the same rows as the pipeline:

(a) the physical limit: every file's data rows exported to CSV first (untimed), then one
    `psql` session `\\copy`-ing all of them into plain text tables (timed);
(b) the naive script a user would write: pandas `read_excel` / `read_csv` with the default
    engines, then `DataFrame.to_sql` (default settings) into a scratch database, one table
    per file.

Both run against a fresh scratch database on the same server as the pipeline's.
"""
from __future__ import annotations

import csv
import json
import subprocess
import time
import warnings
from pathlib import Path

from dgsa.foundation import db

SUBMISSION_COLUMNS = 25
ROSTER_COLUMNS = 10


def drive_files(drive: Path, expected: dict) -> list[tuple[Path, str]]:
    """(path, kind) of every file the generator wrote: the roster and the submissions."""
    roster = sorted(p for p in (drive / "roster").rglob("*") if p.suffix in (".xlsx", ".csv"))
    return [(p, "roster") for p in roster] + [(drive / rel, "submission") for rel in expected["files"]]


def _data_rows(path: Path):
    """The file's rows after its title line and header (the generator writes both)."""
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if i >= 2:
                    yield row
        return
    from python_calamine import CalamineWorkbook  # noqa: PLC0415

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    for i, row in enumerate(sheet.iter_rows()):
        if i >= 2:
            yield ["" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)) for v in row]


def export_csv(drive: Path, expected: dict, dest: Path) -> dict:
    """Every file's data rows as plain CSV (untimed preparation of anchor a)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = {"roster": [], "submission": []}
    rows = 0
    for i, (path, kind) in enumerate(drive_files(drive, expected)):
        width = ROSTER_COLUMNS if kind == "roster" else SUBMISSION_COLUMNS
        target = dest / f"{kind}-{i:05d}.csv"
        with open(target, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            for row in _data_rows(path):
                w.writerow((list(row) + [""] * width)[:width])
                rows += 1
        out[kind].append(target)
    return {"files": out, "rows": rows}


def copy_limit(url: str, exported: dict) -> dict:
    """Time one psql session \\copy-ing every exported CSV into plain text tables."""
    script = exported["files"]["roster"][0].parent / "copy.sql"
    cols = {k: ", ".join(f"c{i} text" for i in range(1, n + 1))
            for k, n in (("roster", ROSTER_COLUMNS), ("submission", SUBMISSION_COLUMNS))}
    with db.transaction(url) as conn, conn.cursor() as cur:
        for kind, spec in cols.items():
            cur.execute(f"DROP TABLE IF EXISTS limit_{kind}; CREATE TABLE limit_{kind} ({spec})")
    lines = [f"\\copy limit_{kind} FROM '{p}' WITH (FORMAT csv)" for kind, paths in exported["files"].items()
             for p in paths]
    script.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    res = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.dsn(url), "-f", str(script)],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if res.returncode:
        raise RuntimeError(f"psql \\copy failed: {res.stderr[-2000:]}")
    with db.transaction(url) as conn, conn.cursor() as cur:
        loaded = db.scalar(cur, "SELECT (SELECT count(*) FROM limit_roster) + (SELECT count(*) FROM limit_submission)")
    return {"seconds": round(seconds, 3), "rows": loaded, "rows_per_s": round(loaded / seconds) if seconds else None,
            "files": len(lines)}


def naive_script(drive: Path, expected: dict, url: str) -> dict:
    """What a user would write: pandas default engines, to_sql with default settings."""
    import pandas as pd  # noqa: PLC0415
    from sqlalchemy import create_engine  # noqa: PLC0415

    engine = create_engine(url)
    rows = 0
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pandas' notice that its default xlsx engine will change
        for i, (path, _kind) in enumerate(drive_files(drive, expected)):
            frame = pd.read_csv(path, header=1) if path.suffix == ".csv" else pd.read_excel(path, header=1)
            frame.to_sql(f"naive_{i:05d}", engine, if_exists="replace", index=False)
            rows += len(frame)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / seconds) if seconds else None,
            "measured": True, "engines": f"pandas {pd.__version__} defaults (xlsx: openpyxl, csv: c), to_sql"}


def load_expected(drive: Path) -> dict:
    return json.loads(Path(str(drive) + ".expected.json").read_text())
