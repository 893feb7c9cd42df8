"""Benchmark (`make bench`): prints figures, asserts nothing.

    python -m dgsa_tools.bench [--sizes 10000,100000,1000000] [--full] [--naive-max 100000]
    BENCH_SIZES=10000,100000 make bench        BENCH_FULL=1 make bench   (adds 2,200,000 people)

For each size: a drive from `dgsa_tools.sample.generator` (streamed, `--bad-share 0.03`: a few percent of bad
rows drawn from the messy cases), then the REAL pipeline through Airflow (`airflow dags test
dgsa_ingest`, then `dgsa_marts`) in a throw-away AIRFLOW_HOME into a fresh scratch database.
Per size: wall time and rows/s end to end, seconds per phase (scan, read, type, validate,
write from the load tasks' return values; marts from the build task), peak RSS of the
largest process (GNU time), warehouse size, the nightly re-run over the unchanged drive, and
the anchors and peers on the same rows (psql \\copy; the fastest loader, read -> COPY with no
checks; dlt, from .dgsa/venv-bench; the naive pandas script, measured up to --naive-max people
and extrapolated linearly above), with the ratios. Then each DAG file's parse time.
Figures go to .dgsa/bench/bench-<date>.json and docs/benchmarks.md (bench_report).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from dgsa_tools.bench import through_airflow as af
from dgsa_tools.bench import anchors, peers
from dgsa_tools.bench import report as bench_report
from dgsa.foundation import config, db

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
FULL_SIZE = 2_200_000
BAD_SHARE = 0.03


def generate(drive: Path, people: int, seed: int, bad_share: float) -> dict:
    """The sample generator in its own process, so its time and peak memory are its own."""
    cmd = [str(af.ROOT / "bin/dgsa-env"), "python", "-m", "dgsa_tools.sample", "--out", str(drive), "--people", str(people),
           "--seed", str(seed), "--bad-share", str(bad_share), "--expected", "summary"]
    if Path("/usr/bin/time").exists():
        cmd = ["/usr/bin/time", "-v"] + cmd
    started = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"sample generator failed: {res.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    return {"seconds": round(time.perf_counter() - started, 2),
            "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
            "bytes": sum(p.stat().st_size for p in drive.rglob("*") if p.is_file())}


def _warehouse(url: str) -> dict:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT pg_database_size(current_database()), count(*), coalesce(sum(rows_read), 0),
                              coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0)
                       FROM audit.source_file""")
        size, files, read, loaded, rejected = cur.fetchone()
        cur.execute("SELECT status, count(*) FROM audit.source_file GROUP BY 1 ORDER BY 1")
        by_status = dict(cur.fetchall())
    return {"database_bytes": size, "files": files, "rows_read": read, "rows_loaded": loaded,
            "rows_rejected": rejected, "files_by_status": by_status}


def run_size(people: int, *, work: Path, base_url: str, home: Path, naive_max: int, seed: int,
             bad_share: float, naive_rate: dict | None, log_root: Path, nightly_marts: bool = True) -> dict:
    drive = work / f"drive-{people}"
    logs = log_root / f"{people}"
    print(f"== {people:,} people: generating the drive", flush=True)
    gen = generate(drive, people, seed, bad_share)
    expected = anchors.load_expected(drive)
    rows = expected["data_rows"] + expected["roster_rows"]
    print(f"   {len(expected['files']) + 1} files, {rows:,} data rows, {gen['bytes'] / 2**20:.0f} MiB, "
          f"generated in {gen['seconds']} s (peak {gen['peak_rss_mib']} MiB)", flush=True)
    result: dict = {"people": people, "files": len(expected["files"]) + 1, "rows": rows,
                    "bad_rows": sum(expected["bad_rows"].values()), "generate": gen}
    try:
        with db.scratch_database(base_url, "dgsa_bench") as url:
            runs = {}
            dags = [("ingest", "dgsa_ingest"), ("marts", "dgsa_marts"), ("nightly_ingest", "dgsa_ingest")]
            for name, dag in dags + ([("nightly_marts", "dgsa_marts")] if nightly_marts else []):
                print(f"   airflow dags test {dag} ({name})", flush=True)
                runs[name] = af.run_dag(dag, home, drive, url, logs / f"{name}.log")
                print(f"     {'ok' if runs[name]['ok'] else 'FAILED'} in {runs[name]['wall_seconds']} s, "
                      f"peak {runs[name]['peak_rss_mib']} MiB", flush=True)
                if name == "marts":
                    result["warehouse"] = _warehouse(url)
        result["runs"] = runs
        result["ok"] = all(r["ok"] for r in runs.values())
        result["phases"] = af.phases(runs["ingest"], runs["marts"])
        wall = runs["ingest"]["wall_seconds"] + runs["marts"]["wall_seconds"]
        result["end_to_end"] = {"seconds": round(wall, 2), "rows_per_s": round(rows / wall),
                                "ingest_seconds": runs["ingest"]["wall_seconds"],
                                "marts_seconds": runs["marts"]["wall_seconds"],
                                "peak_rss_mib": max(r["peak_rss_mib"] or 0 for r in runs.values())}
        result["nightly"] = {"ingest_seconds": runs["nightly_ingest"]["wall_seconds"],
                             "ingest_task_seconds": runs["nightly_ingest"]["task_seconds"],
                             "marts_seconds": runs["nightly_marts"]["wall_seconds"] if nightly_marts else None,
                             "scan_seconds": af.phases(runs["nightly_ingest"], None)["scan"]}
        print("   anchors: exporting rows to CSV (untimed), psql \\copy", flush=True)
        exported = anchors.export_csv(drive, expected, work / f"export-{people}")
        with db.scratch_database(base_url, "dgsa_bench_limit") as url:
            result["limit"] = anchors.copy_limit(url, exported)
        shutil.rmtree(work / f"export-{people}", ignore_errors=True)
        print("   peers: the fastest loader (read -> COPY, no checks), dlt", flush=True)
        with db.scratch_database(base_url, "dgsa_bench_fast") as url:
            result["fastest"] = peers.fastest(drive, expected, url)
        with db.scratch_database(base_url, "dgsa_bench_dlt") as url:
            if (dlt := peers.dlt_load(drive, expected, url, work)) is not None:
                result["dlt"] = dlt
        if people <= naive_max:
            print("   anchors: the naive pandas script", flush=True)
            with db.scratch_database(base_url, "dgsa_bench_naive") as url:
                result["naive"] = anchors.naive_script(drive, expected, url)
        elif naive_rate:
            secs = rows / naive_rate["rows_per_s"]
            result["naive"] = {"seconds": round(secs, 1), "rows": rows, "rows_per_s": naive_rate["rows_per_s"],
                               "measured": False,
                               "extrapolated_from": f"{naive_rate['people']:,} people ({naive_rate['rows_per_s']:,} "
                                                    f"rows/s), linearly: x{rows / naive_rate['rows']:.2f} the rows"}
        e2e = result["end_to_end"]["rows_per_s"]
        result["ratios"] = {"vs_limit": round(e2e / result["limit"]["rows_per_s"], 4),
                            "limit_over_dgsa": round(result["limit"]["rows_per_s"] / e2e, 1)}
        if result.get("naive"):
            result["ratios"]["vs_naive"] = round(e2e / result["naive"]["rows_per_s"], 2)
        ingest = rows / runs["ingest"]["wall_seconds"]      # dgsa_ingest alone (airflow dags test), rows/s
        result["ratios"]["pipeline_vs_fastest"] = round(e2e / result["fastest"]["rows_per_s"], 3)
        result["ratios"]["ingest_vs_fastest"] = round(ingest / result["fastest"]["rows_per_s"], 3)
        if result.get("dlt"):
            result["ratios"]["ingest_vs_dlt"] = round(ingest / result["dlt"]["rows_per_s"], 2)
    finally:
        shutil.rmtree(drive, ignore_errors=True)
        Path(str(drive) + ".expected.json").unlink(missing_ok=True)
    return result


def machine() -> dict:
    mem = 0
    try:
        mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) * 1024
    except (OSError, AttributeError):
        pass
    commit = subprocess.run(["git", "-C", str(af.ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(af.ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    with db.transaction(config.warehouse_url()) as conn, conn.cursor() as cur:
        pg = db.scalar(cur, "SHOW server_version")
    return {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "cores": os.cpu_count(),
            "memory_gib": round(mem / 2**30, 1), "postgresql": pg, "commit": commit + ("+dirty" if dirty else ""),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def run(sizes, *, naive_max: int = 100_000, seed: int = 7, bad_share: float = BAD_SHARE, json_path: Path | None = None,
        docs_path: Path | None = None, airflow_home: Path | None = None, work_dir: Path | None = None,
        log_root: Path | None = None, parse_repeats: int = 3, nightly_marts: bool = True) -> dict:
    base_url = config.warehouse_url()
    report = {"machine": machine(), "settings": {"sizes": list(sizes), "seed": seed, "bad_share": bad_share,
                                                 "naive_max": naive_max,
                                                 "pipeline": {k: os.environ.get(k, v) for k, v in af.BENCH_SETTINGS.items()}},
              "sizes": []}
    with tempfile.TemporaryDirectory(prefix="dgsa-bench-", dir=work_dir) as tmp:
        work = Path(tmp)
        home = airflow_home or work / "airflow"
        if airflow_home is None:
            print("== a throw-away Airflow home (airflow db migrate)", flush=True)
            af.init_home(home)
        report["parse_seconds"] = af.parse_times(home, parse_repeats)
        naive_rate = None
        for people in sorted(sizes):
            res = run_size(people, work=work, base_url=base_url, home=home, naive_max=naive_max, seed=seed,
                           bad_share=bad_share, naive_rate=naive_rate, log_root=log_root or work / "logs",
                           nightly_marts=nightly_marts)
            if res.get("naive", {}).get("measured"):
                naive_rate = {"people": people, **res["naive"]}
            report["sizes"].append(res)
            bench_report.print_size(res)
            if json_path:      # after every size, so a long run leaves what it measured
                bench_report.write_json(report, json_path)
    bench_report.print_summary(report)
    if json_path:
        bench_report.write_json(report, json_path)
        print(f"figures: {json_path}")
    if docs_path:
        bench_report.write_markdown(report, docs_path, json_path)
        print(f"written: {docs_path}")
    return report


def sizes_from_env(arg: str | None) -> list[int]:
    raw = arg or os.environ.get("BENCH_SIZES")
    sizes = [int(s.replace("_", "")) for s in raw.split(",") if s.strip()] if raw else list(DEFAULT_SIZES)
    if os.environ.get("BENCH_FULL") == "1" and FULL_SIZE not in sizes:
        sizes.append(FULL_SIZE)
    return sizes


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="people per drive, comma separated (default BENCH_SIZES or 10k,100k,1M)")
    parser.add_argument("--full", action="store_true", help="add 2,200,000 people (as BENCH_FULL=1)")
    parser.add_argument("--naive-max", type=int, default=100_000, help="largest size the naive script runs at")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad-share", type=float, default=BAD_SHARE)
    parser.add_argument("--json", type=Path, help="default .dgsa/bench/bench-<date>.json")
    parser.add_argument("--docs", type=Path, default=af.ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--work-dir", type=Path, help="where drives are generated (default the system temp dir)")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only re-write --docs from a bench JSON")
    args = parser.parse_args(argv)
    if args.render:
        report = json.loads(args.render.read_text())
        bench_report.write_markdown(report, args.docs, args.render.resolve())
        print(f"written: {args.docs}")
        return
    if args.full:
        os.environ["BENCH_FULL"] = "1"
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    json_path = args.json or af.ROOT / ".dgsa" / "bench" / f"bench-{stamp}.json"
    report = run(sizes_from_env(args.sizes), naive_max=args.naive_max, seed=args.seed, bad_share=args.bad_share,
                 json_path=json_path, docs_path=None if args.no_docs else args.docs, work_dir=args.work_dir,
                 log_root=json_path.parent / f"logs-{stamp}")
    if not all(s.get("ok") for s in report["sizes"]):
        raise SystemExit("a DAG run failed: see the logs named in the JSON")


if __name__ == "__main__":
    main()
