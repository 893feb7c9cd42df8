"""What an engineer sees in the Airflow UI, in headless Chromium against a real `airflow
api-server` (tests/airflow_ui.py) whose metadata DB holds a real `airflow dags test` run of
dgsa_ingest on a small drive:

* the DAG list shows the dgsa DAGs, unpaused (as `make airflow` starts them), and no import error;
* the DAG docs render (Markdown, naming the outbox and the alert connection); every task has a
  one-line doc;
* the mapped load_province boxes read `50 เชียงใหม่`.

Screenshots: .dgsa/screenshots/ops-*.png.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest

from dgsa import db

from airflow_ui import AirflowUI, browser, login  # noqa: F401 - browser is a fixture
from conftest import RESET_SQL
from helpers import ids, sub_row, when, write_roster, write_submission

DAGS = ("dgsa_ingest", "dgsa_marts", "dgsa_lateness")


@pytest.fixture(scope="module")
def ops_ui(warehouse_url, tmp_path_factory):
    with db.transaction(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(RESET_SQL)
    root = tmp_path_factory.mktemp("ops_ui")
    drive = root / "drive"
    p = ids(3, seed=41)
    write_roster(drive, [(p[0], "ก", "ข", "50", 6), (p[1], "ค", "ง", "51", 6)])
    write_submission(drive, "provinces/50-เชียงใหม่/ผลDG-SA.xlsx", [sub_row(1, p[0])], when(20))
    write_submission(drive, "provinces/51-ลำพูน/ผลDG-SA.xlsx", [sub_row(1, p[1], province="51")], when(20))
    ui = AirflowUI(warehouse_url, env={"DGSA_DRIVE": str(drive), "DGSA_OUTBOX": str(root / "outbox"),
                                       "DGSA_TASK_RETRIES": "0",
                                       # what `make airflow` sets: the DAGs are created unpaused
                                       "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False"})
    try:
        ui.airflow("db", "migrate")
        ran = ui.airflow("dags", "test", "dgsa_ingest", check=False, timeout=600)
        assert ran.returncode == 0 and "DGSA ALERT" not in ran.stdout + ran.stderr, ran.stdout[-3000:]
        ui.airflow("dags", "reserialize")        # dgsa_marts and dgsa_lateness too
        with ui:
            yield ui
    finally:
        ui.stop()


def _run_id(ui) -> str:
    runs = ui.get("/api/v2/dags/dgsa_ingest/dagRuns", auth=True).json()["dag_runs"]
    assert runs and runs[0]["state"] == "success"
    return runs[0]["dag_run_id"]


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
    assert sorted(t["rendered_map_index"] for t in mapped) == ["50 เชียงใหม่", "51 ลำพูน"]
    page = login(browser, ops_ui)
    page.goto(ops_ui.url(f"/dags/dgsa_ingest/runs/{quote(run_id, safe='')}/tasks/load_province/mapped"),
              wait_until="domcontentloaded")
    page.get_by_text("50 เชียงใหม่", exact=True).wait_for(timeout=60_000)
    assert page.get_by_text("51 ลำพูน", exact=True).is_visible()
    page.wait_for_timeout(300)
    page.screenshot(path=ops_ui.screenshot_path("ops-03-mapped-load-province.png"))
    page.context.close()
