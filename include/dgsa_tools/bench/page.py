"""Benchmark of the DG-SA page: prints figures, asserts nothing. `make bench-page` or

    python -m dgsa_tools.bench.page [--people 100000] [--url URL] [--runs 5]

Without --url: a throw-away database on the configured server, a generated drive of N people,
ingested and built into marts (times printed). Then, against those marts:
1. each query of the page's data layer, read as dgsa_analyst (median of --runs);
2. each API route through a real `airflow api-server` (tests/airflow_ui.py: free port, throw-away
   home), with an admin token;
3. the page in headless Chromium (logged in): milliseconds from navigation start until the
   overview arrived, the map, the table and each chart were drawn (window.dgsaTimings), and
   until a province's follow-up list showed.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dgsa.foundation import config, db
from dgsa.dashboard import queries, source, xlsx

ROOT = Path(__file__).resolve().parents[3]


def _median_ms(fn, runs: int, fresh: bool = False) -> float:
    times = []
    for _ in range(runs):
        if fresh:                  # forget the answers kept for this mart build
            queries._kept.clear()  # noqa: SLF001
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _line(label: str, ms: float) -> None:
    print(f"  {label:<58} {ms:8.1f} ms")


@contextlib.contextmanager
def _warehouse(url: str | None, people: int):
    if url:
        yield url
        return
    from dgsa.ingest import steps as ingest  # noqa: PLC0415
    from dgsa.marts import build as marts  # noqa: PLC0415
    from dgsa_tools.sample import generator as sample  # noqa: PLC0415

    with db.scratch_database(config.warehouse_url(), "dgsa_bench_page") as scratch, \
            tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ingest.prepare(scratch)
        sample.generate(Path(tmp) / "d", people, 1)
        print(f"generate drive ({people:,} people): {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        ingest.run_all(Path(tmp) / "d", url=scratch)
        print(f"ingest: {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        marts.build(scratch)
        print(f"mart build: {time.perf_counter() - start:.1f} s")
        yield scratch


def bench_queries(url: str, runs: int) -> str:
    aurl = source.analyst_url()
    chosen, _ = queries.pick_round(None, aurl)
    rows = queries.provinces(chosen, aurl)
    code = max(rows, key=lambda r: r["on_list"])["province_code"]
    print(f"data layer, as dgsa_analyst (round {chosen}, biggest province {code}, "
          f"{sum(r['on_list'] for r in rows):,} people on the list):")
    _line("overview (rounds, build, 77 provinces, training, progress)",
          _median_ms(lambda: queries.overview(None, aurl), runs, fresh=True))
    _line("overview again, same mart build (kept answer)", _median_ms(lambda: queries.overview(None, aurl), runs))
    _line("one province: counts, training needs, progress",
          _median_ms(lambda: queries.province_detail(chosen, code, aurl), runs, fresh=True))
    _line("training needs of one province", _median_ms(lambda: queries.training(chosen, code, aurl), runs))
    follow = queries.followup(chosen, code, aurl)
    _line(f"follow-up list ({len(follow):,} rows)", _median_ms(lambda: queries.followup(chosen, code, aurl), runs))
    _line("follow-up .xlsx (query + workbook)", _median_ms(
        lambda: xlsx.followup_workbook(queries.followup(chosen, code, aurl), province_code=code, province_name="x",
                                       round_code=chosen), runs))
    return code


def bench_server(url: str, code: str, runs: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from airflow_ui import AirflowUI, chromium, login  # noqa: PLC0415

    with AirflowUI(url) as ui:
        ui.get("/dgsa/", auth=True).raise_for_status()     # a warm server; no mart data asked yet
        with chromium() as browser:
            page = login(browser, ui)

            def load(path: str) -> dict:
                page.goto(ui.url(path))
                page.locator("body[data-ready='1']").wait_for(timeout=60_000)
                return page.evaluate("window.dgsaTimings")

            load("/dgsa/")                       # a warm browser and server (the overview of the default round)
            chosen = page.evaluate("document.querySelector('#round').value")
            cold = load(f"/dgsa/?round={chosen}")   # another query key: computed, not kept yet
            marks: dict[str, list[float]] = {}
            follow = []
            for _ in range(runs):
                for k, v in load("/dgsa/").items():
                    marks.setdefault(k, []).append(v)
                page.locator(f"#map .tile[data-code='{code}']").click()
                start = time.perf_counter()
                page.locator("#open-followup").click()
                page.locator("#followup-table").wait_for()
                follow.append((time.perf_counter() - start) * 1000)
            print("in headless Chromium, ms after navigation start: a round's first load (queries run) / "
                  "median of later loads (answers kept for this build):")
            for k in ("start", "overview_fetched", "map", "table", "chart_skill", "chart_group", "chart_progress",
                      "ready"):
                if k in marks:
                    print(f"  {k:<58} {cold.get(k, float('nan')):8.1f} / {statistics.median(marks[k]):.1f} ms")
            print(f"  {'click follow-up list -> table shown (median)':<58} {statistics.median(follow):8.1f} ms")
        print(f"through airflow api-server ({ui.base_url}), with a token (median; answers kept per build):")
        for path in ("/dgsa/", "/dgsa/api/overview", f"/dgsa/api/provinces/{code}",
                     f"/dgsa/api/provinces/{code}/followup", f"/dgsa/api/provinces/{code}/followup.xlsx"):
            ui.get(path, auth=True).raise_for_status()
            _line(f"GET {path}", _median_ms(lambda p=path: ui.get(p, auth=True), runs))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--url", help="use this warehouse's marts instead of building a throw-away one")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-server", action="store_true", help="only the data layer")
    args = parser.parse_args(argv)
    import os  # noqa: PLC0415

    with _warehouse(args.url, args.people) as url:
        os.environ["DGSA_WAREHOUSE_URL"] = url
        os.environ.pop("DGSA_ANALYST_URL", None)
        code = bench_queries(url, args.runs)
        source.close_all()
        if not args.no_server:
            bench_server(url, code, args.runs)


if __name__ == "__main__":
    main()
