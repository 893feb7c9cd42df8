"""The --messy sample drive: every variant loads with the right values, every bad case gets
its exact status, reason and row numbers; row accounting holds; a re-run adds nothing."""
import pytest

from dgsa.ingest import steps as ingest
from dgsa_tools.sample import generator as sample


@pytest.fixture(scope="module")
def messy(tmp_path_factory, warehouse_url):
    from dgsa.foundation import db
    from conftest import RESET_SQL
    with db.transaction(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(RESET_SQL)
    drive = tmp_path_factory.mktemp("messy") / "drive"
    expected = sample.generate(drive, people_n=80, seed=13, messy=True)
    ingest.run_all(drive, url=warehouse_url)
    return drive, expected


def _rows(url, query, params=None):
    from dgsa.foundation import db
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def sample_messy_cases():
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        return sample.generate(Path(d) / "x", 80, seed=13, messy=True)["cases"]


CASES = sample_messy_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["file"].rsplit("/", 1)[-1] for c in CASES])
def test_case(messy, warehouse_url, case):
    (status, reason, file_id, read, loaded, rejected, skipped), = _rows(
        warehouse_url, """SELECT status, reason_code, file_id, rows_read, rows_loaded, rows_rejected, rows_skipped
                          FROM audit.source_file WHERE rel_path = %s""", (case["file"],))
    assert (status, reason) == (case["status"], case["reason_code"]), case["note"]
    assert read == loaded + rejected + skipped
    got_rej = _rows(warehouse_url, "SELECT source_row, reason_code FROM audit.rejected_row WHERE file_id = %s "
                                   "ORDER BY 1, 2", (file_id,))
    if case["rejections"]:
        assert [list(r) for r in got_rej] == case["rejections"]
    for cid, want in case["loaded"].items():
        row = _rows(warehouse_url, """
            SELECT declared_group, declared_target_level, assessed_on::text, signed, first_name, last_name, title,
                   (SELECT jsonb_object_agg(skill_code, level_ordinal) FROM core.assessment_skill s
                     WHERE s.file_id = a.file_id AND s.source_row = a.source_row)
            FROM core.assessment a WHERE file_id = %s AND citizen_id = %s""", (file_id, cid))
        assert len(row) == 1, f"{case['file']}: person not loaded"
        got = dict(zip(["declared_group", "declared_target_level", "assessed_on", "signed", "first_name", "last_name",
                        "title", "skills"], row[0]))
        assert got == want, case["note"]
    if status == "partially_loaded":
        assert loaded == len(case["loaded"])


def test_formula_looking_values_are_kept_as_text(messy, warehouse_url):
    got = {r for r, in _rows(warehouse_url, "SELECT remarks FROM core.assessment WHERE remarks IS NOT NULL")}
    assert {"=1+1", "@note"} <= got


def test_accounting_and_rerun_adds_nothing(messy, warehouse_url):
    drive, _ = messy
    before = _rows(warehouse_url, "SELECT count(*), sum(rows_loaded), (SELECT count(*) FROM audit.rejected_row) "
                                  "FROM audit.source_file")
    totals = ingest.run_all(drive, url=warehouse_url)["totals"]
    assert totals["rows_read"] == totals["rows_loaded"] + totals["rows_rejected"] + totals["rows_skipped"]
    assert _rows(warehouse_url, "SELECT count(*), sum(rows_loaded), (SELECT count(*) FROM audit.rejected_row) "
                                "FROM audit.source_file") == before
    raw_ids = _rows(warehouse_url, "SELECT count(*) FROM audit.rejected_row WHERE raw_value ~ '[0-9]{13}'")
    assert raw_ids == [(0,)]          # no full citizen ID in the public audit schema


def test_rejections_speak_with_the_suites_meta(messy, warehouse_url):
    """Every row rejection's code and Thai/English message is an expectation's meta (with the
    column filled in), and every judged file has its per-expectation results."""
    from dgsa.contract import suites as contract
    metas = {}
    for name in ("submission_rows", "submission_skills", "roster_rows"):
        for e in contract.suite_json(name)["expectations"]:
            metas.setdefault(e["meta"]["reason_code"], []).append(e["meta"])
    rows = _rows(warehouse_url, "SELECT reason_code, column_name, message_th, message_en FROM audit.rejected_row")
    assert rows
    for code, column, th, en in rows:
        fills = [(m["message_th"].format(column=column or "", detail=column or ""),
                  m["message_en"].format(column=column or "", detail=column or "")) for m in metas[code]]
        assert (th, en) in fills, code
    judged = _rows(warehouse_url, """
        SELECT f.file_id, count(DISTINCT r.suite) FROM audit.source_file f
        LEFT JOIN audit.validation_result r USING (file_id)
        WHERE f.status IN ('loaded', 'partially_loaded') OR f.reason_code = 'TOO_MANY_BAD_ROWS' GROUP BY 1""")
    assert judged and all(n >= 2 for _, n in judged)      # a row suite and the file gate at least
    broken = _rows(warehouse_url, """SELECT reason_code, sum(unexpected_count) FROM audit.validation_result
                                     WHERE NOT success AND suite <> 'file_gate' GROUP BY 1""")
    assert {"CID_CHECK_DIGIT", "DUPLICATE_PERSON_IN_FILE", "PROVINCE_MISMATCH"} <= {c for c, _ in broken}


def test_data_docs_render_every_validation_without_ids(messy, warehouse_url, tmp_path):
    import re
    from dgsa.contract import docs
    index = docs.build(tmp_path / "docs", url=warehouse_url)
    assert index.is_file()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    (runs,), = _rows(warehouse_url, "SELECT count(*) FROM audit.validation_run")
    assert len(pages) == runs > 0
    assert len(list((tmp_path / "docs" / "expectations").rglob("*.html"))) == len(docs.all_suites())
    # a 13-digit run that is not part of a hex fingerprint or UUID would be a citizen ID
    assert not any(re.search(r"(?<![0-9a-fA-F])\d{13}(?![0-9a-fA-F])", p.read_text(encoding="utf-8")) for p in pages)


def test_data_docs_rendered_again_only_when_what_they_show_changed(messy, warehouse_url, tmp_path):
    """A night with nothing new leaves the site as it is (GX is not run); a new validation run renders it again."""
    from dgsa.contract import docs
    out = tmp_path / "docs"
    index = docs.build(out, url=warehouse_url)
    first = index.stat().st_mtime_ns
    (runs,), = _rows(warehouse_url, "SELECT count(*) FROM audit.validation_run")
    assert docs.build(out, url=warehouse_url) == index and index.stat().st_mtime_ns == first
    assert len(list((out / "validations").rglob("*.html"))) == runs
    new_id = _rows(warehouse_url, """INSERT INTO audit.validation_run (run_name, validated_at, suite, target, success, result)
                                     SELECT 'docs-test', now(), suite, target, success, result FROM audit.validation_run
                                     ORDER BY validation_id LIMIT 1 RETURNING validation_id""")[0][0]
    try:
        docs.build(out, url=warehouse_url)
        assert index.stat().st_mtime_ns != first
        assert len(list((out / "validations").rglob("*.html"))) == runs + 1
    finally:
        _rows(warehouse_url, "DELETE FROM audit.validation_run WHERE validation_id = %s RETURNING 1", (new_id,))
    docs.build(out, url=warehouse_url)      # the window changed back: rendered again
    assert len(list((out / "validations").rglob("*.html"))) == runs
