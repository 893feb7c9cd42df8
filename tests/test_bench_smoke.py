"""`make bench` in small: the harness runs the real DAGs through Airflow on a generated drive,
measures both anchors and writes every figure (JSON and markdown). No timing is asserted:
figures belong to `make bench`, not to tests."""
import json
import os

from dgsa_tools.bench import run as bench

PEOPLE = int(os.environ.get("DGSA_BENCH_SMOKE_PEOPLE", "3000"))   # the harness in small; make bench measures


def test_bench_produces_every_figure(tmp_path, airflow_home, warehouse_url):
    json_path, docs = tmp_path / "bench.json", tmp_path / "benchmarks.md"
    report = bench.run([PEOPLE], naive_max=PEOPLE, json_path=json_path, docs_path=docs, airflow_home=airflow_home,
                       work_dir=tmp_path, log_root=tmp_path / "logs", parse_repeats=1,
                       nightly_marts=False)    # the nightly marts run is make bench's; keeps make test short
    (size,) = report["sizes"]
    assert size["ok"], {k: (r["ok"], r["states"], r["log"]) for k, r in size["runs"].items()}
    assert size["people"] == PEOPLE and size["rows"] > PEOPLE and size["bad_rows"] > 0
    assert size["warehouse"]["rows_read"] == size["rows"]          # the pipeline read every generated row
    assert size["limit"]["rows"] == size["rows"] and size["naive"]["rows"] == size["rows"]
    assert size["naive"]["measured"]
    for key in ("seconds", "rows_per_s", "ingest_seconds", "marts_seconds", "peak_rss_mib"):
        assert size["end_to_end"][key] is not None, key
    for key in ("scan", "load_tasks", "marts", "read", "type", "validate", "write"):
        assert key in size["phases"], key
    assert size["phases"]["scan"] is not None and size["phases"]["marts"] is not None
    assert size["fastest"]["rows"] == size["rows"]
    assert {"vs_limit", "limit_over_dgsa", "vs_naive", "pipeline_vs_fastest", "ingest_vs_fastest"} <= set(size["ratios"])
    if size.get("dlt"):       # when the bench's own virtualenv is there (make bench installs it)
        assert size["dlt"]["rows"] == size["rows"] and "ingest_vs_dlt" in size["ratios"]
    assert size["nightly"]["ingest_seconds"] is not None and size["warehouse"]["database_bytes"] > 0
    assert all(v["seconds"] is not None and v["import_errors"] == 0 for v in report["parse_seconds"].values())
    assert json.loads(json_path.read_text())["sizes"][0]["people"] == PEOPLE
    text = docs.read_text()
    assert "## Against the targets" in text and f"| {PEOPLE:,} |" in text and "parse time" in text
    assert not list(tmp_path.glob("dgsa-bench-*/drive-*"))        # the drive is cleaned up
