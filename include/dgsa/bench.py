"""Benchmark: prints figures (no pass/fail). `make bench` or

    python -m dgsa.bench [--people 20000]

Measures, in a throw-away database on the configured server: generating a drive, ingesting it
(scan + load + reconcile), a second ingest with nothing new, the mart build, the messy drive,
with the time spent inside Great Expectations validations and its share of each step, and reading a workbook whose formatting stretches the used range to row 1,048,576.
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from dgsa import config, contract, db, ingest, marts, readers, sample


def _timed(label: str, fn):
    start, gx_before = time.perf_counter(), contract.TIMING["validate_seconds"]
    result = fn()
    took, gx = time.perf_counter() - start, contract.TIMING["validate_seconds"] - gx_before
    share = f"   GX validation {gx:6.2f} s = {gx / took:4.0%}" if gx else ""
    print(f"{label:<55} {took:>8.2f} s{share}")
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--messy-people", type=int, default=2000)
    args = parser.parse_args(argv)
    with db.scratch_database(config.warehouse_url(), "dgsa_bench") as url, \
            tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _timed("migrate + reference data", lambda: ingest.prepare(url))
        _timed(f"generate drive ({args.people:,} people)", lambda: sample.generate(tmp / "d", args.people, 1))
        totals = _timed("ingest (scan, load, reconcile)", lambda: ingest.run_all(tmp / "d", url))["totals"]
        print(f"{'':<55} rows read {totals['rows_read']:,}")
        _timed("ingest again, nothing new", lambda: ingest.run_all(tmp / "d", url))
        _timed("mart build (write, gate, publish)", lambda: marts.build(url))
        sample.generate(tmp / "m", args.messy_people, 2, messy=True)
        with db.scratch_database(url, "dgsa_bench_messy") as messy_url:
            ingest.prepare(messy_url)
            _timed(f"messy drive ({args.messy_people:,} people + every bad case)",
                   lambda: ingest.run_all(tmp / "m", messy_url))
        wide = tmp / "wide.xlsx"
        _make_wide(wide)
        _timed("read workbook formatted to row 1,048,576", lambda: readers.read(wide))
        print(f"{'GX import (once per process)':<55} {contract.TIMING['import_seconds']:>8.2f} s")
        print(f"{'GX validations run':<55} {contract.TIMING['validations']:>8}")
        print(f"{'peak memory (max RSS)':<55} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:>8.0f} MiB")


def _make_wide(path: Path) -> None:
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import PatternFill  # noqa: PLC0415

    wb = Workbook()
    ws = wb.active
    ws.append(["เลขประจำตัวประชาชน", "ชื่อ", "นามสกุล"])
    fill = PatternFill("solid", fgColor="FFFF00")
    for col in range(1, 20):
        ws.cell(1_048_576, col).fill = fill
    wb.save(path)


if __name__ == "__main__":
    main()
