"""Memory check: one roster of N rows (default 2,200,000, every civil servant; CSV, since an Excel
sheet stops at 1,048,576 rows) loaded by `python -m dgsa.ingest` with the DEFAULT settings into a
scratch database; prints the ledger's counts, the seconds and the peak RSS (GNU time).

    python -m dgsa_tools.bench.memory [--rows 2200000] [--work-dir DIR]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from dgsa.foundation import config, db

ROOT = Path(__file__).resolve().parents[3]
HEADER = ["ลำดับ", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "สังกัด", "ตำแหน่ง", "จังหวัด", "กลุ่มเป้าหมาย"]


def citizen_id(n: int) -> str:
    body = f"1{n:011d}"
    return body + str((11 - sum(int(d) * w for d, w in zip(body, range(13, 1, -1))) % 11) % 10)


def write_roster(drive: Path, rows: int) -> Path:
    path = drive / "roster" / "2563" / "บัญชีกลุ่มเป้าหมาย.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    codes = [p["province_code"] for p in config.provinces()]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["บัญชีกลุ่มเป้าหมาย รอบปี 2563"])
        w.writerow(HEADER)
        for i in range(1, rows + 1):
            w.writerow([i, citizen_id(i), "นาย", f"สมชาย{i % 997}", f"ใจดี{i % 991}", "สำนักงานจังหวัด",
                        "นักจัดการงานทั่วไป", codes[i % len(codes)], str(1 + i % 6)])
    return path


def check(rows: int, work_dir: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGSA_MAX_", "DGSA_CHUNK", "DGSA_STREAM"))}
    with tempfile.TemporaryDirectory(prefix="dgsa-memory-", dir=work_dir) as tmp:
        drive = Path(tmp) / "drive"
        path = write_roster(drive, rows)
        file_mb = round(path.stat().st_size / 1e6, 1)
        with db.scratch_database(config.warehouse_url(), "dgsa_memory") as url:
            cmd = ["/usr/bin/time", "-v", str(ROOT / "bin/dgsa-env"), "python", "-m", "dgsa.ingest", "--drive",
                   str(drive)]
            started = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, DGSA_WAREHOUSE_URL=url))
            seconds = time.perf_counter() - started
            if res.returncode:
                raise RuntimeError(res.stderr[-3000:])
            rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
            with db.transaction(url) as conn, conn.cursor() as cur:
                cur.execute("SELECT status, rows_read, rows_loaded, rows_rejected FROM audit.source_file "
                            "WHERE kind = 'roster'")
                ledger = cur.fetchone()
    return {"rows": rows, "file_mb": file_mb,
            "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds),
            "peak_rss_mib": round(int(rss.group(1)) / 1024) if rss else None,
            "ledger": dict(zip(("status", "rows_read", "rows_loaded", "rows_rejected"), ledger)),
            "settings": "defaults (no DGSA_MAX_*, DGSA_CHUNK_*, DGSA_STREAM_* set)"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_200_000)
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args(argv)
    print(json.dumps(check(args.rows, args.work_dir), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
