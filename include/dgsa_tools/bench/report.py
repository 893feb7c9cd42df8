"""The benchmark's figures: printed per size, as JSON, and as docs/benchmarks.md (with the
issue's targets: met, or the measured gap)."""
from __future__ import annotations

import json
from pathlib import Path

GIB = 1024.0
PHASES = ("scan", "read", "type", "validate", "write", "marts")


def _f(v, fmt="{:,.1f}", none="n/a"):
    return none if v is None else fmt.format(v)


def print_size(r: dict) -> None:
    e, p = r.get("end_to_end", {}), r.get("phases", {})
    print(f"-- {r['people']:,} people, {r['rows']:,} rows ({r['bad_rows']:,} bad), {r['files']} files: "
          f"{'ok' if r.get('ok') else 'FAILED'}")
    if not e:
        return
    print(f"   end to end {e['seconds']} s = {e['rows_per_s']:,} rows/s (ingest {e['ingest_seconds']} s, "
          f"marts DAG {e['marts_seconds']} s), peak RSS {e['peak_rss_mib']} MiB, "
          f"warehouse {r['warehouse']['database_bytes'] / 2**20:,.0f} MiB")
    print("   phases (s): " + ", ".join(f"{k} {_f(p.get(k), '{:.2f}')}" for k in PHASES)
          + f"; load tasks {p.get('load_tasks')} s in {p.get('load_task_count')} tasks")
    n = r["nightly"]
    print(f"   nightly re-run, nothing new: ingest {n['ingest_seconds']} s (in tasks {n.get('ingest_task_seconds')} s, "
          f"scan {n['scan_seconds']} s), "
          f"marts DAG {_f(n['marts_seconds'], '{} s')}")
    lim, naive = r.get("limit", {}), r.get("naive")
    print(f"   limit psql \\copy {lim.get('seconds')} s = {lim.get('rows_per_s'):,} rows/s; "
          f"dgsa = 1/{r['ratios']['limit_over_dgsa']} of it ({r['ratios']['vs_limit']:.3f})")
    if naive:
        how = "measured" if naive["measured"] else "extrapolated: " + naive["extrapolated_from"]
        print(f"   naive pandas + to_sql {naive['seconds']} s = {naive['rows_per_s']:,} rows/s ({how}); "
              f"dgsa = {r['ratios']['vs_naive']}x of it")
    for key in ("fastest", "dlt"):
        if peer := r.get(key):
            print(f"   {key}: {peer['seconds']} s = {peer['rows_per_s']:,} rows/s ({peer['how']})")
    rr = r["ratios"]
    print(f"   ratios: dgsa_ingest / dlt {rr.get('ingest_vs_dlt', 'n/a')}; dgsa_ingest / fastest "
          f"{rr.get('ingest_vs_fastest')}; whole pipeline / fastest {rr.get('pipeline_vs_fastest')} (target >= 1/3)")


def print_summary(report: dict) -> None:
    print("== DAG file parse times (s): " + ", ".join(f"{k} {_f(v['seconds'], '{:.3f}')}"
                                                     for k, v in report["parse_seconds"].items()))
    for t in targets(report):
        print(f"   target {t['target']}: {t['value']} -> {t['verdict']}")


def write_json(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))


def _rel(json_path: Path | None, page: Path) -> str:
    if json_path is None:
        return "n/a"
    try:
        return str(json_path.relative_to(page.parents[1]))
    except ValueError:
        return str(json_path)


def _nightly(s: dict) -> dict:
    n = dict(s.get("nightly") or {})
    if n.get("ingest_task_seconds") is None and s.get("runs", {}).get("nightly_ingest"):   # older JSON
        n["ingest_task_seconds"] = round(sum(t["seconds"] or 0 for t in s["runs"]["nightly_ingest"]["tasks"]), 2)
    return n


def _where(s: dict) -> list[str]:
    """Where the time went at one size: every task of both DAG runs (mapped tasks summed), and
    the load tasks' phases, largest first."""
    rows = []
    for run in ("ingest", "marts", "nightly_ingest"):
        per: dict[str, float] = {}
        for t in s.get("runs", {}).get(run, {}).get("tasks", []):
            per[t["task_id"]] = per.get(t["task_id"], 0) + (t["seconds"] or 0)
        rows += [(v, f"{run}: task `{k}`") for k, v in per.items()]
    rows += [(v, f"ingest: load phase {k}") for k, v in (s.get("phases") or {}).items()
             if k in ("read", "type", "validate", "write") and v]
    return [f"| {label} | {v:.2f} |" for v, label in sorted(rows, reverse=True)[:14]]


def _at(report: dict, people: int) -> dict | None:
    """The measured size nearest at or above people, else the largest one."""
    sizes = [s for s in report["sizes"] if s.get("end_to_end")]
    if not sizes:
        return None
    above = [s for s in sizes if s["people"] >= people]
    return min(above, key=lambda s: s["people"]) if above else max(sizes, key=lambda s: s["people"])


def targets(report: dict) -> list[dict]:
    out = []

    def add(name, goal, people, value, ok):
        s = _at(report, people)
        where = "" if s is None or s["people"] == people else f" (at {s['people']:,} people, not {people:,})"
        verdict = "not measured" if value is None else ("met" if ok else "NOT met")
        out.append({"target": name, "goal": goal, "value": (value or "n/a") + where, "verdict": verdict
                    if not where or value is None else verdict + ", size not reached"})

    s = _at(report, 1_000_000)
    add("ingest + marts through Airflow at 1,000,000 people vs the limit", ">= 1/4", 1_000_000,
        s and f"1/{s['ratios']['limit_over_dgsa']}", s and s["ratios"]["vs_limit"] >= 0.25)
    add("the same against the naive script", ">= 20x", 1_000_000,
        s and s["ratios"].get("vs_naive") and f"{s['ratios']['vs_naive']}x", s and s["ratios"].get("vs_naive", 0) >= 20)
    s = _at(report, 2_200_000)
    add("nightly run with nothing new at 2,200,000 people (ingest DAG wall time)", "< 15 s", 2_200_000,
        s and f"{s['nightly']['ingest_seconds']} s ({_nightly(s).get('ingest_task_seconds')} s in tasks)",
        s and s["nightly"]["ingest_seconds"] < 15)
    add("peak memory at 2,200,000 people", "< 1.5 GiB", 2_200_000,
        s and f"{s['end_to_end']['peak_rss_mib'] / GIB:.2f} GiB", s and s["end_to_end"]["peak_rss_mib"] < 1.5 * GIB)
    add("mart rebuild at 2,200,000 people", "< 30 s", 2_200_000,
        s and s["phases"].get("marts") is not None and f"{s['phases']['marts']} s",
        s and (s["phases"].get("marts") or 1e9) < 30)
    worst = max((v["seconds"] for v in report["parse_seconds"].values() if v["seconds"] is not None), default=None)
    out.append({"target": "each DAG file's parse time", "goal": "< 0.5 s", "value": _f(worst, "{:.3f} s (worst)"),
                "verdict": "not measured" if worst is None else ("met" if worst < 0.5 else "NOT met")})
    return out


def write_markdown(report: dict, path: Path, json_path: Path | None) -> None:
    m, sizes = report["machine"], report["sizes"]
    lines = ["# Benchmarks", "",
             "Written by `make bench` (`python -m dgsa_tools.bench`); figures are printed and recorded, never asserted.",
             f"Raw figures: `{_rel(json_path, path)}` (re-render this page: `python -m dgsa_tools.bench --render JSON`).", "",
             f"- date: {m['date']}; commit {m['commit']}",
             f"- machine: {m['cores']} cores, {m['memory_gib']} GiB, PostgreSQL {m['postgresql']} on the same host; "
             f"load average at start {m['load_average']} (shared machine: compare ratios, measured in the same run)",
             f"- drives: `python -m dgsa_tools.sample --seed {report['settings']['seed']} --bad-share "
             f"{report['settings']['bad_share']}` (about 70 % .xlsx, 30 % .csv; on-time submissions split by unit "
             "above 1,000 rows, one late file per province; the roster one workbook)",
             "- pipeline: `airflow dags test dgsa_ingest`, then `dgsa_marts`, in a throw-away AIRFLOW_HOME, into a "
             "fresh scratch database per size; settings changed from the defaults: "
             + (", ".join(f"`{k}={v}`" for k, v in (report['settings'].get('pipeline') or {}).items()) or "none"),
             "- fastest loader: each file read (python-calamine / csv) and its rows COPY'd as text, one process, no "
             "checks; dlt: `dlt.pipeline(...).run()` to its postgres destination with defaults, files read with pandas "
             "+ calamine (requirements-bench.txt, its own virtualenv)",
             "- limit: every file's data rows exported to CSV (untimed), then one `psql` session `\\copy`-ing them "
             "into plain text tables",
             "- naive: pandas `read_excel`/`read_csv` (default engines) + `to_sql` (defaults), one table per file; "
             f"measured up to {report['settings']['naive_max']:,} people, extrapolated linearly above "
             "(rows/s held at the largest measured size's)", "",
             "## Against the targets (issue 14)", "", "| target | goal | measured | verdict |", "|---|---|---|---|"]
    lines += [f"| {t['target']} | {t['goal']} | {t['value']} | {t['verdict']} |" for t in targets(report)]
    lines += ["", "## Per size", "",
              "| people | rows | files | end to end | rows/s | vs limit | vs naive | peak RSS | warehouse | nightly ingest |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for s in sizes:
        if not s.get("end_to_end"):
            lines.append(f"| {s['people']:,} | {s['rows']:,} | {s['files']} | failed | | | | | | |")
            continue
        e, r = s["end_to_end"], s["ratios"]
        naive = f"{r['vs_naive']}x" + ("" if s["naive"]["measured"] else " (extrapolated)") if "vs_naive" in r else "n/a"
        lines.append(f"| {s['people']:,} | {s['rows']:,} | {s['files']} | {e['seconds']} s | {e['rows_per_s']:,} | "
                     f"1/{r['limit_over_dgsa']} | {naive} | {e['peak_rss_mib'] / GIB:.2f} GiB | "
                     f"{s['warehouse']['database_bytes'] / 2**20:,.0f} MiB | {s['nightly']['ingest_seconds']} s |")
    lines += ["", "Seconds per phase (read, type, validate, write: summed over the load tasks' return values; "
              "scan: the scan task; marts: the build task; n/a while the engine does not report it):", "",
              "| people | ingest DAG | marts DAG | " + " | ".join(PHASES) + " | load tasks |",
              "|---|---|---|" + "---|" * (len(PHASES) + 1)]
    for s in sizes:
        if s.get("end_to_end"):
            p, e = s["phases"], s["end_to_end"]
            lines.append(f"| {s['people']:,} | {e['ingest_seconds']} | {e['marts_seconds']} | "
                         + " | ".join(_f(p.get(k), "{:.2f}") for k in PHASES)
                         + f" | {p.get('load_tasks')} s / {p.get('load_task_count')} |")
    lines += ["", "Anchors on the same rows:", "", "| people | limit: psql \\copy | rows/s | naive script | rows/s |",
              "|---|---|---|---|---|"]
    for s in sizes:
        lim, nv = s.get("limit") or {}, s.get("naive") or {}
        lines.append(f"| {s['people']:,} | {lim.get('seconds', 'n/a')} s | {_f(lim.get('rows_per_s'), '{:,}')} | "
                     f"{nv.get('seconds', 'n/a')} s{'' if nv.get('measured', True) else ' (extrapolated)'} | "
                     f"{_f(nv.get('rows_per_s'), '{:,}')} |")
    lines += ["", "Peers on the same drive, in the same run (rows/s; ratios are dgsa's rows/s over the peer's: "
              "`dgsa_ingest` is the ingest DAG's wall time, the pipeline both DAGs'):", "",
              "| people | fastest loader | dlt | dgsa_ingest / dlt | dgsa_ingest / fastest | pipeline / fastest |",
              "|---|---|---|---|---|---|"]
    for s in sizes:
        f, d, r = s.get("fastest") or {}, s.get("dlt") or {}, s.get("ratios") or {}
        lines.append(f"| {s['people']:,} | {f.get('seconds', 'n/a')} s, {_f(f.get('rows_per_s'), '{:,}')} | "
                     f"{d.get('seconds', 'n/a')} s, {_f(d.get('rows_per_s'), '{:,}')} | {r.get('ingest_vs_dlt', 'n/a')} | "
                     f"{r.get('ingest_vs_fastest', 'n/a')} | {r.get('pipeline_vs_fastest', 'n/a')} |")
    lines += ["", "Nightly re-run over the unchanged drive (DAG wall time includes `airflow dags test` start-up and "
              "DAG parsing; \"in tasks\" is the sum of the task durations), and the generator:", "",
              "| people | nightly ingest DAG | in tasks | of which scan | nightly marts DAG | generate drive | "
              "generator peak RSS |", "|---|---|---|---|---|---|---|"]
    for s in sizes:
        n, g = _nightly(s), s["generate"]
        lines.append(f"| {s['people']:,} | {n.get('ingest_seconds', 'n/a')} s | {n.get('ingest_task_seconds', 'n/a')} s "
                     f"| {n.get('scan_seconds', 'n/a')} s | {_f(n.get('marts_seconds'), '{} s')} | {g['seconds']} s | "
                     f"{g['peak_rss_mib']} MiB |")
    lines += ["", "DAG file parse time (fresh interpreter with Airflow imported, `DagBag` on the one file, best of 3):",
              "", "| file | seconds | DAGs | import errors |", "|---|---|---|---|"]
    lines += [f"| `{k}` | {_f(v['seconds'], '{:.3f}')} | {v['dags']} | {v['import_errors']} |"
              for k, v in report["parse_seconds"].items()]
    measured = [s for s in sizes if s.get("runs")]
    if measured:
        big = max(measured, key=lambda s: s["people"])
        lines += ["", f"Where the time went at {big['people']:,} people (task durations from Airflow's metadata, "
                  "mapped tasks summed; load phases from the tasks' return values):", "",
                  "| what | seconds |", "|---|---|"] + _where(big)
    lines += ["", "Peak RSS is GNU time's maximum resident set size of the `airflow dags test` process (tasks run "
              "in it, one after the other); PostgreSQL's own memory is not included.", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
