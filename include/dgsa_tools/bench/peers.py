"""The bench's peers, measured on the same drive as the pipeline, in the same run:

- fastest: the fastest loader without checks: each file read (python-calamine for Excel, the
  csv module for CSV), its data rows COPY'd as text into one table per kind, one process, one
  connection: what reading plus landing costs with no typing, judging or accounting;
- dlt: what a data engineer would reach for (dlt's postgres destination, defaults; each file
  read with pandas + calamine), in its own virtualenv (.dgsa/venv-bench, from
  requirements-bench.txt; never in the product's requirements). dlt refuses a PostgreSQL URL
  without a password even under trust authentication: a role with a throw-away password
  (random per run) owns the scratch database.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import subprocess
import time
from pathlib import Path

from dgsa.foundation import db
from dgsa_tools.bench.anchors import ROSTER_COLUMNS, SUBMISSION_COLUMNS, drive_files

ROOT = Path(__file__).resolve().parents[3]
BENCH_PYTHON = Path(os.environ.get("DGSA_BENCH_PYTHON", ROOT / ".dgsa" / "venv-bench" / "bin" / "python"))
DLT_ROLE = "dgsa_bench_dlt"


def _rows(path: Path):
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            yield from csv.reader(fh)
        return
    from python_calamine import CalamineWorkbook  # noqa: PLC0415

    yield from CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()


def fastest(drive: Path, expected: dict, url: str) -> dict:
    """Read every file and COPY its data rows (after the title line and header) as text."""
    widths = {"roster": ROSTER_COLUMNS, "submission": SUBMISSION_COLUMNS}
    with db.transaction(url) as conn, conn.cursor() as cur:
        for kind, n in widths.items():
            cur.execute(f"DROP TABLE IF EXISTS fast_{kind}; CREATE TABLE fast_{kind} "
                        f"({', '.join(f'c{i} text' for i in range(1, n + 1))})")
    rows = 0
    started = time.perf_counter()
    with db.transaction(url) as conn, conn.cursor() as cur:
        for path, kind in drive_files(drive, expected):
            width = widths[kind]
            buf = io.StringIO()
            w = csv.writer(buf)
            for i, row in enumerate(_rows(path)):
                if i >= 2:
                    w.writerow((["" if v is None else v for v in row] + [""] * width)[:width])
                    rows += 1
            buf.seek(0)
            cur.copy_expert(f"COPY fast_{kind} FROM STDIN WITH (FORMAT csv)", buf)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / seconds) if seconds else None,
            "how": "python-calamine / csv read -> COPY (text), one process, no checks"}


DLT_SCRIPT = r"""
import json, sys, time
from pathlib import Path
import dlt, pandas as pd
files, url = json.loads(Path(sys.argv[1]).read_text()), sys.argv[2]

def frames(kind):
    for path in files[kind]:
        if path.endswith(".csv"):
            df = pd.read_csv(path, header=1, dtype=str, keep_default_na=False)
        else:
            df = pd.read_excel(path, header=1, engine="calamine", dtype=str)
        df.columns = [f"c{i}" for i in range(1, len(df.columns) + 1)]   # dlt folds Thai names into one
        yield df

started = time.perf_counter()
pipe = dlt.pipeline(pipeline_name="dgsa_bench_dlt", destination=dlt.destinations.postgres(url),
                    dataset_name="dlt_bench", pipelines_dir=sys.argv[3])
info = pipe.run([dlt.resource(frames(k), name=k) for k in files])
seconds = time.perf_counter() - started
rows = sum(pipe.last_trace.last_normalize_info.row_counts.get(k, 0) for k in files)
print(json.dumps({"seconds": round(seconds, 2), "rows": rows, "dlt": dlt.__version__}))
"""


def dlt_load(drive: Path, expected: dict, url: str, work: Path) -> dict | None:
    """dlt in its own virtualenv; None (with the reason printed) when that virtualenv is missing."""
    if not BENCH_PYTHON.exists():
        print(f"   dlt: skipped ({BENCH_PYTHON} missing: make bench installs requirements-bench.txt)", flush=True)
        return None
    files: dict[str, list[str]] = {"roster": [], "submission": []}
    for path, kind in drive_files(drive, expected):
        files[kind].append(str(path))
    listing = work / "dlt-files.json"
    listing.write_text(json.dumps(files))
    password = secrets.token_hex(12)
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    parsed = make_url(url)
    with db.server(url) as admin, admin.cursor() as cur:
        cur.execute(f"""DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{DLT_ROLE}')
                        THEN CREATE ROLE {DLT_ROLE} LOGIN; END IF; END $$""")
        cur.execute(f"ALTER ROLE {DLT_ROLE} PASSWORD %s", (password,))
        cur.execute(f'GRANT ALL ON DATABASE "{parsed.database}" TO {DLT_ROLE}')
    dlt_url = parsed.set(username=DLT_ROLE, password=password, drivername="postgresql").render_as_string(
        hide_password=False)
    res = subprocess.run([str(BENCH_PYTHON), "-c", DLT_SCRIPT, str(listing), dlt_url, str(work / "dlt-pipelines")],
                         capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                                if not k.startswith(("PYTHON", "AIRFLOW"))})
    if res.returncode:
        raise RuntimeError(f"dlt failed: {res.stderr[-2000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["rows_per_s"] = round(out["rows"] / out["seconds"]) if out["seconds"] else None
    out["how"] = f"dlt {out.pop('dlt')} postgres destination, defaults; pandas + calamine read"
    return out

