"""The DG-SA page (plugins/dgsa_page) through a real Airflow API server, real PostgreSQL and
headless Chromium: a generated drive loaded and built into marts, then

* the API: anonymous requests refused, one province's figures equal the mart's, the follow-up
  list and its .xlsx (right rows, formula-safe, no full citizen ID);
* the browser: log in, open DG-SA from the navigation, 77 provinces on the map, one province's
  table row equals the mart, the follow-up list, the Data Docs offline; screenshots in
  .dgsa/screenshots/.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from collections import Counter

import openpyxl
import pytest

from dgsa.foundation import config, db
from dgsa.contract import docs
from dgsa.ingest import steps as ingest
from dgsa.marts import build as marts
from dgsa_tools.sample import generator as sample
from dgsa.dashboard import queries

from airflow_ui import AirflowUI, browser, login  # noqa: F401 - browser is a fixture
from conftest import RESET_SQL

PROVINCE = "50"          # for the refusal tests; the data tests look at built["province"]
ROUND = "2563"
# put into the roster for two people of built["province"] who never submit (so they are on its follow-up list)
INJECTED = {"unit": '=HYPERLINK("http://example.invalid","คลิก")', "position": "+66 2 123 4567"}
INJECTED_2 = {"unit": "@SUM(1,2)", "position": "-1+1"}
COUNTS = ["on_list", "submitted", "compliant", "late", "unsigned", "group_mismatch", "target_mismatch", "missing",
          "not_on_list"]
FULL_ID = re.compile(r"\d{13}|\d-\d{4}-\d{5}-\d{2}-\d")


def _province_with_missing(expected) -> str:
    """The province the data tests look at: the one with the most MISSING people (at least two)."""
    counts = Counter(p["province_code"] for p in expected["roster"] if p["outcome"] == "MISSING")
    code, n = max(sorted(counts.items()), key=lambda kv: kv[1])
    assert n >= 2, "the sample drive should have a province with two MISSING people"
    return code


def _inject(drive, expected, province: str) -> list[str]:
    """Rewrite the unit and position of two MISSING people of the province in the roster; returns their IDs."""
    missing = [p for p in expected["roster"] if p["province_code"] == province and p["outcome"] == "MISSING"][:2]
    path = next((drive / "roster" / ROUND).glob("*.xlsx"))
    stat = path.stat()
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = next(r for r in ws.iter_rows(values_only=True) if r and "สังกัด" in r)
    unit_col, pos_col = header.index("สังกัด") + 1, header.index("ตำแหน่ง") + 1
    for row in ws.iter_rows():
        cid = str(row[1].value or "")
        for p, values in zip(missing, (INJECTED, INJECTED_2)):
            if cid == p["citizen_id"]:
                row[unit_col - 1].value = values["unit"]
                row[unit_col - 1].data_type = "s"
                row[pos_col - 1].value = values["position"]
                row[pos_col - 1].data_type = "s"
    wb.save(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))      # the roster keeps its date
    return [p["citizen_id"] for p in missing]


@pytest.fixture(scope="module")
def built(warehouse_url, tmp_path_factory):
    """A warehouse with marts from a generated 400-person drive (plus formula-like text), and
    Data Docs in a temporary DGSA_DOCS_DIR."""
    with db.transaction(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(RESET_SQL)
    drive = tmp_path_factory.mktemp("dash") / "drive"
    expected = sample.generate(drive, people_n=400, seed=13)
    province = _province_with_missing(expected)
    injected_ids = _inject(drive, expected, province)
    ingest.run_all(drive, url=warehouse_url)
    marts.build(warehouse_url, run_name="manual__dashboard_test")
    docs_dir = tmp_path_factory.mktemp("data_docs")
    docs.build(docs_dir, url=warehouse_url)
    return {"url": warehouse_url, "expected": expected, "injected_ids": injected_ids, "docs_dir": docs_dir,
            "province": province}


@pytest.fixture(scope="module")
def ui(built, warehouse_url):
    with AirflowUI(warehouse_url, env={"DGSA_DOCS_DIR": str(built["docs_dir"])}) as server:
        yield server


def mart_row(sql_url: str, code: str) -> dict:
    with db.transaction(sql_url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(COUNTS)}, compliance_rate::float FROM marts.compliance_by_province "
                    "WHERE round = %s AND province_code = %s", (ROUND, code))
        values = cur.fetchone()
    return dict(zip([*COUNTS, "compliance_rate"], values))


# ---------------------------------------------------------------- API
@pytest.mark.parametrize("path", ["/dgsa/", "/dgsa/api/overview", f"/dgsa/api/provinces/{PROVINCE}",
                                  f"/dgsa/api/provinces/{PROVINCE}/followup",
                                  f"/dgsa/api/provinces/{PROVINCE}/followup.xlsx", "/dgsa/static/app.js",
                                  "/dgsa/data-docs/index.html", "/dgsa/docs", "/dgsa/openapi.json"])
def test_anonymous_and_forged_requests_are_refused(ui, path):
    assert ui.get(path).status_code == 401
    forged = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl"
    assert ui.get(path, headers={"Authorization": f"Bearer {forged}"}).status_code in (401, 403)
    assert ui.get(path, cookies={"_token": forged}).status_code in (401, 403)


def test_logged_in_user_gets_the_page(ui):
    r = ui.get("/dgsa/", auth=True)
    assert r.status_code == 200
    assert 'lang="th"' in r.text and "static/app.js" in r.text
    assert "http://" not in r.text and "https://" not in r.text           # nothing from the internet
    r = ui.get("/dgsa/", cookies={"_token": ui.token()})                   # the UI's cookie works too
    assert r.status_code == 200


def test_province_figures_equal_the_mart(ui, built):
    r = ui.get(f"/dgsa/api/provinces/{built['province']}?round={ROUND}", auth=True)
    assert r.status_code == 200
    got = r.json()["province"]
    want = mart_row(built["url"], built["province"])
    assert {k: got[k] for k in want} == want
    assert want["on_list"] > 0 and want["missing"] >= 2
    # and the planned outcome of the generated drive
    plan = [p for p in built["expected"]["roster"] if p["province_code"] == built["province"]]
    assert got["on_list"] == len(plan)
    assert got["compliant"] == sum(p["outcome"] == "COMPLIANT" for p in plan)


def test_overview_has_every_province_and_the_last_build(ui, built):
    body = ui.get("/dgsa/api/overview", auth=True).json()
    assert body["round"] == ROUND
    assert len(body["provinces"]) == 77
    assert all(p["col"] is not None and p["row"] is not None for p in body["provinces"])
    assert len({(p["col"], p["row"]) for p in body["provinces"]}) == 77
    assert body["last_build"]["run_name"] == "manual__dashboard_test"
    with db.transaction(built["url"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT sum(on_list), sum(compliant), sum(missing) FROM marts.compliance_by_province WHERE round = %s",
                    (ROUND,))
        on_list, compliant, missing = cur.fetchone()
        cur.execute("SELECT skill_code, sum(people_below_target) FROM marts.training_needs WHERE round = %s GROUP BY 1",
                    (ROUND,))
        needs = dict(cur.fetchall())
    assert (body["totals"]["on_list"], body["totals"]["compliant"], body["totals"]["missing"]) == \
        (on_list, compliant, missing)
    assert {s["skill_code"]: s["people_below_target"] for s in body["training"]["by_skill"]} == needs
    assert [g["target_group"] for g in body["training"]["by_group"]] == ["EXE", "MGT", "ACA", "TEC", "SRV", "OTH"]
    assert [p["round"] for p in body["progress"]] == [ROUND]


def test_unknown_province_and_round_are_404(ui, built):
    assert ui.get("/dgsa/api/provinces/99", auth=True).status_code == 404
    assert ui.get("/dgsa/api/provinces/x1", auth=True).status_code == 404
    assert ui.get(f"/dgsa/api/provinces/{built['province']}?round=2599", auth=True).status_code == 404


def _followup_from_mart(url: str, province: str) -> list[tuple]:
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT full_name, status, citizen_id_masked FROM marts.compliance_person "
                    "WHERE round = %s AND province_code = %s AND status <> 'COMPLIANT'", (ROUND, province))
        return cur.fetchall()


def test_followup_list_is_the_marts_non_compliant_people(ui, built):
    body = ui.get(f"/dgsa/api/provinces/{built['province']}/followup", auth=True).json()
    got = sorted((r["full_name"], r["status"], r["citizen_id_masked"]) for r in body["rows"])
    assert got == sorted(_followup_from_mart(built["url"], built["province"]))
    assert all(re.fullmatch(r"x-xxxx-xxxxx-\d\d-\d", r["citizen_id_masked"]) for r in body["rows"])
    assert not FULL_ID.search(str(body))
    for cid in built["injected_ids"]:
        assert cid not in str(body)
    assert {r["unit"] for r in body["rows"]} >= {INJECTED["unit"], INJECTED_2["unit"]}
    assert body["total"] == len(body["rows"])
    first = ui.get(f"/dgsa/api/provinces/{built['province']}/followup?limit=2", auth=True).json()
    assert first["total"] == len(body["rows"]) and first["rows"] == body["rows"][:2]


def test_followup_xlsx_right_rows_formula_safe_no_full_id(ui, built):
    r = ui.get(f"/dgsa/api/provinces/{built['province']}/followup.xlsx?round={ROUND}", auth=True)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb.active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    header = [c.value for c in ws[2]]
    name_i, status_i, id_i, unit_i, pos_i = (header.index(h) for h in (
        "ชื่อ-นามสกุล / Name", "สถานะ / Status", "เลขประจำตัวประชาชน (ปิดบัง) / Citizen ID (masked)",
        "สังกัด / Unit", "ตำแหน่ง / Position"))
    want = sorted(_followup_from_mart(built["url"], built["province"]))
    assert sorted((x[name_i], x[status_i], x[id_i]) for x in rows) == want
    # formula-safe: the injected texts are there, as text, never as formulas
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for text in (INJECTED["unit"], INJECTED["position"], INJECTED_2["unit"], INJECTED_2["position"]):
        assert text in cells, text
        assert cells[text].data_type == "s" and cells[text].quotePrefix
    assert {x[unit_i] for x in rows} >= {INJECTED["unit"], INJECTED_2["unit"]}
    assert {x[pos_i] for x in rows} >= {INJECTED["position"], INJECTED_2["position"]}
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    assert "<f>" not in xml and "<f " not in xml                   # no formula anywhere in the workbook
    assert not FULL_ID.search(xml)                                  # no full citizen ID
    for cid in built["injected_ids"]:
        assert cid not in xml


def test_data_docs_are_served_with_local_assets(ui):
    r = ui.get("/dgsa/data-docs/index.html", auth=True)
    assert r.status_code == 200
    assert "static/vendor/jquery-3.7.1/jquery.min.js" in r.text
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", r.text)
    assert ui.get("/dgsa/data-docs/static/vendor/jquery-3.7.1/jquery.min.js", auth=True).status_code == 200


# ---------------------------------------------------------------- browser
def test_browser_dgsa_page(ui, built, browser):  # noqa: F811 - fixture
    page = login(browser, ui)
    nav = page.get_by_role("link", name="DG-SA").first
    nav.wait_for(timeout=60_000)
    page.wait_for_timeout(500)                                            # let the home page settle
    page.screenshot(path=ui.screenshot_path("dgsa-01-airflow-home-nav.png"))
    nav.click()                                                           # from the navigation
    page.wait_for_url("**/plugin/dgsa**")
    frame = page.frame_locator("iframe")
    frame.locator("body[data-ready='1']").wait_for(timeout=30_000)
    assert frame.locator("#map .tile").count() == 77
    row = frame.locator(f"#provinces tbody tr[data-code='{built['province']}']")
    want = mart_row(built["url"], built["province"])
    for key in COUNTS:
        assert row.locator(f"td[data-key='{key}']").inner_text() == f"{want[key]:,}", key
    assert row.locator("td[data-key='compliance_rate']").inner_text() == f"{want['compliance_rate'] * 100:.1f}%"
    name_th = next(p["name_th"] for p in config.provinces() if p["province_code"] == built["province"])
    assert name_th in row.inner_text()
    assert "manual__dashboard_test" in frame.locator("#build").inner_text()
    page.screenshot(path=ui.screenshot_path("dgsa-02-page-in-airflow.png"))

    # sort by compliance rate (lowest first after two clicks is descending/ascending: check order holds)
    frame.locator("#provinces th[data-key='compliance_rate']").click()
    rates = [t for t in frame.locator("#provinces tbody td[data-key='compliance_rate']").all_inner_texts() if t != "–"]
    values = [float(t.rstrip("%")) for t in rates]
    assert values == sorted(values, reverse=True)

    # a province's counts on the map, then its follow-up list
    frame.locator(f"#map .tile[data-code='{built['province']}']").click()
    assert frame.locator("#detail dd[data-key='missing']").inner_text() == f"{want['missing']:,}"
    frame.locator("#open-followup").click()
    frame.locator("#followup-table").wait_for()
    n = len(_followup_from_mart(built["url"], built["province"]))
    assert frame.locator("#followup-table tbody tr").count() == n
    page.screenshot(path=ui.screenshot_path("dgsa-03-followup-in-airflow.png"))
    with page.expect_download() as download:
        frame.locator("#download-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert wb.active.max_row == n + 2
    assert page.blocked_urls == []                                        # nothing asked of the internet

    # the links: Data Docs open in the frame; the DAG runs move the Airflow UI itself
    frame.locator("#docs-link").click()
    frame.locator("table tbody tr td").first.wait_for(timeout=30_000)
    page.goto(ui.url("/plugin/dgsa"))
    frame = page.frame_locator("iframe")
    frame.locator("body[data-ready='1']").wait_for(timeout=30_000)
    frame.locator("#marts-runs").click()
    page.wait_for_url("**/dags/dgsa_marts/runs", timeout=30_000)
    page.wait_for_function("() => !document.querySelector('iframe')", timeout=30_000)   # the UI's own page now
    page.context.close()


def test_browser_whole_page_and_thai_font(ui, built, browser):  # noqa: F811 - fixture
    page = login(browser, ui)
    page.goto(ui.url("/dgsa/"))
    page.locator("body[data-ready='1']").wait_for(timeout=30_000)
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Loma" in family or "Garuda" in family
    assert page.evaluate("document.fonts.check('16px Garuda', 'ทดสอบ') || document.fonts.check('16px Loma', 'ทดสอบ')")
    page.locator(f"#provinces tbody tr[data-code='{built['province']}']").click()
    page.locator("#chart-skill .bar").first.wait_for()
    page.screenshot(path=ui.screenshot_path("dgsa-04-whole-page.png"), full_page=True)
    page.context.close()


def test_browser_data_docs_offline(ui, built, browser):  # noqa: F811 - fixture
    """The Data Docs, with every request that leaves the machine blocked: the validation list renders."""
    page = login(browser, ui)
    page.goto(ui.url("/dgsa/data-docs/index.html"))
    page.wait_for_function("() => document.querySelectorAll('table tbody tr td').length > 0", timeout=30_000)
    text = page.locator("body").inner_text()
    assert "mart_compliance_by_province" in text or "compliance_by_province" in text
    assert page.locator("table tbody tr").count() >= 10
    page.screenshot(path=ui.screenshot_path("dgsa-05-data-docs-offline.png"))
    assert not [u for u in page.blocked_urls if re.search(r"\.(js|css)(\?|$)", u)]
    # opened straight from the folder (file://) as well
    page.goto((built["docs_dir"] / "index.html").as_uri())
    page.wait_for_function("() => document.querySelectorAll('table tbody tr td').length > 0", timeout=30_000)
    page.context.close()


def test_queries_read_as_the_analyst(built):
    """The data layer itself: the analyst URL is derived from the warehouse URL, and it reads."""
    from dgsa.dashboard import source  # noqa: PLC0415

    url = source.analyst_url()
    assert "dgsa_analyst@" in url
    code = built["province"]
    assert queries.province(ROUND, code, url)["on_list"] == mart_row(built["url"], code)["on_list"]
    with pytest.raises(Exception, match="permission denied"):
        with source.cursor(url) as cur:
            cur.execute("SELECT count(*) FROM core.assessment")
