"""OpenLineage end to end (issue 20), with the pipeline running as its least-privilege login.

One run per test session (conftest.pipeline_run, read by test_ui_ops too): a scratch warehouse
bootstrapped by the superuser (migrations + the login dgsa_pipeline), a small drive (province 50 with
one bad row, province 10), then dgsa_ingest and dgsa_marts through bin/run-dag AS dgsa_pipeline with
the file transport. The events must hold, for
load_province `50 เชียงใหม่`, the province folder as a file dataset with its row count and the GX
assertions (one failing), the warehouse tables as postgres://host:port / db.schema.table with rows
written, the ledger facet; and the chain ingest -> marts -> feedback outbox.
"""
from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from dgsa.foundation import db
from conftest import P50


@pytest.fixture(scope="module")
def run(pipeline_run):
    """The session's one pipeline run (conftest.pipeline_run), shared with test_ui_ops."""
    return pipeline_run


def _complete(run, job: str) -> list[dict]:
    return [e for e in run.events if e["eventType"] == "COMPLETE" and e["job"]["name"] == job]


def _one(run, query):
    with db.transaction(run.url) as conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def test_the_whole_pipeline_runs_green_as_dgsa_pipeline(run):
    for dag, res in run.results.items():
        assert res.returncode == 0, f"{dag}:\n{res.stdout}\n{res.stderr}\n" + \
            (run.tmp / f"{dag}.log").read_text()[-3000:]
    assert _one(run, "SELECT status, rows_loaded, rows_rejected FROM audit.source_file WHERE rel_path LIKE "
                     "'provinces/50-%'") == [("partially_loaded", 2, 1)]
    # the marts were (re)created by the login's sessions, which run as dgsa_loader: not by a superuser
    assert _one(run, "SELECT tableowner FROM pg_tables WHERE schemaname = 'marts' GROUP BY 1") == [("dgsa_loader",)]
    assert _one(run, "SELECT count(*) FROM marts.compliance_person WHERE province_code = '50'")[0][0] == 3
    # the analyst still reads the marts the login built (the page's role)
    analyst = make_url(run.url).set(username="dgsa_analyst", password=None).render_as_string(hide_password=False)
    with db.transaction(analyst) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM marts.compliance_by_province")
        assert cur.fetchone()[0] == 77
    # progress: one line per finished task, printed by bin/run-dag, with the province label
    out = run.results["dgsa_ingest"].stdout
    assert "dgsa_ingest.load_province 50 เชียงใหม่: 1 files; 2 rows loaded; 1 rows rejected" in out
    assert "dgsa_ingest.reconcile:" in out and "dgsa_marts.summarise_run:" in run.results["dgsa_marts"].stdout


def test_load_province_50_event_has_the_folder_the_tables_and_the_facets(run):
    u = make_url(run.url)
    events = [e for e in _complete(run, "dgsa_ingest.load_province")
              if any(i["name"].endswith(P50) for i in e["inputs"])]
    assert len(events) == 1
    event = events[0]
    (folder,) = event["inputs"]
    assert (folder["namespace"], folder["name"]) == ("file", str((run.drive / P50).resolve()))
    stats = folder["inputFacets"]["inputStatistics"]
    assert (stats["rowCount"], stats["fileCount"]) == (3, 1)
    assertions = {(a["assertion"], a.get("column")): a["success"]
                  for a in folder["inputFacets"]["dataQualityAssertions"]["assertions"]}
    assert assertions[("submission_rows.expect_column_values_to_match_regex", "citizen_id")] is False
    assert assertions[("submission_rows.expect_column_values_to_not_be_null", "first_name")] is True
    assert assertions[("file_gate.expect_column_values_to_be_null", "missing_columns")] is True
    outputs = {(o["namespace"], o["name"]): o.get("outputFacets", {}) for o in event["outputs"]}
    ns = f"postgres://{u.host}:{u.port or 5432}"
    assert outputs[(ns, f"{u.database}.core.assessment")]["outputStatistics"]["rowCount"] == 2
    assert outputs[(ns, f"{u.database}.audit.rejected_row")]["outputStatistics"]["rowCount"] == 1
    assert outputs[(ns, f"{u.database}.raw.source_row")]["outputStatistics"]["rowCount"] == 3
    ledger = event["run"]["facets"]["dgsa_ledger"]
    assert [(f["rel_path"], f["status"], f["rows_loaded"], f["rows_rejected"]) for f in ledger["files"]] == \
        [(f"{P50}/dgsa-50.xlsx", "partially_loaded", 2, 1)]


def test_events_chain_ingest_to_marts_to_the_outbox(run):
    db_name = make_url(run.url).database
    ingest_out = {o["name"] for e in run.events if e["job"]["name"].startswith("dgsa_ingest.") for o in e["outputs"]}
    (build,) = _complete(run, "dgsa_marts.build_marts")
    assert f"{db_name}.core.assessment" in ingest_out
    assert f"{db_name}.core.assessment" in {i["name"] for i in build["inputs"]}
    marts = {o["name"]: o["outputFacets"] for o in build["outputs"]}
    person = marts[f"{db_name}.marts.compliance_person"]
    assert person["outputStatistics"]["rowCount"] == 4
    assert person["dataQualityAssertions"]["assertions"] and \
        all(a["success"] for a in person["dataQualityAssertions"]["assertions"])
    (feedback,) = _complete(run, "dgsa_marts.write_feedback")
    assert f"{db_name}.marts.compliance_person" in {i["name"] for i in feedback["inputs"]}
    assert [(o["namespace"], o["name"]) for o in feedback["outputs"]] == [("file", str((run.tmp / "outbox").resolve()))]
    (summary,) = _complete(run, "dgsa_marts.summarise_run")
    facet = summary["run"]["facets"]["dgsa_runSummary"]["summary"]
    assert facet["rows_loaded"] == 7 and facet["rows_rejected"] == 1 and facet["marts_published"] is True


def test_no_full_citizen_id_in_the_events(run):
    assert run.events
    for cid in run.cids:
        assert cid not in run.text
