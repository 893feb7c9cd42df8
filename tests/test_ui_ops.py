"""What an engineer sees in the Airflow UI, in headless Chromium against a real `airflow
api-server` (tests/airflow_ui.py) whose metadata DB holds real `airflow dags test` runs of
dgsa_ingest and dgsa_marts on a small drive (the session's one pipeline run, conftest.pipeline_run,
which test_lineage reads too: province 50 with one bad row of three, province 10 with one row):

* the DAG list shows the dgsa DAGs, unpaused (as `make airflow` starts them), and no import error;
* the DAG docs render (Markdown, naming the outbox and the alert connection); every task has a
  one-line doc;
* the mapped load_province boxes read `50 เชียงใหม่`;
* the dgsa_marts run wrote the feedback workbooks and the run summary (log, XCom, Markdown).

Screenshots: .dgsa/screenshots/ops-*.png.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from airflow_ui import AirflowUI, browser, login  # noqa: F401 - browser is a fixture

DAGS = ("dgsa_ingest", "dgsa_marts", "dgsa_lateness")


@pytest.fixture(scope="module")
def ops_ui(pipeline_run):
    """An api-server on the Airflow home of the session's pipeline run (conftest.pipeline_run: real
    `airflow dags test` runs of dgsa_ingest and dgsa_marts through bin/run-dag, DAGs created unpaused
    as `make airflow` does), dgsa_lateness serialized too."""
    run = pipeline_run
    ui = AirflowUI(run.url, home=run.home, env={k: run.env[k] for k in (
        "DGSA_DRIVE", "DGSA_OUTBOX", "DGSA_TASK_RETRIES", "AIRFLOW__LOGGING__LOGGING_LEVEL",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION")})     # the runs' settings; DAGs unpaused as `make airflow`
    ui.outbox, ui.dag_output = run.outbox, {}
    try:
        for dag_id, ran in run.results.items():       # the nightly loop, through real Airflow
            ui.dag_output[dag_id] = ran.stdout + ran.stderr + (run.tmp / f"{dag_id}.log").read_text(errors="replace")
            assert ran.returncode == 0 and "DGSA ALERT" not in ui.dag_output[dag_id], ui.dag_output[dag_id][-3000:]
        ui.airflow("dags", "reserialize")        # dgsa_lateness too
        with ui:
            yield ui
    finally:
        ui.stop()


def _run_id(ui, dag_id: str = "dgsa_ingest") -> str:
    runs = ui.get(f"/api/v2/dags/{dag_id}/dagRuns", auth=True).json()["dag_runs"]
    assert runs and runs[0]["state"] == "success"
    return runs[0]["dag_run_id"]


def test_the_marts_run_wrote_feedback_and_the_run_summary(ops_ui, pipeline_run):
    from dgsa.operations import run_summary
    run_id = quote(_run_id(ops_ui, "dgsa_marts"), safe="")
    tis = ops_ui.get(f"/api/v2/dags/dgsa_marts/dagRuns/{run_id}/taskInstances", auth=True).json()["task_instances"]
    assert {t["task_id"]: t["state"] for t in tis} == {
        "build_marts": "success", "build_data_docs": "success", "write_feedback": "success", "summarise_run": "success"}
    xcom = ops_ui.get(f"/api/v2/dags/dgsa_marts/dagRuns/{run_id}/taskInstances/summarise_run/xcomEntries/"
                      "return_value", auth=True).json()["value"]
    xcom = json.loads(xcom) if isinstance(xcom, str) else xcom
    assert (xcom["rows_loaded"], xcom["rows_rejected"], xcom["marts_published"]) == (7, 1, True)
    assert xcom["new_files_by_status"]["partially_loaded"] == {"files": 1, "rows_loaded": 2, "rows_rejected": 1}
    assert "# DG-SA run summary" in ops_ui.dag_output["dgsa_marts"]               # in the task log
    md = (ops_ui.outbox / "run-summary.md").read_text(encoding="utf-8")
    assert md == run_summary.latest_markdown(pipeline_run.url)
    workbooks = sorted(p.relative_to(ops_ui.outbox).as_posix() for p in ops_ui.outbox.rglob("*.xlsx"))
    assert [w.split("/")[0] for w in workbooks] == ["10-กรุงเทพมหานคร", "50-เชียงใหม่"]


def test_dag_list_shows_the_dgsa_dags_unpaused_and_no_import_error(ops_ui, browser):  # noqa: F811
    assert ops_ui.get("/api/v2/importErrors", auth=True).json()["total_entries"] == 0
    dags = {d["dag_id"]: d for d in ops_ui.get("/api/v2/dags", auth=True).json()["dags"]}
    assert set(DAGS) <= set(dags)
    assert all(not dags[d]["is_paused"] for d in DAGS), {d: dags[d]["is_paused"] for d in DAGS}
    page = login(browser, ops_ui)
    page.goto(ops_ui.url("/dags"), wait_until="domcontentloaded")
    for dag_id in DAGS:
        page.get_by_role("link", name=dag_id, exact=True).first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=ops_ui.screenshot_path("ops-01-dag-list.png"))
    body = page.inner_text("body")
    assert "import error" not in body.lower()
    page.goto(ops_ui.url("/"), wait_until="domcontentloaded")
    page.get_by_text("Dags", exact=True).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    assert "import error" not in page.inner_text("body").lower()
    page.context.close()


@pytest.mark.parametrize("dag_id, heading", [
    ("dgsa_marts", "dgsa_marts: warehouse core -> published marts"),
    ("dgsa_ingest", "dgsa_ingest: shared drive -> warehouse (nightly 01:00 Asia/Bangkok)")])
def test_dag_docs_render_and_name_the_outbox_and_alert_connection(ops_ui, browser, dag_id, heading):  # noqa: F811
    page = login(browser, ops_ui)
    page.goto(ops_ui.url(f"/dags/{dag_id}"), wait_until="domcontentloaded")
    page.get_by_role("button", name="Dag Docs").click(timeout=60_000)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name=heading).wait_for(timeout=30_000)    # Markdown rendered, not '###'
    text = dialog.inner_text()
    assert "###" not in text
    assert "DGSA_OUTBOX" in text and "dgsa_alerts_smtp" in text
    page.wait_for_timeout(300)
    page.screenshot(path=ops_ui.screenshot_path(f"ops-02-dag-docs-{dag_id}.png"))
    page.context.close()


def test_every_task_has_a_one_line_doc(ops_ui):
    for dag_id in DAGS:
        tasks = ops_ui.get(f"/api/v2/dags/{dag_id}/tasks", auth=True).json()["tasks"]
        for t in tasks:
            doc = (t.get("doc_md") or "").strip()
            assert doc and "\n" not in doc, f"{dag_id}.{t['task_id']}: {doc!r}"


def test_mapped_load_province_boxes_read_code_and_name(ops_ui, browser):  # noqa: F811
    run_id = _run_id(ops_ui)
    mapped = ops_ui.get(f"/api/v2/dags/dgsa_ingest/dagRuns/{quote(run_id, safe='')}/taskInstances/load_province/"
                        "listMapped", auth=True).json()["task_instances"]
    assert sorted(t["rendered_map_index"] for t in mapped) == ["10 กรุงเทพมหานคร", "50 เชียงใหม่"]
    page = login(browser, ops_ui)
    page.goto(ops_ui.url(f"/dags/dgsa_ingest/runs/{quote(run_id, safe='')}/tasks/load_province/mapped"),
              wait_until="domcontentloaded")
    page.get_by_text("50 เชียงใหม่", exact=True).wait_for(timeout=60_000)
    assert page.get_by_text("10 กรุงเทพมหานคร", exact=True).is_visible()
    page.wait_for_timeout(300)
    page.screenshot(path=ops_ui.screenshot_path("ops-03-mapped-load-province.png"))
    page.context.close()
